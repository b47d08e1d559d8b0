// Optimizers update parameters from their gradients and keep per-parameter state (velocity,
// moments) that checkpoints save so that a resumed run continues exactly.
#pragma once

#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/safetensors.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gradflow {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Updates every parameter from its gradient and leaves the gradient zero: the update reads it
  // and clears it in one pass (see Model::parameter_gradients_are_zero).
  virtual void step(std::vector<Parameter>& params) = 0;
  virtual std::string name() const = 0;
  // State tensors named "<state>.<parameter>" and the step count, for checkpoints.
  virtual std::vector<NamedTensor> state() const = 0;
  virtual void load_state(const std::vector<NamedTensor>& tensors, const std::string& source) = 0;
  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  double learning_rate() const { return lr_; }

 protected:
  double lr_ = 0.01;
  int64_t steps_ = 0;
};

// PyTorch's semantics for both, so that numbers can be compared one to one:
// sgd: g += wd*w; v = momentum*v + g; step = nesterov ? g + momentum*v : v; w -= lr*step.
// adam: g += wd*w; m, v moments with bias correction; w -= lr * m_hat / (sqrt(v_hat) + eps).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSpec& spec,
                                          const std::vector<Parameter>& params);

}  // namespace gradflow
