// One op instance under test, created with input shapes and attributes as a graph node would
// be, with its parameters drawn from their declared initialisers. Every call runs on guarded
// copies of the tensors (see graph.hpp). Part of <gradflow/testing.hpp>.
#pragma once

#include <gradflow/detail/abi_calls.hpp>
#include <gradflow/detail/init_fill.hpp>
#include <gradflow/testing/attributes.hpp>
#include <gradflow/testing/graph.hpp>
#include <gradflow/testing/op_handle.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gradflow::testing {

struct NodeOptions {
  int64_t max_batch = 64;  // what reserve() is told
  uint64_t seed = 1;       // the node's random stream (create) and its parameters' draw
};

struct CreateResult {
  bool ok = false;
  std::string message;  // the op's own message when create() failed
};

namespace detail {

inline gf_shape pack(const Shape& s) {
  if (s.size() > GF_MAX_RANK) throw TestError("shape " + shape_text(s) + " has too many dims");
  gf_shape out{};
  out.rank = static_cast<uint32_t>(s.size());
  for (size_t d = 0; d < s.size(); ++d) out.dims[d] = s[d];
  return out;
}

// Calls create() as the host does; returns the instance or null with the op's message.
inline void* create_instance(const OpHandle& op, const std::vector<Shape>& in_shapes,
                             const std::vector<Attr>& attrs, uint64_t seed, gf_node_info* info,
                             std::string* message, bool check_ranges = true) {
  const AttrValues values(op.def(), attrs, check_ranges);
  std::vector<gf_shape> shapes;
  for (const auto& s : in_shapes) shapes.push_back(pack(s));
  gf_create_args args{};
  args.struct_size = sizeof args;
  args.attrs = values.data();
  args.n_attrs = values.size();
  args.lists = values.lists();
  args.in_shapes = shapes.data();
  args.n_inputs = static_cast<uint32_t>(shapes.size());
  args.seed = seed;
  *info = gf_node_info{};
  info->struct_size = sizeof(gf_node_info);
  void* instance = nullptr;
  gf_error err{};
  const int rc = gradflow::detail::call_create(op.def(), args, info, &instance, &err);
  err.message[GF_ERROR_CAPACITY - 1] = '\0';
  if (rc == GF_OK && instance) return instance;
  *message = rc == GF_OK ? "create() returned no instance" : err.message;
  return nullptr;
}

}  // namespace detail

enum class Ranges { checked, unchecked };

// Runs create() and destroys what it made: for tests of what an op rejects. Ranges::unchecked
// hands the op attribute values outside its declared ranges, which graph-runner never does,
// to test the op's own defence against them.
inline CreateResult try_create(const OpHandle& op, const std::vector<Shape>& in_shapes,
                               const std::vector<Attr>& attrs = {},
                               Ranges ranges = Ranges::checked) {
  gf_node_info info{};
  CreateResult r;
  void* instance = detail::create_instance(op, in_shapes, attrs, 1, &info, &r.message,
                                           ranges == Ranges::checked);
  r.ok = instance != nullptr;
  if (instance) op.def().destroy(instance);
  return r;
}

// Gradients a backward produced: one per input (empty where not wanted), one per parameter.
struct Grads {
  std::vector<Tensor> inputs;
  std::vector<Tensor> params;
};

