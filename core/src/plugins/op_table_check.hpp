// What a plugin hands back is checked before the host uses any of it: a malformed table entry
// becomes a message naming the plugin and the op, never a crash.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/detail/abi_calls.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace gradflow {

using detail::kOpDefSize_1_0;

// "" when `def` (entry `index` of the plugin's table) can be used, else what is wrong with it.
std::string op_def_problem(const gf_op_def* def, uint32_t index);

// The host's copy of a checked entry: grown to this host's gf_op_def, the fields the plugin's
// ABI version does not have zeroed.
std::unique_ptr<gf_op_def> normalized_op_def(const gf_op_def& def);

}  // namespace gradflow
