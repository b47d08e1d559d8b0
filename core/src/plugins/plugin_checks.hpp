// What a plugin hands back is input like any other: the host checks every op table entry when
// the plugin is loaded and every node description when create() returns, before anything
// reads a pointer, a count or a size from them. A malformed plugin is an exit-2 message
// naming its file, the op and what is wrong, never a crash in the host.
//
// Only what is checkable is checked: NULL where text or a table is required, counts and enum
// values out of range, strings that do not end within a bound, defaults that do not parse.
// A wild non-NULL pointer cannot be told from a good one; that stays the plugin's contract.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gradflow {

// Limits on what one op may declare; far above any real op, low enough to be absurd beyond.
constexpr uint32_t kMaxOpsPerPlugin = 4096;
constexpr uint32_t kMaxOpInputs = 16;
constexpr uint32_t kMaxOpAttrs = 64;

// "" if `def` is well formed, else what is malformed ("'attrs' is NULL but n_attrs is 2").
std::string op_definition_problem(const gf_op_def& def);

// "op #3 'Name'" for messages, or "op #3" when the name itself is not usable.
std::string op_label(const gf_op_def& def, uint32_t index);

// "" if the node description create() filled is well formed, else what is malformed.
std::string node_info_problem(const gf_node_info& info);

// A plugin's error message: read up to `capacity` bytes even without a NUL, control
// characters replaced, "(no message)" when empty.
std::string plugin_message(const char* text, size_t capacity);

}  // namespace gradflow
