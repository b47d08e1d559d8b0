// Planning a graph: stage two (ops, arity, attributes), stage three (topological order with
// Boost.Graph, cycles reported with their nodes), stage four (shapes and parameters, then the
// backward plan). Each stage reports all of its problems before the next one runs.
#include <gradflow/model.hpp>

#include "graph/attribute_check.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

namespace gradflow {
namespace {

constexpr const char* kBuiltinPluginName = "gradflow-builtin";

using DiGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

std::string node_label(const NodeSpec& n) {
  return "nodes[" + std::to_string(n.index) + "] '" + n.name + "'";
}

// Finds one cycle for the message: depth-first search with colours over the node graph.
std::vector<size_t> find_cycle(const std::vector<std::vector<size_t>>& successors) {
  size_t n = successors.size();
  std::vector<int> colour(n, 0);
  std::vector<size_t> parent(n, SIZE_MAX);
  for (size_t start = 0; start < n; ++start) {
    if (colour[start]) continue;
    // Iterative DFS so that a long chain cannot overflow the stack.
    std::vector<std::pair<size_t, size_t>> stack{{start, 0}};
    colour[start] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < successors[v].size()) {
        size_t w = successors[v][next++];
        if (colour[w] == 1) {
          std::vector<size_t> cycle{w};
          for (size_t u = v; u != w; u = parent[u]) cycle.push_back(u);
          std::reverse(cycle.begin() + 1, cycle.end());
          return cycle;
        }
        if (colour[w] == 0) {
          colour[w] = 1;
          parent[w] = v;
          stack.push_back({w, 0});
        }
      } else {
        colour[v] = 2;
        stack.pop_back();
      }
    }
  }
  return {};
}

// Describes every tensor of a node (output per sample, parameters) above kMaxSampleElements,
// or returns "". Products are taken in double so that no shape can overflow them.
std::string oversized_tensors(const std::string& node, const gf_node_info& info) {
  auto elements = [](const gf_shape& s) {
    double n = 1;
    for (uint32_t d = 0; d < s.rank; ++d) n *= static_cast<double>(s.dims[d]);
    return n;
  };
  auto count = [](double n) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", n);
    return std::string(text);
  };
  const double limit = static_cast<double>(kMaxSampleElements);
  std::string problems;
  auto report = [&](const std::string& what, const gf_shape& s) {
    double n = elements(s);
    if (n <= limit) return;
    problems += (problems.empty() ? "" : "; ") + what + " " + shape_to_string(from_gf_shape(s)) +
                " has " + count(n) + " elements";
  };
  report("output", info.out_shape);
  for (uint32_t p = 0; p < info.n_params; ++p) {
    char name[sizeof(info.params[p].name) + 1] = {};
    std::memcpy(name, info.params[p].name, sizeof(info.params[p].name));
    report("parameter " + node + "." + name, info.params[p].shape);
  }
  if (!problems.empty())
    problems += ", above the limit of " + std::to_string(kMaxSampleElements) + " per tensor";
  return problems;
}

}  // namespace

Model::Model(const GraphSpec& spec) : spec_(spec) {}

Model::~Model() {
  for (auto& n : nodes_)
    if (n.instance && n.op) n.op->def->destroy(n.instance);
}

int Model::value_index(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i)
    if (values_[i].name == name) return static_cast<int>(i);
  return -1;
}

int Model::input_value(const std::string& name) const {
  int i = value_index(name);
  return (i >= 0 && values_[i].producer < 0) ? i : -1;
}

