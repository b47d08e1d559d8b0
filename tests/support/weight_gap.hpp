// How far apart two runs' weights are: the tests of float reassociation (thread counts,
// processes) compare whole weight files with it.
#pragma once

#include <gradflow/safetensors.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace gradflow::test {

// max |a - b| over every weight of two runs of the same graph, and the largest |a|.
struct WeightGap {
  double max_difference = 0;
  double max_magnitude = 0;
};

inline WeightGap weight_gap(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) throw std::runtime_error("the runs hold different tensors");
  WeightGap gap;
  for (size_t t = 0; t < a.size(); ++t) {
    if (a[t].name != b[t].name || a[t].data.size() != b[t].data.size())
      throw std::runtime_error("tensor " + a[t].name + " differs in name or size");
    for (size_t i = 0; i < a[t].data.size(); ++i) {
      gap.max_difference =
          std::max(gap.max_difference, std::abs(double{a[t].data[i]} - double{b[t].data[i]}));
      gap.max_magnitude = std::max(gap.max_magnitude, std::abs(double{a[t].data[i]}));
    }
  }
  return gap;
}

}  // namespace gradflow::test
