// Calling an op of either ABI minor version, as a host does: 1.1 ops through their _ex entry
// points with one argument struct, 1.0 ops with the positional arguments of their time. Shared
// by gradflow's runtime and by <gradflow/testing.hpp>, so that a tested op is called exactly
// the way graph-runner calls it. Not for op authors.
#pragma once

#include <gradflow/plugin_abi.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace gradflow::detail {

// The part of gf_op_def that ABI 1.0 plugins fill.
inline constexpr size_t kOpDefSize_1_0 = offsetof(gf_op_def, create_ex);

// A plugin's table entry grown to this header's gf_op_def, the fields its ABI version does not
// have zeroed: the caller then never reads past what the plugin wrote.
inline gf_op_def grown_op_def(const gf_op_def& def) {
  gf_op_def copy{};
  std::memcpy(&copy, &def, std::min<size_t>(def.struct_size, sizeof(gf_op_def)));
  copy.struct_size = sizeof(gf_op_def);
  return copy;
}

// `def` must be grown (see grown_op_def).
inline int call_create(const gf_op_def& def, const gf_create_args& args, gf_node_info* info,
                       void** instance, gf_error* err) {
  if (def.create_ex) return def.create_ex(&args, info, instance, err);
  return def.create(args.attrs, args.n_attrs, args.in_shapes, args.n_inputs, info, instance, err);
}

inline int call_forward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err) {
  if (def.forward_ex) return def.forward_ex(instance, &call, err);
  return def.forward(instance, call.inputs, call.n_inputs, call.params, call.n_params,
                     const_cast<gf_tensor*>(call.out), err);
}

inline int call_backward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err) {
  if (def.backward_ex) return def.backward_ex(instance, &call, err);
  return def.backward(instance, call.inputs, call.n_inputs, call.params, call.n_params, call.out,
                      call.out_grad, const_cast<gf_tensor*>(call.in_grads),
                      const_cast<gf_tensor*>(call.param_grads), err);
}

inline bool differentiable(const gf_op_def& def) {
  return def.backward_ex != nullptr || def.backward != nullptr;
}

}  // namespace gradflow::detail
