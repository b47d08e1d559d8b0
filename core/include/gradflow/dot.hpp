// Graphviz DOT of a planned graph: inputs as ellipses, each node "name (Op)" with its output
// shape, parameters as small boxes with their shapes, losses highlighted, predict marked.
#pragma once

#include <gradflow/model.hpp>

#include <string>

namespace gradflow {

std::string to_dot(const Model& model);

}  // namespace gradflow
