#include <gradflow/dot.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace gradflow {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shape_label(const Value& v) {
  if (!v.batched) return "scalar";
  return "B x " + shape_to_string(v.shape);
}

}  // namespace

std::string to_dot(const Model& model) {
  std::string dot = fmt::format("digraph {} {{\n", quoted(model.spec().name));
  dot +=
      "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=11];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const auto& v : model.values())
    if (v.producer < 0)
      dot += fmt::format("  {} [shape=ellipse, style=filled, fillcolor=\"#dbe9f6\", label={}];\n",
                         quoted(v.name), quoted(v.name + "\n" + shape_label(v)));
  for (const auto& node : model.nodes()) {
    const Value& out = model.values()[node.output];
    bool is_loss = std::any_of(model.loss_terms().begin(), model.loss_terms().end(),
                               [&](const auto& t) { return t.first == node.output; });
    bool is_predict = node.output == model.predict_value();
    std::string label =
        fmt::format("{} ({})\n{}", node.spec->name, node.op->def->name, shape_label(out));
    std::string style = is_loss      ? "style=\"filled,bold\", fillcolor=\"#f4c7c3\", penwidth=2"
                        : is_predict ? "style=filled, fillcolor=\"#d9ead3\""
                                     : "style=filled, fillcolor=\"#ffffff\"";
    dot += fmt::format("  {} [shape=box, {}, label={}];\n", quoted(node.spec->name), style,
                       quoted(label));
    for (int p : node.params) {
      const Parameter& param = model.parameters()[p];
      dot += fmt::format(
          "  {} [shape=note, style=filled, fillcolor=\"#fff2cc\", fontsize=9, label={}];\n"
          "  {} -> {} [style=dashed, arrowhead=none];\n",
          quoted(param.name), quoted(param.name + "\n" + shape_to_string(param.shape)),
          quoted(param.name), quoted(node.spec->name));
    }
    // State (running statistics) is drawn like a parameter but grey: it is saved, not trained.
    for (int st : node.states) {
      const StateTensor& state = model.states()[st];
      dot += fmt::format(
          "  {} [shape=note, style=filled, fillcolor=\"#eeeeee\", fontsize=9, label={}];\n"
          "  {} -> {} [style=dotted, arrowhead=none];\n",
          quoted(state.name), quoted(state.name + "\n" + shape_to_string(state.shape) + " state"),
          quoted(state.name), quoted(node.spec->name));
    }
    for (int in : node.inputs)
      dot += fmt::format("  {} -> {};\n", quoted(model.values()[in].name), quoted(node.spec->name));
  }
  return dot + "}\n";
}

}  // namespace gradflow
