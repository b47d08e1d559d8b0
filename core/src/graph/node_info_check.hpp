// What an op's create() declared about its node (gf_node_info) is checked before the host
// sizes a single buffer by it.
#pragma once

#include <gradflow/plugin_abi.h>

#include <string>

namespace gradflow {

// "" when the description can be used, else what is wrong with it.
std::string node_info_problem(const gf_node_info& info);

// Every tensor of the node (output per sample, parameters, state) above kMaxSampleElements,
// described for the message, or "". Products are taken in double so no shape overflows them.
std::string oversized_tensors(const std::string& node, const gf_node_info& info);

}  // namespace gradflow