class Node {
 public:
  // Throws TestError with the op's message when create() or reserve() fails.
  Node(OpHandle op, std::vector<Shape> in_shapes, std::vector<Attr> attrs = {},
       NodeOptions options = {})
      : op_(std::move(op)), in_shapes_(std::move(in_shapes)), options_(options) {
    std::string message;
    instance_ = detail::create_instance(op_, in_shapes_, attrs, options.seed, &info_, &message);
    if (!instance_) throw TestError(label() + ": create() failed: " + message);
    gf_error err{};
    if (op_.def().reserve && op_.def().reserve(instance_, options.max_batch, &err) != GF_OK) {
      err.message[GF_ERROR_CAPACITY - 1] = '\0';
      throw TestError(label() + ": reserve() failed: " + err.message);
    }
    draw(info_.params, info_.n_params, params, "param/");
    if (info_.struct_size >= sizeof(gf_node_info))
      draw(info_.state, info_.n_state, state, "state/");
  }
  ~Node() {
    if (instance_) op_.def().destroy(instance_);
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const OpHandle& op() const { return op_; }
  const gf_node_info& info() const { return info_; }
  bool is_loss() const { return op_.is_loss(); }
  const std::vector<Shape>& input_shapes() const { return in_shapes_; }
  std::string label() const { return "op " + op_.name(); }
  void* instance() const { return instance_; }  // what the op's C entry points are handed

  std::vector<Tensor> params;  // drawn from the declared inits; a test may overwrite them
  std::vector<Tensor> state;   // kept across calls, as the host keeps it across steps
  bool training = true;
  uint64_t seed = 1;  // the stream of the next call (ForwardContext::seed comes from it)
  const gf_host* host = nullptr;  // what the op sees as the host (null: one thread)

  Tensor forward(const std::vector<Tensor>& inputs) {
    Tensor out = output_for(inputs);
    forward_into(inputs, out);
    return out;
  }
  void forward_into(const std::vector<Tensor>& inputs, Tensor& out) {
    auto g = graph(inputs, std::vector<bool>(inputs.size(), false), false);
    g->forward();
    out.values = g->slot(g->output()).value.values();
    keep_state(*g);
  }
  // in_grads[i] / param_grads[p]: empty = not wanted; otherwise added into, as the host does.
  void backward(const std::vector<Tensor>& inputs, const Tensor& out, const Tensor& out_grad,
                std::vector<Tensor>& in_grads, std::vector<Tensor>& param_grads) {
    std::vector<bool> wrt;
    for (const auto& g : in_grads) wrt.push_back(!g.empty());
    auto g = graph(inputs, wrt, true);
    g->slot(g->output()).value.assign(out.values);
    g->slot(g->output()).grad.assign(out_grad.values);
    const Step& step = g->steps()[0];
    for (size_t i = 0; i < in_grads.size(); ++i)
      if (wrt[i]) g->slot(step.inputs[i]).grad.assign(in_grads[i].values);
    for (size_t p = 0; p < param_grads.size() && p < step.params.size(); ++p)
      if (!param_grads[p].empty()) g->slot(step.params[p]).grad.assign(param_grads[p].values);
    g->backward();
    for (size_t i = 0; i < in_grads.size(); ++i)
      if (wrt[i]) in_grads[i].values = g->slot(step.inputs[i]).grad.values();
    for (size_t p = 0; p < param_grads.size() && p < step.params.size(); ++p)
      if (!param_grads[p].empty()) param_grads[p].values = g->slot(step.params[p]).grad.values();
    keep_state(*g);
  }
  // forward, then backward from zero gradients with the given upstream gradient.
  Grads gradients(const std::vector<Tensor>& inputs, const std::vector<bool>& wrt,
                  const Tensor& out_grad) {
    Grads g;
    for (size_t i = 0; i < inputs.size(); ++i)
      g.inputs.push_back(wrt.at(i) ? Tensor::zeros(inputs[i].shape, inputs[i].batch) : Tensor());
    for (const auto& p : params) g.params.push_back(Tensor::zeros(p.shape, 0));
    const Tensor out = forward(inputs);
    backward(inputs, out, out_grad, g.inputs, g.params);
    return g;
  }

  // The one-step test graph the checks run, with copies of inputs, parameters and state.
  std::unique_ptr<TestGraph> graph(const std::vector<Tensor>& inputs, const std::vector<bool>& wrt,
                                   bool with_grads) const {
    if (inputs.size() != in_shapes_.size())
      throw TestError(label() + ": " + std::to_string(inputs.size()) + " inputs for a node of " +
                      std::to_string(in_shapes_.size()));
    auto g = std::make_unique<TestGraph>();
    g->batch = inputs.empty() ? 1 : std::max<int64_t>(inputs[0].batch, 1);
    g->training = training;
    g->seed = seed;
    g->host = host;
    std::vector<int> slots;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string port = op_.def().input_names ? op_.def().input_names[i] : "?";
      if (inputs[i].shape != in_shapes_[i])
        throw TestError(label() + ": input '" + port + "' has shape " +
                        shape_text(inputs[i].shape) + "; the node was created for " +
                        shape_text(in_shapes_[i]));
      slots.push_back(g->add_slot(Slot::Kind::input, "input '" + port + "'", inputs[i].shape,
                                  inputs[i].batch > 0, with_grads && wrt.at(i)));
      g->slot(slots.back()).value.assign(checked_values(inputs[i], g->slot(slots.back())));
    }
    add_to(*g, slots, "", with_grads);
    return g;
  }

