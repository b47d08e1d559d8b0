#include "train/numeric_fault.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace gradflow {
namespace {

std::optional<int64_t> first_non_finite(const float* data, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(data[i])) return i;
  return std::nullopt;
}

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// "the data: ..." if a graph input of this batch holds a value a float cannot be.
std::string data_cause(const Model& model, int64_t batch) {
  for (const Value& v : model.values()) {
    if (v.producer >= 0 || !v.current()) continue;
    const int64_t per_sample = elements(v.shape);
    if (auto i = first_non_finite(v.current(), per_sample * batch))
      return fmt::format(
          "the data: graph input '{}' holds a non-finite value (sample {} of the "
          "batch); check the data set and its settings (a noise, scale or value "
          "too large for a 32-bit float)",
          v.name, *i / per_sample + 1);
  }
  return "";
}

std::string weight_cause(const Model& model, bool updated, double lr) {
  for (const Parameter& p : model.parameters()) {
    if (!first_non_finite(p.value.data(), p.value.size())) continue;
    if (!updated)
      return fmt::format(
          "the weights: parameter '{}' is not finite before any update; check "
          "its init (or the checkpoint it was loaded from)",
          p.name);
    return fmt::format(
        "the learning rate: the updates made parameter '{}' non-finite; try a "
        "smaller learning rate than {}",
        p.name, lr);
  }
  return "";
}

std::string attributes_of(const NodeSpec& node) {
  std::string text;
  for (const auto& a : node.attrs) {
    if (!a.value.IsScalar()) continue;
    text += (text.empty() ? "" : ", ") + a.key + ": " + quoted_excerpt(a.value.Scalar(), 30);
  }
  return text.empty() ? "" : " (" + text + ")";
}

}  // namespace

std::string non_finite_cause(const Model& model, int64_t batch, bool weights_updated, double lr) {
  const int bad = model.first_non_finite_node(batch);
  std::string node = "?";
  if (bad >= 0) node = model.nodes()[static_cast<size_t>(bad)].spec->name;
  std::string text = "the first node with a non-finite output is '" + node + "'. Likely cause: ";
  if (std::string cause = data_cause(model, batch); !cause.empty()) return text + cause;
  if (std::string cause = weight_cause(model, weights_updated, lr); !cause.empty())
    return text + cause;
  if (!weights_updated && bad >= 0) {
    const PlannedNode& n = model.nodes()[static_cast<size_t>(bad)];
    return text + fmt::format(
                      "an attribute: node '{}' ({}) turns finite inputs and weights into "
                      "non-finite values; check its attributes{}",
                      node, n.op->def->name, attributes_of(*n.spec));
  }
  return text + fmt::format(
                    "the learning rate: the weights grew until '{}' overflowed; try a "
                    "smaller learning rate than {}",
                    node, lr);
}

}  // namespace gradflow
