// Drawing parameters and state from their initialisers, each tensor from a generator seeded by
// (seed, tensor name): the same seed gives the same weights whatever the order of the file's
// nodes.
#include <gradflow/model.hpp>
#include <gradflow/random.hpp>

#include <cmath>

namespace gradflow {
namespace {

// PyTorch's convention: fan_in = d1 * d2 * ..., fan_out = d0 * d2 * ... (a convolution's
// receptive field counts on both sides); a vector's fans are its length.
void fans(const std::vector<int64_t>& shape, double* fan_in, double* fan_out) {
  if (shape.size() < 2) {
    *fan_in = *fan_out = shape.empty() ? 1.0 : static_cast<double>(shape[0]);
    return;
  }
  double field = 1;
  for (size_t d = 2; d < shape.size(); ++d) field *= static_cast<double>(shape[d]);
  *fan_in = static_cast<double>(shape[1]) * field;
  *fan_out = static_cast<double>(shape[0]) * field;
}

void draw(float* w, int64_t n, const std::vector<int64_t>& shape, const gf_init& init,
          Random& rng) {
  double fan_in = 1, fan_out = 1;
  fans(shape, &fan_in, &fan_out);
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

}  // namespace

void Model::init_parameters(uint64_t seed) {
  for (auto& p : params_) {
    Random rng(mix_seed(seed, p.name));
    draw(p.value.data(), p.value.size(), p.shape, p.init, rng);
  }
  for (auto& s : states_) {
    Random rng(mix_seed(seed, s.name));
    draw(s.value.data(), s.value.size(), s.shape, s.init, rng);
  }
}

}  // namespace gradflow
