// Why the loss of a training step stopped being finite, found by looking at what is not
// finite: the batch's inputs (the data), the weights (their init or the checkpoint they came
// from, or the updates), or else the first node whose output is not (one of its attributes,
// or weights grown too large).
#pragma once

#include <gradflow/model.hpp>

#include <cstdint>
#include <string>

namespace gradflow {

// One sentence naming the first non-finite node and the likely cause. `weights_updated`:
// whether the optimizer has changed the weights since they were drawn or loaded; `lr` is
// the learning rate, quoted when it is the likely cause.
std::string non_finite_cause(const Model& model, int64_t batch, bool weights_updated, double lr);

}  // namespace gradflow
