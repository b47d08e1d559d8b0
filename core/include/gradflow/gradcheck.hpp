// Finite-difference gradient check of a whole graph: every parameter and every graph input
// that the loss depends on, backward against central differences of the loss.
#pragma once

#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

struct GradientCheckEntry {
  std::string tensor;  // "hidden.weight" or "input x"
  int64_t checked = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;
  bool passed = true;
  int64_t skipped_at_kinks = 0;  // elements where the loss is not differentiable (ReLU at 0)
};

struct GradientCheckOptions {
  int64_t batch = 4;
  uint64_t seed = 1;
  double epsilon = 1e-2;
  double rel_tolerance = 1e-2;
  double abs_tolerance = 1e-4;
  int64_t max_elements_per_tensor = 200;  // sampled beyond that, for big layers
};

// Graph inputs bound to "y" get random one-hot rows and "label" random class indices, so the
// check needs no data set; everything else is drawn from N(0, 1).
std::vector<GradientCheckEntry> check_gradients(const GraphSpec& spec, const OpRegistry& registry,
                                                const GradientCheckOptions& options = {});

}  // namespace gradflow