  // Adds this node to `g` as a step reading `inputs`; `prefix` names it in a bigger graph.
  int add_to(TestGraph& g, const std::vector<int>& inputs, const std::string& prefix,
             bool with_grads) const {
    Step s;
    s.label = prefix.empty() ? label() : prefix + " (" + label() + ")";
    s.inputs = inputs;
    const std::string of = prefix.empty() ? "" : " of " + prefix;
    for (uint32_t p = 0; p < info_.n_params; ++p) {
      s.params.push_back(g.add_slot(Slot::Kind::param,
                                    "parameter '" + std::string(info_.params[p].name) + "'" + of,
                                    to_shape(info_.params[p].shape), false, with_grads));
      g.slot(s.params.back()).value.assign(checked_values(params.at(p), g.slot(s.params.back())));
    }
    for (size_t k = 0; k < state.size(); ++k) {
      s.state.push_back(g.add_slot(Slot::Kind::state,
                                   "state '" + std::string(info_.state[k].name) + "'" + of,
                                   state[k].shape, false, false));
      g.slot(s.state.back()).value.assign(checked_values(state[k], g.slot(s.state.back())));
    }
    s.out = g.add_slot(Slot::Kind::output, prefix.empty() ? "the output" : "the output" + of,
                       to_shape(info_.out_shape), info_.out_batched != 0, with_grads);
    const gf_op_def* def = &op_.def();
    void* instance = instance_;
    s.forward = [def, instance](const gf_call& c, gf_error* e) {
      return gradflow::detail::call_forward(*def, instance, c, e);
    };
    if (op_.differentiable())
      s.backward = [def, instance](const gf_call& c, gf_error* e) {
        return gradflow::detail::call_backward(*def, instance, c, e);
      };
    g.add_step(std::move(s));
    return g.steps().back().out;
  }

 private:
  void draw(const gf_param_decl* decls, uint32_t n, std::vector<Tensor>& into, const char* stream) {
    for (uint32_t k = 0; k < n; ++k) {
      Tensor t = Tensor::zeros(to_shape(decls[k].shape), 0);
      Random rng(mix_seed(options_.seed, std::string(stream) + decls[k].name));
      gradflow::detail::fill_init(t.values.data(), static_cast<int64_t>(t.size()), t.shape,
                                  decls[k].init, rng);
      into.push_back(std::move(t));
    }
  }
  static const std::vector<float>& checked_values(const Tensor& t, const Slot& slot) {
    if (static_cast<int64_t>(t.values.size()) != slot.value.size())
      throw TestError(slot.name + " has " + std::to_string(t.values.size()) +
                      " values; the op expects " + std::to_string(slot.value.size()) + " (" +
                      shape_text(slot.value.shape()) + " x " +
                      std::to_string(std::max<int64_t>(slot.value.batch(), 1)) + ")");
    return t.values;
  }
  Tensor output_for(const std::vector<Tensor>& inputs) const {
    const int64_t batch = inputs.empty() ? 1 : inputs[0].batch;
    return Tensor::zeros(to_shape(info_.out_shape), info_.out_batched ? batch : 0);
  }
  void keep_state(TestGraph& g) {
    const Step& s = g.steps()[0];
    for (size_t k = 0; k < state.size(); ++k) state[k].values = g.slot(s.state[k]).value.values();
  }

  OpHandle op_;
  std::vector<Shape> in_shapes_;
  NodeOptions options_;
  gf_node_info info_{};
  void* instance_ = nullptr;
};

}  // namespace gradflow::testing
