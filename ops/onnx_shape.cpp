#include "onnx_shape.hpp"

#include <algorithm>
#include <string>

namespace gradflow::builtin {
namespace {

std::string target_text(const OnnxValue& target) {
  return "the shape " + shape_text(Shape(target.ints.begin(), target.ints.end()));
}

// Resolves the sizes after the batch: 0 copies the input's size at that place (unless
// allowzero), one -1 takes what is left of `values`.
Shape sample_sizes(const OnnxValue& target, const Shape& input, bool allowzero, int64_t values) {
  Shape out(target.ints.begin() + 1, target.ints.end());
  int64_t known = 1;
  int free = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowzero && i < input.size()) out[i] = input[i];
    if (out[i] == -1 && free < 0) {
      free = static_cast<int>(i);
      continue;
    }
    if (out[i] < 1)
      throw OpError(target_text(target) + " has a size " + std::to_string(out[i]) +
                    " gradflow cannot take (sizes are >= 1, one -1, or 0 for the input's size)");
    known *= out[i];
    if (known > values) break;  // cannot match; also keeps the product from overflowing
  }
  if (free >= 0 && known <= values && values % known == 0)
    out[static_cast<size_t>(free)] = values / known;
  if (free >= 0 ? (known > values || values % known != 0) : known != values)
    throw OpError(target_text(target) + " does not hold the " + std::to_string(values) +
                  " values of a sample of shape " + shape_text(input) +
                  " (gradflow reshapes each sample, never the batch)");
  return out;
}

}  // namespace

int64_t onnx_flatten_axis(const OnnxImport& im, uint32_t at, size_t rank) {
  const int64_t full = static_cast<int64_t>(rank) + 1;
  const int64_t axis = im.attr_int("axis", 1, at);
  if (axis < -full || axis > full)
    throw OpError("Flatten axis " + std::to_string(axis) + " is outside a rank-" +
                  std::to_string(full) + " tensor");
  return axis < 0 ? axis + full : axis;
}

Shape onnx_reshape_target(const OnnxValue& target, const Shape& input, bool allowzero) {
  if (!target.constant() || target.dims.size() != 1 || target.ints.empty() ||
      static_cast<int64_t>(target.ints.size()) != target.dims[0])
    throw OpError("the shape '" + target.name +
                  "' must be an int64 initializer or Constant of rank 1 (gradflow reshapes to a "
                  "fixed shape)");
  if (target.ints.size() > GF_MAX_RANK + 1)
    throw OpError(target_text(target) + " has more than " + std::to_string(GF_MAX_RANK + 1) +
                  " dimensions");
  const int64_t first = target.ints[0];
  if (first != -1 && first != 0)
    throw OpError(target_text(target) + " fixes the batch to " + std::to_string(first) +
                  "; gradflow's batch is free (0 or -1 in front)");
  if (first == 0 && allowzero)
    throw OpError(target_text(target) + " with allowzero = 1 makes the batch empty");
  if (std::count(target.ints.begin(), target.ints.end(), -1) > 1)
    throw OpError(target_text(target) + " has more than one -1");
  return sample_sizes(target, input, allowzero, numel(input));
}

}  // namespace gradflow::builtin
