#include "op_checks.hpp"

#include <limits>

namespace gradflow::builtin {

void require_input_count(const NodeSetup& setup, size_t expected, const char* op) {
  const size_t got = setup.input_shapes().size();
  if (got != expected)
    throw OpError(std::string(op) + " expects " + std::to_string(expected) + " input(s), got " +
                  std::to_string(got));
}

void require_positive_dims(const Shape& shape, const std::string& what) {
  for (int64_t d : shape)
    if (d < 1)
      throw OpError(what + " has a dimension of size " + std::to_string(d) + " in shape " +
                    shape_text(shape) + "; every dimension must be at least 1");
}

void require_blas_size(int64_t value, const char* what) {
  if (value > std::numeric_limits<int>::max())
    throw OpError(std::string(what) + " is " + std::to_string(value) +
                  ", above the supported maximum " +
                  std::to_string(std::numeric_limits<int>::max()));
}

void require_cols(const View& v, int64_t cols, const char* what) {
  if (v.cols != cols)
    throw OpError(std::string(what) + " has " + std::to_string(v.cols) +
                  " values per sample, expected " + std::to_string(cols));
}

void require_same_layout(const View& a, const View& b, const char* what_a, const char* what_b) {
  if (a.rows != b.rows || a.cols != b.cols)
    throw OpError(std::string(what_a) + " is " + std::to_string(a.rows) + "x" +
                  std::to_string(a.cols) + " but " + what_b + " is " + std::to_string(b.rows) +
                  "x" + std::to_string(b.cols));
}

void require_matching_pair(const NodeSetup& setup, const char* op, const char* first,
                           const char* second) {
  require_input_count(setup, 2, op);
  const Shape& a = setup.input_shape(0);
  const Shape& b = setup.input_shape(1);
  if (a.empty())
    throw OpError(std::string(op) + " expects '" + first +
                  "' of rank >= 1, got a scalar (shape [])");
  if (a != b)
    throw OpError(std::string(op) + ": '" + first + "' has shape " + shape_text(a) + " but '" +
                  second + "' has shape " + shape_text(b) + "; they must be equal");
  require_positive_dims(a, std::string(op) + " input '" + first + "'");
}

}  // namespace gradflow::builtin

namespace gradflow::builtin {

int64_t loss_batch(std::span<const View> in, const View& out, const char* op) {
  if (in.size() != 2)
    throw OpError(std::string(op) + " expects 2 inputs, got " + std::to_string(in.size()));
  require_same_layout(in[0], in[1], "the first input", "the second input");
  if (out.size() != 1)
    throw OpError(std::string(op) + " writes a scalar but its output holds " +
                  std::to_string(out.size()) + " values");
  return in[0].rows;
}

}  // namespace gradflow::builtin
