// Asks each node's op for its formulas through gf_explain and fills in the graph's names.
#include <gradflow/explain.hpp>

#include "plots/svg_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace gradflow {
namespace {

constexpr size_t kMaxFormulasPerNode = 64;

struct Written {
  uint32_t kind;
  uint32_t index;
  std::string text;
};

// What the op wrote for one node; the C callback lands here.
struct Collector {
  uint32_t n_inputs = 0, n_params = 0;
  std::vector<Written> items;
};

int collect(void* host, uint32_t kind, uint32_t index, const char* text) {
  auto* c = static_cast<Collector*>(host);
  if (!c || !text || c->items.size() >= kMaxFormulasPerNode) return GF_FAIL;
  const size_t length = strnlen(text, GF_EXPLAIN_MAX_TEXT + 1);
  if (length > GF_EXPLAIN_MAX_TEXT) return GF_FAIL;
  const bool indexed = kind == GF_EXPLAIN_INPUT_GRAD || kind == GF_EXPLAIN_FUSED_GRAD;
  if (kind > GF_EXPLAIN_NOTE || (indexed && index >= c->n_inputs) ||
      (kind == GF_EXPLAIN_PARAM_GRAD && index >= c->n_params))
    return GF_FAIL;
  c->items.push_back({kind, index, svg::clean_text(std::string_view(text, length))});
  return GF_OK;
}

std::string shape_text(const std::vector<int64_t>& shape, bool batched) {
  std::string text = batched ? "B" : "";
  for (int64_t d : shape) text += (text.empty() ? "" : "×") + std::to_string(d);
  return text.empty() ? "scalar" : text;
}

gf_explain_tensor describe(const std::string& name, const std::vector<int64_t>& shape,
                           bool batched) {
  gf_explain_tensor t{};
  t.name = name.c_str();
  t.shape.rank = static_cast<uint32_t>(std::min<size_t>(shape.size(), GF_MAX_RANK));
  for (uint32_t i = 0; i < t.shape.rank; ++i) t.shape.dims[i] = shape[i];
  t.batched = batched ? 1u : 0u;
  return t;
}

// The names an op uses in its formulas, resolved to the graph's tensors of one node.
class Symbols {
 public:
  Symbols(const Model& model, const PlannedNode& node) : model_(model), node_(node) {}

  // Replaces every {placeholder}; records the tensors mentioned for the shape list.
  std::string substitute(const std::string& formula, NodeExplanation& out) const {
    std::string text;
    size_t i = 0;
    while (i < formula.size()) {
      const size_t open = formula.find('{', i);
      const size_t close = open == std::string::npos ? open : formula.find('}', open);
      if (close == std::string::npos) {
        text += formula.substr(i);
        break;
      }
      text += formula.substr(i, open - i);
      text += resolve(formula.substr(open + 1, close - open - 1), out);
      i = close + 1;
    }
    return text;
  }

  std::string gradient_of(int value) const { return "∂L/∂" + model_.values()[value].name; }

  // Inputs in port order, then parameters, then the output, then anything else.
  size_t rank(const std::string& name) const {
    std::vector<std::string> order;
    for (int v : node_.inputs) order.push_back(model_.values()[v].name);
    for (int p : node_.params) order.push_back(model_.parameters()[p].name);
    order.push_back(model_.values()[node_.output].name);
    return static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin());
  }

 private:
  struct Tensor {
    std::string name;
    std::string shape;
  };

  std::string resolve(const std::string& token, NodeExplanation& out) const {
    if (token == "B") return "B";
    std::string rest = token;
    bool grad = false, source = false, shape = false;
    auto take = [&](const char* word, bool& flag) {
      const size_t n = std::strlen(word);
      if (rest.compare(0, n, word) == 0 && rest.size() > n && rest[n] == ' ') {
        flag = true;
        rest = rest.substr(n + 1);
      }
    };
    take("grad", grad);
    take("shape", shape);
    take("source", source);
    std::optional<Tensor> t = lookup(rest, source);
    if (!t) return "{" + token + "}";
    if (std::none_of(out.shapes.begin(), out.shapes.end(),
                     [&](const auto& s) { return s.first == t->name; }))
      out.shapes.emplace_back(t->name, t->shape);
    if (shape) return t->shape;
    return grad ? "∂L/∂" + t->name : t->name;
  }

  std::optional<Tensor> lookup(const std::string& name, bool source) const {
    const gf_op_def& def = *node_.op->def;
    for (size_t i = 0; i < node_.inputs.size() && i < def.n_inputs; ++i) {
      if (!def.input_names || !def.input_names[i] || name != def.input_names[i]) continue;
      int value = node_.inputs[i];
      if (source) {
        const int producer = model_.values()[value].producer;
        if (producer < 0 || model_.nodes()[producer].inputs.size() != 1) return std::nullopt;
        value = model_.nodes()[producer].inputs[0];
      }
      return tensor_of(value);
    }
    if (source) return std::nullopt;
    const std::string prefix = node_.spec->name + ".";
    for (int p : node_.params) {
      const Parameter& param = model_.parameters()[p];
      if (param.name == prefix + name) return Tensor{param.name, shape_text(param.shape, false)};
    }
    if (name == "out") return tensor_of(node_.output);
    return std::nullopt;
  }

