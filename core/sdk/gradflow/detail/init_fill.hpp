// Drawing a parameter or state tensor from its initialiser (gf_init), shared by gradflow's
// runtime and <gradflow/testing.hpp>: an op under test starts from the same kind of weights
// as in a graph. Not for op authors.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/random.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace gradflow::detail {

// PyTorch's convention: fan_in = d1 * d2 * ..., fan_out = d0 * d2 * ... (a convolution's
// receptive field counts on both sides); a vector's fans are its length.
inline void init_fans(const std::vector<int64_t>& shape, double* fan_in, double* fan_out) {
  if (shape.size() < 2) {
    *fan_in = *fan_out = shape.empty() ? 1.0 : static_cast<double>(shape[0]);
    return;
  }
  double field = 1;
  for (size_t d = 2; d < shape.size(); ++d) field *= static_cast<double>(shape[d]);
  *fan_in = static_cast<double>(shape[1]) * field;
  *fan_out = static_cast<double>(shape[0]) * field;
}

inline void fill_init(float* w, int64_t n, const std::vector<int64_t>& shape, const gf_init& init,
                      Random& rng) {
  double fan_in = 1, fan_out = 1;
  init_fans(shape, &fan_in, &fan_out);
  for (int64_t i = 0; i < n; ++i) {
    switch (init.kind) {
      case GF_INIT_NORMAL:
        w[i] = static_cast<float>(init.value * rng.normal());
        break;
      case GF_INIT_UNIFORM:
        w[i] = static_cast<float>(init.value * (2 * rng.uniform() - 1));
        break;
      case GF_INIT_XAVIER:
        w[i] = static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)) * (2 * rng.uniform() - 1));
        break;
      case GF_INIT_HE:
        w[i] = static_cast<float>(std::sqrt(6.0 / fan_in) * (2 * rng.uniform() - 1));
        break;
      case GF_INIT_CONSTANT:
        w[i] = static_cast<float>(init.value);
        break;
      default:
        w[i] = 0.0f;
    }
  }
}

}  // namespace gradflow::detail
