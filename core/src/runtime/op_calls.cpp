#include "runtime/op_calls.hpp"

#include <cstring>

namespace gradflow {
namespace {

void run_serially(void* /*self*/, int64_t n, int64_t /*grain*/, gf_range_fn fn, void* ctx) {
  if (n > 0) fn(ctx, 0, n);
}

}  // namespace

int op_create(const gf_op_def& def, const CreateCall& c, gf_node_info* info, void** instance,
              gf_error* err) {
  if (def.create_ex) {
    gf_create_args args{};
    args.struct_size = sizeof args;
    args.attrs = c.attrs;
    args.n_attrs = c.n_attrs;
    args.lists = c.lists;
    args.in_shapes = c.in_shapes;
    args.n_inputs = c.n_inputs;
    args.seed = c.seed;
    args.host = c.host;
    return def.create_ex(&args, info, instance, err);
  }
  return def.create(c.attrs, c.n_attrs, c.in_shapes, c.n_inputs, info, instance, err);
}

int op_forward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err) {
  if (def.forward_ex) return def.forward_ex(instance, &call, err);
  return def.forward(instance, call.inputs, call.n_inputs, call.params, call.n_params,
                     const_cast<gf_tensor*>(call.out), err);
}

int op_backward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err) {
  if (def.backward_ex) return def.backward_ex(instance, &call, err);
  return def.backward(instance, call.inputs, call.n_inputs, call.params, call.n_params, call.out,
                      call.out_grad, const_cast<gf_tensor*>(call.in_grads),
                      const_cast<gf_tensor*>(call.param_grads), err);
}

std::string op_error_text(const gf_error& err) {
  std::string text(err.message, ::strnlen(err.message, GF_ERROR_CAPACITY));
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return text.empty() ? "(no message)" : text;
}

gf_host serial_host() {
  gf_host host{};
  host.struct_size = sizeof host;
  host.threads = 1;
  host.parallel_for = &run_serially;
  return host;
}

}  // namespace gradflow
