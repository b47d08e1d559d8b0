#include "op_harness.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

namespace gftest {

namespace {

const gf_plugin* load_plugin() {
  void* handle = dlopen(GRADFLOW_BUILTIN_OPS, RTLD_NOW | RTLD_LOCAL);
  if (!handle) FAIL("dlopen(" GRADFLOW_BUILTIN_OPS ") failed: " << dlerror());
  // Kept open for the whole process: op tables and instances live in the library.
  auto entry = reinterpret_cast<gf_plugin_entry_fn>(dlsym(handle, GF_PLUGIN_ENTRY_NAME));
  if (!entry) FAIL("no symbol " GF_PLUGIN_ENTRY_NAME " in " GRADFLOW_BUILTIN_OPS);
  const gf_plugin* p = entry();
  REQUIRE(p != nullptr);
  REQUIRE(p->struct_size >= sizeof(gf_plugin));
  REQUIRE(p->abi_major == GF_ABI_MAJOR);
  REQUIRE(p->abi_minor <= GF_ABI_MINOR);
  REQUIRE(p->get_ops != nullptr);
  return p;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Shape to_shape(const gf_shape& s) {
  return Shape(s.dims, s.dims + s.rank);
}

gf_shape to_gf(const Shape& s) {
  REQUIRE(s.size() <= GF_MAX_RANK);
  gf_shape out{};
  out.rank = static_cast<uint32_t>(s.size());
  std::copy(s.begin(), s.end(), out.dims);
  return out;
}

gf_attr_value parse_default(const gf_attr_spec& spec) {
  INFO("attribute '" << spec.name << "' default '" << spec.default_text << "'");
  const std::string text = spec.default_text;
  char* end = nullptr;
  switch (spec.type) {
    case GF_ATTR_INT: {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      REQUIRE(*end == '\0');
      return int_attr(spec.name, v);
    }
    case GF_ATTR_FLOAT: {
      const double v = std::strtod(text.c_str(), &end);
      REQUIRE(*end == '\0');
      return float_attr(spec.name, v);
    }
    case GF_ATTR_BOOL:
      REQUIRE((text == "true" || text == "false"));
      return bool_attr(spec.name, text == "true");
    case GF_ATTR_INIT:
      REQUIRE((text == "xavier" || text == "zeros"));
      return init_attr(spec.name, text == "xavier" ? GF_INIT_XAVIER : GF_INIT_ZEROS);
    default:
      FAIL("unexpected attribute type " << spec.type);
  }
  return {};
}

std::vector<gf_tensor> c_tensors(const std::vector<Tensor>& ts) {
  std::vector<gf_tensor> out;
  for (const auto& t : ts) out.push_back(t.c());
  return out;
}

}  // namespace

const gf_plugin& plugin() {
  static const gf_plugin* p = load_plugin();
  return *p;
}

std::vector<std::string> op_names() {
  uint32_t n = 0;
  const gf_op_def* const* ops = plugin().get_ops(&n);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < n; ++i) names.emplace_back(ops[i]->name);
  return names;
}

const gf_op_def& op_def(const std::string& name) {
  uint32_t n = 0;
  const gf_op_def* const* ops = plugin().get_ops(&n);
  for (uint32_t i = 0; i < n; ++i)
    if (name == ops[i]->name) return *ops[i];
  FAIL("op " << name << " not found in the plugin");
  throw std::logic_error("unreachable");
}

gf_attr_value int_attr(const char* name, int64_t value) {
  gf_attr_value v{};
  v.name = name;
  v.type = GF_ATTR_INT;
  v.i = value;
  return v;
}

gf_attr_value float_attr(const char* name, double value) {
  gf_attr_value v{};
  v.name = name;
  v.type = GF_ATTR_FLOAT;
  v.f = value;
  return v;
}

gf_attr_value bool_attr(const char* name, bool value) {
  gf_attr_value v{};
  v.name = name;
  v.type = GF_ATTR_BOOL;
  v.i = value ? 1 : 0;
  return v;
}

gf_attr_value init_attr(const char* name, gf_init_kind kind, double value) {
  gf_attr_value v{};
  v.name = name;
  v.type = GF_ATTR_INIT;
  v.init.kind = kind;
  v.init.value = value;
  return v;
}

// The plugin's entry points of either ABI version, called the way the host calls them.
int create_op(const gf_op_def& def, const std::vector<gf_attr_value>& values,
              const std::vector<gf_shape>& shapes, gf_node_info* info, void** instance,
              gf_error* err) {
  if (!def.create_ex)
    return def.create(values.data(), static_cast<uint32_t>(values.size()), shapes.data(),
                      static_cast<uint32_t>(shapes.size()), info, instance, err);
  std::vector<gf_attr_list> lists(values.size());
  gf_create_args args{};
  args.struct_size = sizeof args;
  args.attrs = values.data();
  args.n_attrs = static_cast<uint32_t>(values.size());
  args.lists = lists.data();
  args.in_shapes = shapes.data();
  args.n_inputs = static_cast<uint32_t>(shapes.size());
  return def.create_ex(&args, info, instance, err);
}

gf_call make_call(const std::vector<gf_tensor>& in, const std::vector<gf_tensor>& ps,
                  const gf_tensor* out) {
  gf_call call{};
  call.struct_size = sizeof call;
  call.inputs = in.data();
  call.n_inputs = static_cast<uint32_t>(in.size());
  call.params = ps.data();
  call.n_params = static_cast<uint32_t>(ps.size());
  call.out = out;
  return call;
}

std::vector<gf_attr_value> complete_attrs(const gf_op_def& def,
                                          const std::vector<gf_attr_value>& given) {
  std::vector<gf_attr_value> out;
  for (uint32_t i = 0; i < def.n_attrs; ++i) {
    const gf_attr_spec& spec = def.attrs[i];
    auto it = std::find_if(given.begin(), given.end(), [&](const gf_attr_value& v) {
      return std::strcmp(v.name, spec.name) == 0;
    });
    if (it != given.end()) {
      out.push_back(*it);
      out.back().name = spec.name;
    } else if (spec.default_text) {
      out.push_back(parse_default(spec));
    }
  }
  return out;
}

CreateResult try_create(const std::string& op, const std::vector<Shape>& in_shapes,
                        const std::vector<gf_attr_value>& attrs) {
  const gf_op_def& def = op_def(op);
  const std::vector<gf_attr_value> values = complete_attrs(def, attrs);
  std::vector<gf_shape> shapes;
  for (const auto& s : in_shapes) shapes.push_back(to_gf(s));
  gf_node_info info{};
  info.struct_size = sizeof info;
  void* instance = nullptr;
  gf_error err{};
  CreateResult result;
  result.rc = create_op(def, values, shapes, &info, &instance, &err);
  if (result.rc == GF_OK) {
    REQUIRE(instance != nullptr);
    def.destroy(instance);
  } else {
    result.message = err.message;
  }
  return result;
}

Tensor Tensor::zeros(const Shape& shape, int64_t batch) {
  Tensor t;
  t.shape = shape;
  t.batch = batch;
  t.values.assign(static_cast<size_t>(numel(shape) * std::max<int64_t>(batch, 1)), 0.0f);
  return t;
}

Tensor Tensor::of(const Shape& shape, int64_t batch, std::vector<float> values) {
  Tensor t = zeros(shape, batch);
  REQUIRE(values.size() == t.values.size());
  t.values = std::move(values);
  return t;
}

Tensor Tensor::from_shape(const gf_shape& shape, int64_t batch) {
  return zeros(to_shape(shape), batch);
}

gf_tensor Tensor::c() const {
  gf_tensor t{};
  t.data = values.empty() ? nullptr : const_cast<float*>(values.data());
  t.batch = batch;
  t.shape = to_gf(shape);
  return t;
}

Tensor random_tensor(const Shape& shape, int64_t batch, float lo, float hi, uint32_t seed) {
  Tensor t = Tensor::zeros(shape, batch);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.values) v = dist(rng);
  return t;
}

