// The host's side of the plugin boundary for one call: ABI 1.1 ops get their _ex entry points
// with one argument struct, ABI 1.0 ops the positional arguments of their time. Every call is
// marked for the crash report (call_sites.hpp). The rest of the core calls these and never
// looks at which version an op was built for.
#pragma once

#include <gradflow/plugin_abi.h>

#include "runtime/call_sites.hpp"

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

// `sites` may be null (no crash line for this call).
int op_create(const gf_op_def& def, const CreateCall& c, gf_node_info* info, void** instance,
              gf_error* err, const CallSites* sites);
int op_reserve(const gf_op_def& def, void* instance, int64_t max_batch, gf_error* err,
               const CallSites* sites);
int op_forward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err,
               const CallSites* sites);
// The op's own backward, or `fusion`'s when it is not null.
int op_backward(const gf_op_def& def, const gf_fusion* fusion, void* instance, const gf_call& call,
                gf_error* err, const CallSites* sites);
void op_destroy(const gf_op_def& def, void* instance, const CallSites* sites);

// An op's error message for the host's own: read up to GF_ERROR_CAPACITY bytes whether or
// not the plugin ended it with a NUL, control characters (newlines included) made spaces, so
// that it stays one line of the report; "(no message)" when the op left it empty.
std::string op_error_text(const gf_error& err);

// The host's thread services for ops: everything on the calling thread, or split over the
// core pool (core_pool(), sized by set_thread_limit) on up to `threads` threads.
gf_host serial_host();
gf_host pooled_host(int threads);

}  // namespace gradflow
