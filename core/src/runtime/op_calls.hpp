// The host's side of the plugin boundary for one call: ABI 1.1 ops get their _ex entry points
// with one argument struct, ABI 1.0 ops the positional arguments of their time. The rest of
// the core calls these and never looks at which version an op was built for.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstdint>
#include <string>

namespace gradflow {

struct CreateCall {
  const gf_attr_value* attrs = nullptr;
  const gf_attr_list* lists = nullptr;
  uint32_t n_attrs = 0;
  const gf_shape* in_shapes = nullptr;
  uint32_t n_inputs = 0;
  uint64_t seed = 0;
  const gf_host* host = nullptr;
};

int op_create(const gf_op_def& def, const CreateCall& c, gf_node_info* info, void** instance,
              gf_error* err);
int op_forward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err);
int op_backward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err);

// An op's error message for the host's own: read up to GF_ERROR_CAPACITY bytes whether or
// not the plugin ended it with a NUL, control characters (newlines included) made spaces, so
// that it stays one line of the report; "(no message)" when the op left it empty.
std::string op_error_text(const gf_error& err);

// The host's thread services for ops; runs everything on the calling thread until a pool is
// attached.
gf_host serial_host();

}  // namespace gradflow
