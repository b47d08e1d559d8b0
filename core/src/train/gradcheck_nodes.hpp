// The node-by-node half of the gradient check (see <gradflow/gradcheck.hpp>).
#pragma once

#include <gradflow/gradcheck.hpp>
#include <gradflow/model.hpp>

namespace gradflow {

// Checks `node` of `model`, whose last forward() ran at `batch` samples, on copies of the
// values it saw there; adds every failure to `errors`.
NodeGradientCheck check_node(const Model& model, const PlannedNode& node, int64_t batch,
                             const GradientCheckOptions& options, std::vector<Diagnostic>& errors);

}  // namespace gradflow