  Tensor tensor_of(int value) const {
    const Value& v = model_.values()[value];
    return {v.name, shape_text(v.shape, v.batched)};
  }

  const Model& model_;
  const PlannedNode& node_;
};

Collector ask_op(const Model& model, const PlannedNode& node, NodeExplanation& out) {
  Collector c;
  c.n_inputs = static_cast<uint32_t>(node.inputs.size());
  c.n_params = static_cast<uint32_t>(node.params.size());
  if (!node.op->def->explain) return c;
  std::vector<gf_explain_tensor> inputs, params;
  for (int v : node.inputs) {
    const Value& value = model.values()[v];
    inputs.push_back(describe(value.name, value.shape, value.batched));
  }
  for (int p : node.params) {
    const Parameter& param = model.parameters()[p];
    params.push_back(describe(param.name, param.shape, false));
  }
  const Value& output = model.values()[node.output];
  gf_explain ex{};
  ex.struct_size = sizeof ex;
  ex.node = node.spec->name.c_str();
  ex.inputs = inputs.data();
  ex.n_inputs = c.n_inputs;
  ex.params = params.data();
  ex.n_params = c.n_params;
  ex.out = describe(output.name, output.shape, output.batched);
  ex.host = &c;
  ex.write = &collect;
  gf_error err{};
  const int status = node.op->def->explain(node.instance, &ex, &err);
  if (status == GF_FAIL) {
    err.message[GF_ERROR_CAPACITY - 1] = '\0';
    out.notes.push_back("the op's explain failed: " + svg::clean_text(err.message));
    c.items.clear();
  } else if (status != GF_OK) {
    c.items.clear();
  }
  return c;
}

const Written* find(const Collector& c, uint32_t kind, uint32_t index) {
  for (const auto& w : c.items)
    if (w.kind == kind && w.index == index) return &w;
  return nullptr;
}

// The node whose fused backward replaces this node's own, or nullptr.
const PlannedNode* fusing_consumer(const Model& model, const PlannedNode& node) {
  for (int c : model.values()[node.output].consumers) {
    const PlannedNode& consumer = model.nodes()[c];
    if (consumer.fusion && consumer.inputs[consumer.fusion->input] == node.output) return &consumer;
  }
  return nullptr;
}

void add_backward(const Model& model, const PlannedNode& node, const Collector& c,
                  const Symbols& symbols, NodeExplanation& out) {
  const std::string missing = "no formula declared";
  for (uint32_t i = 0; i < c.n_inputs; ++i) {
    const bool fused = node.fusion && node.fusion->input == i;
    int target = node.inputs[i];
    if (fused) target = model.nodes()[model.values()[target].producer].inputs[0];
    if (!model.values()[target].needs_grad) continue;
    const Written* w = find(c, fused ? GF_EXPLAIN_FUSED_GRAD : GF_EXPLAIN_INPUT_GRAD, i);
    out.backward.push_back(
        {symbols.gradient_of(target), w ? symbols.substitute(w->text, out) : missing});
  }
  for (uint32_t p = 0; p < c.n_params; ++p) {
    const Written* w = find(c, GF_EXPLAIN_PARAM_GRAD, p);
    out.backward.push_back({"∂L/∂" + model.parameters()[node.params[p]].name,
                            w ? symbols.substitute(w->text, out) : missing});
  }
}

NodeExplanation explain_node(const Model& model, const PlannedNode& node) {
  NodeExplanation out;
  out.node = node.spec->name;
  out.op = svg::clean_text(node.op->def->name ? node.op->def->name : "?");
  const Collector c = ask_op(model, node, out);
  out.declared = !c.items.empty();
  const Symbols symbols(model, node);
  for (const auto& w : c.items) {
    if (w.kind == GF_EXPLAIN_FORWARD)
      out.forward += (out.forward.empty() ? "" : "\n") + symbols.substitute(w.text, out);
    if (w.kind == GF_EXPLAIN_NOTE) out.notes.push_back(symbols.substitute(w.text, out));
  }
  if (out.forward.empty()) out.forward = "no formula declared";
  std::stable_sort(out.shapes.begin(), out.shapes.end(), [&](const auto& a, const auto& b) {
    return symbols.rank(a.first) < symbols.rank(b.first);
  });
  if (const PlannedNode* consumer = fusing_consumer(model, node)) {
    out.notes.push_back(fmt::format("backward: fused into '{}', which writes {} directly",
                                    consumer->spec->name, symbols.gradient_of(node.inputs[0])));
  } else if (!node.in_backward) {
    out.notes.push_back("no backward: the loss does not depend on this node");
  } else {
    add_backward(model, node, c, symbols, out);
  }
  return out;
}

}  // namespace

std::vector<NodeExplanation> explain_model(const Model& model) {
  std::vector<NodeExplanation> nodes;
  for (const PlannedNode& node : model.nodes()) nodes.push_back(explain_node(model, node));
  return nodes;
}

}  // namespace gradflow