std::unique_ptr<Model> Model::plan(const GraphSpec& spec, const OpRegistry& registry,
                                   const PlanOptions& options) {
  std::unique_ptr<Model> model(new Model(spec));
  const GraphSpec& g = model->spec_;  // the model's own copy: NodeSpec pointers stay valid
  const std::string& file = g.path;

  // Stage two: every op known, right number of inputs, attributes valid.
  DiagnosticList diags;
  std::vector<CheckedAttrs> attrs(g.nodes.size());
  std::vector<const OpEntry*> ops(g.nodes.size(), nullptr);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeSpec& n = g.nodes[i];
    const OpEntry* op = registry.find(n.op);
    if (!op) {
      std::string message = node_label(n) + ": unknown op '" + n.op + "'";
      std::string guess = closest_match(n.op, registry.op_names());
      if (!guess.empty()) message += " (did you mean '" + guess + "'?)";
      message += "; known ops:";
      for (const auto& name : registry.op_names()) message += " " + name;
      message += "; plugins loaded:";
      for (const auto& p : registry.plugin_paths()) message += " " + p;
      if (registry.plugin_paths().empty()) message += " none";
      diags.error(n.op_where, message);
      continue;
    }
    ops[i] = op;
    const gf_op_def& def = *op->def;
    if (n.inputs.size() != def.n_inputs) {
      std::string ports;
      for (uint32_t p = 0; p < def.n_inputs; ++p)
        ports += (p ? ", " : "") + std::string(def.input_names[p]);
      diags.error(n.where, node_label(n) + ": " + def.name + " takes " +
                               std::to_string(def.n_inputs) + " input(s) [" + ports + "], got " +
                               std::to_string(n.inputs.size()));
    }
    attrs[i] = check_attributes(n, def, file, diags);
  }
  diags.throw_if_any();

  // Stage three: order. Vertices are node indices; edges run producer -> consumer.
  std::map<std::string, size_t> node_of;
  for (size_t i = 0; i < g.nodes.size(); ++i) node_of[g.nodes[i].name] = i;
  DiGraph dag(g.nodes.size());
  std::vector<std::vector<size_t>> successors(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (auto it = node_of.find(in); it != node_of.end()) {
        boost::add_edge(it->second, i, dag);
        successors[it->second].push_back(i);
      }
  std::vector<size_t> reverse_order;
  try {
    boost::topological_sort(dag, std::back_inserter(reverse_order));
  } catch (const boost::not_a_dag&) {
    std::vector<size_t> cycle = find_cycle(successors);
    std::string path;
    for (size_t v : cycle) path += g.nodes[v].name + " -> ";
    path += cycle.empty() ? "?" : g.nodes[cycle.front()].name;
    SourceLocation where =
        cycle.empty() ? SourceLocation{file, 0, 0} : g.nodes[cycle.front()].where;
    throw InputError(where, "the graph has a cycle: " + path);
  }
  std::vector<size_t> order(reverse_order.rbegin(), reverse_order.rend());

  // Stage four: values, shapes and parameters, in execution order.
  for (const auto& in : g.inputs) {
    Value v;
    v.name = in.name;
    v.shape = in.shape;
    model->values_.push_back(std::move(v));
  }
  std::vector<bool> failed(g.nodes.size(), false);
  std::map<std::string, int> value_of;
  for (size_t i = 0; i < model->values_.size(); ++i)
    value_of[model->values_[i].name] = static_cast<int>(i);

  for (size_t i : order) {
    const NodeSpec& n = g.nodes[i];
    const gf_op_def& def = *ops[i]->def;
    PlannedNode planned;
    planned.spec = &n;
    planned.op = ops[i];
    bool inputs_ok = true;
    std::vector<gf_shape> in_shapes;
    std::string inputs_text;
    for (const auto& in : n.inputs) {
      auto it = value_of.find(in);
      if (it == value_of.end()) {  // its producer failed: already reported
        inputs_ok = false;
        continue;
      }
      const Value& v = model->values_[it->second];
      if (!v.batched) {
        diags.error(n.where, node_label(n) + ": input '" + in + "' is a loss (a batch-mean " +
                                 "scalar); only per-sample values can feed other nodes");
        inputs_ok = false;
        continue;
      }
      planned.inputs.push_back(it->second);
      in_shapes.push_back(to_gf_shape(v.shape));
      inputs_text += (inputs_text.empty() ? "" : ", ") + std::string("'") + in + "' " +
                     shape_to_string(v.shape);
    }
    if (!inputs_ok) {
      failed[i] = true;
      continue;
    }
    gf_node_info info{};
    info.struct_size = sizeof(gf_node_info);
    gf_error err{};
    void* instance = nullptr;
    int rc = def.create(attrs[i].values.data(), static_cast<uint32_t>(attrs[i].values.size()),
                        in_shapes.data(), static_cast<uint32_t>(in_shapes.size()), &info, &instance,
                        &err);
    if (rc != GF_OK || !instance) {
      err.message[GF_ERROR_CAPACITY - 1] = '\0';
      // Third-party ops are named with their file: the author needs to know which build failed.
      std::string origin = ops[i]->plugin_name == kBuiltinPluginName
                               ? std::string()
                               : " [plugin " + ops[i]->plugin_path + "]";
      diags.error(n.where, node_label(n) + " (" + def.name + "): " + err.message +
                               (inputs_text.empty() ? "" : "; inputs: " + inputs_text) + origin);
      failed[i] = true;
      continue;
    }
    planned.instance = instance;
    if (info.out_shape.rank > GF_MAX_RANK || info.n_params > GF_MAX_PARAMS) {
      diags.error(n.where, node_label(n) + ": op " + def.name + " (" + ops[i]->plugin_path +
                               ") returned a malformed node description");
      model->nodes_.push_back(std::move(planned));
      failed[i] = true;
      continue;
    }
    // Sizes come from the file (out_features: 10000000 on a wide input); catching them here
    // gives the node's line, where allocate() could only name the whole graph.
    if (std::string big = oversized_tensors(n.name, info); !big.empty()) {
      diags.error(n.where, node_label(n) + " (" + def.name + "): " + big +
                               (inputs_text.empty() ? "" : "; inputs: " + inputs_text));
      model->nodes_.push_back(std::move(planned));
      failed[i] = true;
      continue;
    }
    Value out;
    out.name = n.name;
    out.shape = from_gf_shape(info.out_shape);
    out.batched = info.out_batched != 0;
    out.producer = static_cast<int>(model->nodes_.size());
    planned.output = static_cast<int>(model->values_.size());
    value_of[n.name] = planned.output;
    model->values_.push_back(std::move(out));
    for (uint32_t p = 0; p < info.n_params; ++p) {
      Parameter param;
      info.params[p].name[sizeof(info.params[p].name) - 1] = '\0';
      param.name = n.name + "." + info.params[p].name;
      param.node = static_cast<int>(model->nodes_.size());
      param.shape = from_gf_shape(info.params[p].shape);
      param.init = info.params[p].init;
      planned.params.push_back(static_cast<int>(model->params_.size()));
      model->params_.push_back(std::move(param));
    }
    model->nodes_.push_back(std::move(planned));
  }
  diags.throw_if_any();

  for (size_t k = 0; k < model->nodes_.size(); ++k)
    for (int v : model->nodes_[k].inputs)
      model->values_[v].consumers.push_back(static_cast<int>(k));

  // Losses must be scalars; predict must be per-sample.
  for (const auto& term : g.loss) {
    const Value& v = model->values_[value_of.at(term.node)];
    const PlannedNode& producer = model->nodes_[v.producer];
    if (v.batched || !v.shape.empty())
      diags.error(term.where, "loss '" + term.node + "' is not a scalar: node '" + term.node +
                                  "' (" + producer.op->def->name + ") outputs " +
                                  shape_to_string(v.shape) + " per sample; a loss must be an op " +
                                  "such as CrossEntropy, MSE or SVM that reduces the batch");
    else
      model->losses_.push_back({value_of.at(term.node), term.weight});
  }
  if (!g.predict.empty()) {
    model->predict_ = value_of.at(g.predict);
    if (!model->values_[model->predict_].batched)
      diags.error(g.predict_where, "'predict' names '" + g.predict +
                                       "', a batch-mean scalar; it must be a per-sample output");
  }
  diags.throw_if_any();

  // The backward plan: a value needs a gradient if it depends on something trainable (or on
  // an input whose gradient was asked for) and some loss depends on it.
  std::vector<bool> depends_on_trainable(model->values_.size(), false);
  for (const auto& name : options.input_grads) {
    int v = model->input_value(name);
    if (v >= 0) depends_on_trainable[v] = true;
  }
  for (auto& node : model->nodes_) {
    bool any = !node.params.empty();
    for (int v : node.inputs) any = any || depends_on_trainable[v];
    depends_on_trainable[node.output] = any;
  }
  std::vector<bool> feeds_loss(model->values_.size(), false);
  for (auto [v, w] : model->losses_) feeds_loss[v] = true;
  for (auto it = model->nodes_.rbegin(); it != model->nodes_.rend(); ++it)
    if (feeds_loss[it->output])
      for (int v : it->inputs) feeds_loss[v] = true;
  for (size_t v = 0; v < model->values_.size(); ++v)
    model->values_[v].needs_grad = depends_on_trainable[v] && feeds_loss[v];
  for (auto& node : model->nodes_) {
    node.in_backward = model->values_[node.output].needs_grad;
    if (node.in_backward && !node.op->def->backward)
      diags.error(node.spec->where, node_label(*node.spec) + ": op " + node.op->def->name +
                                        " is not differentiable, but the loss needs the gradient "
                                        "through it (plugin " +
                                        node.op->plugin_path + ")");
  }
  diags.throw_if_any();
  // Each tensor may be within its limit and the sum still far beyond memory (thousands of
  // wide nodes); a graph that cannot run even one sample is a bad graph, not a late failure.
  model->check_buffer_limit(1);

  // Softmax -> CrossEntropy fusion, when the Softmax output feeds nothing else that needs a
  // gradient (other consumers, such as `predict`, only read it).
  for (auto& node : model->nodes_) {
    if (std::string(node.op->def->name) != "CrossEntropy" || !node.in_backward) continue;
    const Value& probs = model->values_[node.inputs[0]];
    if (probs.producer < 0) continue;
    PlannedNode& softmax = model->nodes_[probs.producer];
    if (std::string(softmax.op->def->name) != "Softmax") continue;
    bool only_consumer = true;
    for (int c : probs.consumers)
      if (&model->nodes_[c] != &node && model->nodes_[c].in_backward) only_consumer = false;
    if (!only_consumer || probs.shape.size() != 1) continue;
    node.fused_softmax = probs.producer;
    softmax.fused_away = true;
  }
  return model;
}

}  // namespace gradflow
