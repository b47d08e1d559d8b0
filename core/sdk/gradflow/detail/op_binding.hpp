// The glue between an op class and the C ABI: builds one gf_op_def per class and turns C calls
// into C++ calls with every exception caught. Included by <gradflow/op.hpp>; nothing here is
// for op authors to call.
#pragma once

#include <gradflow/detail/error_guard.hpp>

#include <array>
#include <concepts>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

namespace gradflow {
template <class T>
const gf_op_def* op_definition();
}  // namespace gradflow

namespace gradflow::detail {

constexpr uint32_t kMaxPorts = 16;

template <size_t N>
std::span<const View> views(std::array<View, N>& store, const gf_tensor* t, uint32_t n) {
  if (n > N) throw OpError("too many tensors for one op call");
  if (n > 0 && !t) throw OpError("the host passed no tensors");
  for (uint32_t i = 0; i < n; ++i) store[i] = view_of(t[i]);
  return {store.data(), n};
}

// The C++ contexts of one call, built on the stack: no allocation.
struct CallViews {
  std::array<View, kMaxPorts> in, params, state, in_grads, param_grads;

  void fill(ForwardContext& c, const gf_call& call) {
    c.inputs = views(in, call.inputs, call.n_inputs);
    c.params = views(params, call.params, call.n_params);
    c.state = views(state, call.state, call.n_state);
    if (!call.out) throw OpError("the host passed no output tensor");
    c.out = view_of(*call.out);
    c.training = call.training != 0;
    c.seed = call.seed;
    c.host = Host(call.host);
  }
  void fill(BackwardContext& c, const gf_call& call) {
    fill(static_cast<ForwardContext&>(c), call);
    if (!call.out_grad) throw OpError("the host passed no output gradient");
    c.out_grad = view_of(*call.out_grad);
    c.in_grads = views(in_grads, call.in_grads, call.n_inputs);
    c.param_grads = views(param_grads, call.param_grads, call.n_params);
  }
};

// An op is differentiable when its class (or a helper base such as Elementwise) defines
// backward(); Op's own does nothing and is never called.
template <class T>
constexpr bool has_backward =
    !std::is_same_v<decltype(&T::backward), void (Op::*)(const BackwardContext&)>;

template <class T>
concept HasFusedBackward = requires(T& op, const BackwardContext& c) {
  op.backward_fused(c);
};

template <class T>
concept HasExplain = requires(const T& op, Explain& e) {
  op.explain(e);
};

template <class T>
concept HasOnnxExport = requires(const T& op, OnnxExport& ex) {
  op.onnx_export(ex);
};

template <class T>
concept HasOnnxImport = requires(OnnxImport& im) {
  { T::onnx_import(im) } -> std::convertible_to<bool>;
};

// Owns the C structs describing one op class; built once, after the ABI check.
template <class T>
struct OpDefinition {
  OpSchema schema = T::schema();
  std::vector<const char*> input_names;
  std::vector<gf_attr_spec> attr_specs;
  gf_fusion fusion{};
  const gf_fusion* fusion_list[1] = {&fusion};
  gf_op_def def{};

  OpDefinition() {
    for (const auto& in : schema.inputs) input_names.push_back(in.c_str());
    for (const auto& a : schema.attrs)
      attr_specs.push_back(gf_attr_spec{a.name.c_str(), static_cast<uint32_t>(a.type),
                                        a.default_text ? a.default_text->c_str() : nullptr, a.min,
                                        a.max, a.doc_text.c_str()});
    def.struct_size = sizeof(gf_op_def);
    def.name = schema.name.c_str();
    def.doc = schema.doc.c_str();
    def.n_inputs = static_cast<uint32_t>(input_names.size());
    def.input_names = input_names.data();
    def.n_attrs = static_cast<uint32_t>(attr_specs.size());
    def.attrs = attr_specs.data();
    def.flags = schema.loss ? static_cast<uint32_t>(GF_OP_LOSS) : 0u;
    def.reserve = &reserve;
    def.destroy = &destroy;
    def.create_ex = &create;
    def.forward_ex = &forward;
    if constexpr (has_backward<T>) def.backward_ex = &backward;
    if constexpr (HasExplain<T>) def.explain = &explain;
    if constexpr (HasFusedBackward<T>) {
      fusion = gf_fusion{sizeof(gf_fusion), schema.fused_producer.c_str(), schema.fused_input,
                         &backward_fused};
      def.n_fusions = schema.fused_producer.empty() ? 0u : 1u;
      def.fusions = fusion_list;
    }
    if constexpr (HasOnnxExport<T>) def.onnx_export = &onnx_export;
    if constexpr (HasOnnxImport<T>) def.onnx_import = &onnx_import;
  }

