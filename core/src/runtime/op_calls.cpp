#include "runtime/op_calls.hpp"

#include <gradflow/detail/abi_calls.hpp>
#include "runtime/thread_pool.hpp"

#include <cstring>

namespace gradflow {
namespace {

void run_serially(void* /*self*/, int64_t n, int64_t /*grain*/, gf_range_fn fn, void* ctx) {
  if (n > 0) fn(ctx, 0, n);
}

// The pool is looked up at each call: set_thread_limit may have replaced it since.
void run_on_core_pool(void* /*self*/, int64_t n, int64_t grain, gf_range_fn fn, void* ctx) {
  core_pool().parallel_for(n, grain, fn, ctx);
}

const CallSite* site(const CallSites* sites, PluginPass pass) {
  return sites ? &sites->of(pass) : nullptr;
}

}  // namespace

int op_create(const gf_op_def& def, const CreateCall& c, gf_node_info* info, void** instance,
              gf_error* err, const CallSites* sites) {
  gf_create_args args{};
  args.struct_size = sizeof args;
  args.attrs = c.attrs;
  args.n_attrs = c.n_attrs;
  args.lists = c.lists;
  args.in_shapes = c.in_shapes;
  args.n_inputs = c.n_inputs;
  args.seed = c.seed;
  args.host = c.host;
  PluginCallScope scope(site(sites, PluginPass::create));
  return detail::call_create(def, args, info, instance, err);
}

int op_reserve(const gf_op_def& def, void* instance, int64_t max_batch, gf_error* err,
               const CallSites* sites) {
  if (!def.reserve) return GF_OK;
  PluginCallScope scope(site(sites, PluginPass::reserve));
  return def.reserve(instance, max_batch, err);
}

int op_forward(const gf_op_def& def, void* instance, const gf_call& call, gf_error* err,
               const CallSites* sites) {
  PluginCallScope scope(site(sites, PluginPass::forward));
  return detail::call_forward(def, instance, call, err);
}

int op_backward(const gf_op_def& def, const gf_fusion* fusion, void* instance, const gf_call& call,
                gf_error* err, const CallSites* sites) {
  PluginCallScope scope(site(sites, PluginPass::backward));
  if (fusion) return fusion->backward(instance, &call, err);
  return detail::call_backward(def, instance, call, err);
}

void op_destroy(const gf_op_def& def, void* instance, const CallSites* sites) {
  PluginCallScope scope(site(sites, PluginPass::destroy));
  def.destroy(instance);
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

gf_host pooled_host(int threads) {
  gf_host host = serial_host();
  host.threads = static_cast<uint32_t>(threads);
  host.parallel_for = &run_on_core_pool;
  return host;
}

}  // namespace gradflow
