// Drawing parameters and state from their initialisers, each tensor from a generator seeded by
// (seed, tensor name): the same seed gives the same weights whatever the order of the file's
// nodes.
#include <gradflow/detail/init_fill.hpp>
#include <gradflow/model.hpp>
#include <gradflow/random.hpp>

namespace gradflow {

void Model::init_parameters(uint64_t seed) {
  for (auto& p : params_) {
    Random rng(mix_seed(seed, p.name));
    detail::fill_init(p.value.data(), p.value.size(), p.shape, p.init, rng);
  }
  for (auto& s : states_) {
    Random rng(mix_seed(seed, s.name));
    detail::fill_init(s.value.data(), s.value.size(), s.shape, s.init, rng);
  }
}

}  // namespace gradflow