Tensor one_hot(const std::vector<int>& classes, int64_t n_classes) {
  Tensor t = Tensor::zeros({n_classes}, static_cast<int64_t>(classes.size()));
  for (size_t r = 0; r < classes.size(); ++r) t[r * n_classes + classes[r]] = 1.0f;
  return t;
}

Node::Node(const std::string& op, const std::vector<Shape>& in_shapes,
           const std::vector<gf_attr_value>& attrs, int64_t max_batch)
    : def_(&op_def(op)), in_shapes_(in_shapes) {
  const std::vector<gf_attr_value> values = complete_attrs(*def_, attrs);
  std::vector<gf_shape> shapes;
  for (const auto& s : in_shapes) shapes.push_back(to_gf(s));
  info_.struct_size = sizeof info_;
  gf_error err{};
  const int rc = create_op(*def_, values, shapes, &info_, &instance_, &err);
  INFO("create " << op << ": " << err.message);
  REQUIRE(rc == GF_OK);
  REQUIRE(instance_ != nullptr);
  if (def_->reserve) REQUIRE(def_->reserve(instance_, max_batch, &err) == GF_OK);
  for (uint32_t i = 0; i < info_.n_params; ++i)
    params.push_back(Tensor::from_shape(info_.params[i].shape, 0));
}

