// The elementwise updates of the optimizers over elements [0, n) of one parameter tensor (the
// optimizers hand each thread a slice). Every update touches every weight each step, which at
// small batches costs as much as the matrix products, so each one makes a single pass over its
// arrays: it also clears the gradient it has read (Optimizer::step's promise), saving backward()
// a pass of its own, and it is compiled for SSE2, AVX2 and AVX-512, picked at load time for
// the running CPU. Arithmetic in float, in PyTorch's order of operations; only a division by a
// per-step constant becomes a multiplication by its reciprocal.
#pragma once

#include <cstdint>

namespace gradflow::kernels {

// w -= lr * (g + weight_decay * w)
void sgd(float* w, float* g, int64_t n, float lr, float weight_decay);

struct Momentum {
  float lr = 0, weight_decay = 0, momentum = 0;
  bool nesterov = false;
  bool first_step = false;  // PyTorch starts the velocity at the first gradient
};
// d = g + wd*w; v = first ? d : momentum*v + d; w -= lr * (nesterov ? d + momentum*v : v)
void sgd_momentum(float* w, float* g, float* v, int64_t n, const Momentum& c);

struct Adam {
  float step_size = 0;            // lr / (1 - beta1^t)
  float inv_root_correction = 0;  // 1 / sqrt(1 - beta2^t)
  float beta1 = 0, beta2 = 0, eps = 0;
  float weight_decay = 0;  // Adam's L2 term, added to the gradient (0 for AdamW)
  float decay = 1;         // AdamW's decoupled factor 1 - lr*wd on the weight (1 for Adam)
};
// w *= decay; d = g + wd*w; m = b1*m + (1-b1)*d; v = b2*v + (1-b2)*d*d;
// w -= step_size * m / (sqrt(v) * inv_root_correction + eps)
void adam(float* w, float* g, float* m, float* v, int64_t n, const Adam& c);

}  // namespace gradflow::kernels
