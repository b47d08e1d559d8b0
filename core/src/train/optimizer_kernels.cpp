#include "train/optimizer_kernels.hpp"

#include <cmath>

#define GRADFLOW_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#define GRADFLOW_INLINE inline __attribute__((always_inline))

namespace gradflow::kernels {
namespace {

// One loop per case, so that no branch is left inside a loop for the vectoriser to cope with;
// inlined into each clone below and compiled for its instruction set.
template <bool First, bool Nesterov>
GRADFLOW_INLINE void momentum_loop(float* __restrict w, float* __restrict g, float* __restrict v,
                                   int64_t n, float lr, float wd, float mu) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    const float velocity = First ? d : mu * v[i] + d;
    v[i] = velocity;
    w[i] -= lr * (Nesterov ? d + mu * velocity : velocity);
    g[i] = 0.0f;
  }
}

}  // namespace

GRADFLOW_CLONES void sgd(float* __restrict w, float* __restrict g, int64_t n, float lr,
                         float weight_decay) {
  for (int64_t i = 0; i < n; ++i) {
    w[i] -= lr * (g[i] + weight_decay * w[i]);
    g[i] = 0.0f;
  }
}

GRADFLOW_CLONES void sgd_momentum(float* __restrict w, float* __restrict g, float* __restrict v,
                                  int64_t n, const Momentum& c) {
  const float lr = c.lr, wd = c.weight_decay, mu = c.momentum;
  if (c.first_step && c.nesterov) momentum_loop<true, true>(w, g, v, n, lr, wd, mu);
  if (c.first_step && !c.nesterov) momentum_loop<true, false>(w, g, v, n, lr, wd, mu);
  if (!c.first_step && c.nesterov) momentum_loop<false, true>(w, g, v, n, lr, wd, mu);
  if (!c.first_step && !c.nesterov) momentum_loop<false, false>(w, g, v, n, lr, wd, mu);
}

GRADFLOW_CLONES void adam(float* __restrict w, float* __restrict g, float* __restrict m,
                          float* __restrict v, int64_t n, const Adam& c) {
  const float step_size = c.step_size, inv_root = c.inv_root_correction, eps = c.eps;
  const float b1 = c.beta1, b2 = c.beta2, wd = c.weight_decay, decay = c.decay;
  const float one_minus_b1 = 1 - b1, one_minus_b2 = 1 - b2;
  for (int64_t i = 0; i < n; ++i) {
    const float weight = w[i] * decay;
    const float d = g[i] + wd * weight;
    const float mi = b1 * m[i] + one_minus_b1 * d;
    const float vi = b2 * v[i] + one_minus_b2 * d * d;
    m[i] = mi;
    v[i] = vi;
    w[i] = weight - step_size * mi / (std::sqrt(vi) * inv_root + eps);
    g[i] = 0.0f;
  }
}

}  // namespace gradflow::kernels