namespace {

struct ExplainHost {
  Explanation* result;
  int accept;
};

int collect_formula(void* host, uint32_t kind, uint32_t index, const char* text) {
  auto* h = static_cast<ExplainHost*>(host);
  if (h->accept >= 0 && static_cast<int>(h->result->formulas.size()) >= h->accept) return GF_FAIL;
  h->result->formulas.push_back({kind, index, text});
  return GF_OK;
}

}  // namespace

Explanation Node::explain(int accept) const {
  Explanation result;
  REQUIRE(def_->explain != nullptr);
  std::vector<std::string> names;
  for (size_t i = 0; i < in_shapes_.size(); ++i) names.push_back("in" + std::to_string(i));
  std::vector<gf_explain_tensor> inputs, params;
  for (size_t i = 0; i < in_shapes_.size(); ++i)
    inputs.push_back({names[i].c_str(), to_gf(in_shapes_[i]), 1});
  for (uint32_t i = 0; i < info_.n_params; ++i)
    params.push_back({info_.params[i].name, info_.params[i].shape, 0});
  ExplainHost host{&result, accept};
  gf_explain ex{};
  ex.struct_size = sizeof ex;
  ex.node = "node";
  ex.inputs = inputs.data();
  ex.n_inputs = static_cast<uint32_t>(inputs.size());
  ex.params = params.data();
  ex.n_params = info_.n_params;
  ex.out = {"node", info_.out_shape, info_.out_batched};
  ex.host = &host;
  ex.write = &collect_formula;
  gf_error err{};
  result.rc = def_->explain(instance_, &ex, &err);
  result.message = err.message;
  return result;
}

Node::~Node() {
  if (instance_) def_->destroy(instance_);
}

Tensor Node::make_output(int64_t batch) const {
  return Tensor::from_shape(info_.out_shape, info_.out_batched ? batch : 0);
}

std::vector<Tensor> Node::zero_param_grads() const {
  std::vector<Tensor> grads;
  for (const auto& p : params) grads.push_back(Tensor::zeros(p.shape, 0));
  return grads;
}

Tensor Node::forward(const std::vector<Tensor>& inputs) {
  REQUIRE(!inputs.empty());
  Tensor out = make_output(inputs[0].batch);
  forward_into(inputs, out);
  return out;
}

void Node::forward_into(const std::vector<Tensor>& inputs, Tensor& out) {
  REQUIRE(inputs.size() == in_shapes_.size());
  const std::vector<gf_tensor> in = c_tensors(inputs);
  const std::vector<gf_tensor> ps = c_tensors(params);
  gf_tensor o = out.c();
  gf_error err{};
  const long before = allocation_count();
  const gf_call call = make_call(in, ps, &o);
  const int rc = def_->forward_ex ? def_->forward_ex(instance_, &call, &err)
                                  : def_->forward(instance_, in.data(), call.n_inputs, ps.data(),
                                                  call.n_params, &o, &err);
  const long allocations = allocation_count() - before;
  INFO("forward " << def_->name << ": " << err.message);
  REQUIRE(rc == GF_OK);
  CHECK(allocations == 0);
}

void Node::backward(const std::vector<Tensor>& inputs, const Tensor& out, const Tensor& out_grad,
                    std::vector<Tensor>& in_grads, std::vector<Tensor>& param_grads) {
  REQUIRE((def_->backward != nullptr || def_->backward_ex != nullptr));
  REQUIRE(in_grads.size() == inputs.size());
  REQUIRE(param_grads.size() == params.size());
  const std::vector<gf_tensor> in = c_tensors(inputs);
  const std::vector<gf_tensor> ps = c_tensors(params);
  std::vector<gf_tensor> ig = c_tensors(in_grads);
  std::vector<gf_tensor> pg = c_tensors(param_grads);
  const gf_tensor o = out.c();
  const gf_tensor og = out_grad.c();
  gf_error err{};
  const long before = allocation_count();
  gf_call call = make_call(in, ps, &o);
  call.out_grad = &og;
  call.in_grads = ig.data();
  call.param_grads = pg.data();
  const int rc = def_->backward_ex
                     ? def_->backward_ex(instance_, &call, &err)
                     : def_->backward(instance_, in.data(), call.n_inputs, ps.data(), call.n_params,
                                      &o, &og, ig.data(), pg.data(), &err);
  const long allocations = allocation_count() - before;
  INFO("backward " << def_->name << ": " << err.message);
  REQUIRE(rc == GF_OK);
  CHECK(allocations == 0);
}

Tensor objective_weights(const Node& node, const Tensor& out, uint32_t seed) {
  if (node.is_loss()) return Tensor::of(out.shape, out.batch, {1.0f});
  return random_tensor(out.shape, out.batch, -1.0f, 1.0f, seed);
}