  static int create(const gf_create_args* args, gf_node_info* info, void** instance,
                    gf_error* err) {
    return guarded(err, [&] {
      NodeSetup setup(args->in_shapes, args->n_inputs, info, args->seed);
      std::unique_ptr<T> op = T::create(Attrs(args->attrs, args->n_attrs, args->lists), setup);
      if (!op) throw OpError("create() returned no instance");
      if (!setup.output_set())
        throw OpError("create() did not declare the output: call NodeSetup::set_output");
      *instance = op.release();
    });
  }
  static int reserve(void* instance, int64_t max_batch, gf_error* err) {
    return guarded(err, [&] { static_cast<T*>(instance)->reserve(max_batch); });
  }
  static int forward(void* instance, const gf_call* call, gf_error* err) {
    return guarded(err, [&] {
      CallViews store;
      ForwardContext c;
      store.fill(c, *call);
      static_cast<T*>(instance)->forward(c);
    });
  }
  static int backward(void* instance, const gf_call* call, gf_error* err) {
    return guarded(err, [&] {
      CallViews store;
      BackwardContext c;
      store.fill(c, *call);
      static_cast<T*>(instance)->backward(c);
    });
  }
  static int backward_fused([[maybe_unused]] void* instance, [[maybe_unused]] const gf_call* call,
                            [[maybe_unused]] gf_error* err) {
    if constexpr (HasFusedBackward<T>) {
      return guarded(err, [&] {
        CallViews store;
        BackwardContext c;
        store.fill(c, *call);
        static_cast<T*>(instance)->backward_fused(c);
      });
    }
    return GF_FAIL;
  }
  // GF_DECLINE when the op wrote nothing: an op may have formulas for some nodes only.
  static int explain([[maybe_unused]] void* instance, [[maybe_unused]] gf_explain* ex,
                     [[maybe_unused]] gf_error* err) {
    if constexpr (HasExplain<T>) {
      bool wrote = false;
      const int status = guarded(err, [&] {
        Explain e(ex);
        static_cast<const T*>(instance)->explain(e);
        wrote = e.wrote_any();
      });
      return status == GF_OK && !wrote ? GF_DECLINE : status;
    }
    return GF_DECLINE;
  }
  static int onnx_export([[maybe_unused]] void* instance, [[maybe_unused]] gf_onnx_export* ex,
                         [[maybe_unused]] gf_error* err) {
    if constexpr (HasOnnxExport<T>) {
      return guarded(err, [&] {
        OnnxExport e(ex);
        static_cast<const T*>(instance)->onnx_export(e);
      });
    }
    return GF_DECLINE;
  }
  // GF_DECLINE when the op's onnx_import returns false: the host offers the node elsewhere.
  static int onnx_import([[maybe_unused]] gf_onnx_import* im, [[maybe_unused]] gf_error* err) {
    if constexpr (HasOnnxImport<T>) {
      bool taken = false;
      const int rc = guarded(err, [&] {
        OnnxImport i(im, op_definition<T>()->name);
        taken = T::onnx_import(i);
      });
      return rc != GF_OK ? rc : taken ? GF_OK : GF_DECLINE;
    }
    return GF_DECLINE;
  }
  static void destroy(void* instance) { delete static_cast<T*>(instance); }
};

template <class... Ops>
const gf_op_def* const* op_table(uint32_t* n_ops) {
  // Built on first call, i.e. after the host accepted the ABI version.
  static const std::array<const gf_op_def*, sizeof...(Ops)> table{op_definition<Ops>()...};
  *n_ops = static_cast<uint32_t>(table.size());
  return table.data();
}

template <const gf_op_def* (*... Defs)()>
const gf_op_def* const* def_table(uint32_t* n_ops) {
  static const std::array<const gf_op_def*, sizeof...(Defs)> table{Defs()...};
  *n_ops = static_cast<uint32_t>(table.size());
  return table.data();
}

}  // namespace gradflow::detail

namespace gradflow {

// The C description of op class T, built on first use and kept for the life of the process.
// GRADFLOW_PLUGIN uses it; so can tests, to drive an op without building a plugin.
template <class T>
const gf_op_def* op_definition() {
  static const auto* definition = new detail::OpDefinition<T>();
  return &definition->def;
}

}  // namespace gradflow