double objective(const Tensor& out, const Tensor& weights) {
  double sum = 0.0;
  for (size_t i = 0; i < out.size(); ++i) sum += static_cast<double>(out[i]) * weights[i];
  return sum;
}

Grads gradients(Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& wrt,
                const Tensor& out_grad) {
  Grads g;
  for (size_t i = 0; i < inputs.size(); ++i)
    g.inputs.push_back(wrt.at(i) ? Tensor::zeros(inputs[i].shape, inputs[i].batch)
                                 : Tensor::none());
  g.params = node.zero_param_grads();
  const Tensor out = node.forward(inputs);
  node.backward(inputs, out, out_grad, g.inputs, g.params);
  return g;
}

namespace {

void compare(const std::string& what, size_t index, double analytic, double numeric,
             const GradCheck& options) {
  const double tolerance =
      options.atol + options.rtol * std::max(std::abs(analytic), std::abs(numeric));
  INFO(what << "[" << index << "]: analytic " << analytic << ", numeric " << numeric);
  CHECK(std::abs(analytic - numeric) <= tolerance);
}

double numeric_derivative(Node& node, std::vector<Tensor>& inputs, float& value,
                          const Tensor& weights, float eps) {
  const float saved = value;
  value = saved + eps;
  const double plus = objective(node.forward(inputs), weights);
  value = saved - eps;
  const double minus = objective(node.forward(inputs), weights);
  value = saved;
  return (plus - minus) / (2.0 * static_cast<double>(eps));
}

}  // namespace

void check_gradients(Node& node, std::vector<Tensor> inputs, const std::vector<bool>& wrt,
                     const GradCheck& options) {
  const Tensor out = node.forward(inputs);
  const Tensor weights = objective_weights(node, out, options.seed);
  const Grads g = gradients(node, inputs, wrt, weights);

  size_t checked = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!wrt[i]) continue;
    for (size_t k = 0; k < inputs[i].size(); ++k, ++checked)
      compare(std::string(node.def().input_names[i]), k, g.inputs[i][k],
              numeric_derivative(node, inputs, inputs[i].values[k], weights, options.eps), options);
  }
  for (size_t p = 0; p < node.params.size(); ++p)
    for (size_t k = 0; k < node.params[p].size(); ++k, ++checked)
      compare(std::string(node.info().params[p].name), k, g.params[p][k],
              numeric_derivative(node, inputs, node.params[p].values[k], weights, options.eps),
              options);
  // Guards against a check that silently compared nothing.
  CHECK(checked > 0);
}

void check_backward_adds(Node& node, const std::vector<Tensor>& inputs,
                         const std::vector<bool>& wrt) {
  const Tensor out = node.forward(inputs);
  const Tensor weights = objective_weights(node, out, 11);
  const Grads once = gradients(node, inputs, wrt, weights);

  Grads twice = gradients(node, inputs, wrt, weights);
  node.backward(inputs, out, weights, twice.inputs, twice.params);

  Grads prefilled;
  for (size_t i = 0; i < inputs.size(); ++i)
    prefilled.inputs.push_back(wrt[i] ? random_tensor(inputs[i].shape, inputs[i].batch, -1, 1,
                                                      static_cast<uint32_t>(100 + i))
                                      : Tensor::none());
  for (size_t p = 0; p < node.params.size(); ++p)
    prefilled.params.push_back(
        random_tensor(node.params[p].shape, 0, -1, 1, static_cast<uint32_t>(200 + p)));
  const Grads start = prefilled;
  node.backward(inputs, out, weights, prefilled.inputs, prefilled.params);

  auto check_pair = [](const Tensor& base, const Tensor& one, const Tensor& two,
                       const Tensor& added, const std::string& what) {
    for (size_t k = 0; k < one.size(); ++k) {
      INFO(what << "[" << k << "]");
      CHECK(two[k] == Approx(2.0f * one[k]).margin(1e-5));
      CHECK(added[k] == Approx(base[k] + one[k]).margin(1e-5));
    }
  };
  bool any_nonzero = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!wrt[i]) continue;
    check_pair(start.inputs[i], once.inputs[i], twice.inputs[i], prefilled.inputs[i],
               node.def().input_names[i]);
    for (float v : once.inputs[i].values) any_nonzero = any_nonzero || v != 0.0f;
  }
  for (size_t p = 0; p < node.params.size(); ++p) {
    check_pair(start.params[p], once.params[p], twice.params[p], prefilled.params[p],
               node.info().params[p].name);
    for (float v : once.params[p].values) any_nonzero = any_nonzero || v != 0.0f;
  }
  // All-zero gradients would make "adds" indistinguishable from "does nothing".
  CHECK(any_nonzero);
}

}  // namespace gftest
