// Stage two: every node's op is known, gets the right number of inputs and valid attributes.
#include "graph/planner.hpp"

namespace gradflow {
namespace {

std::string unknown_op_message(const NodeSpec& n, const OpRegistry& registry) {
  std::string message = node_label(n) + ": unknown op '" + n.op + "'";
  std::string guess = closest_match(n.op, registry.op_names());
  if (!guess.empty()) message += " (did you mean '" + guess + "'?)";
  message += "; known ops:";
  for (const auto& name : registry.op_names()) message += " " + name;
  message += "; plugins loaded:";
  for (const auto& p : registry.plugin_paths()) message += " " + p;
  if (registry.plugin_paths().empty()) message += " none";
  return message;
}

std::string arity_message(const NodeSpec& n, const gf_op_def& def) {
  std::string ports;
  for (uint32_t p = 0; p < def.n_inputs; ++p)
    ports += (p ? ", " : "") + std::string(def.input_names[p]);
  return node_label(n) + ": " + def.name + " takes " + std::to_string(def.n_inputs) +
         " input(s) [" + ports + "], got " + std::to_string(n.inputs.size());
}

}  // namespace

std::string node_label(const NodeSpec& n) {
  return "nodes[" + std::to_string(n.index) + "] '" + n.name + "'";
}

void Planner::resolve_ops() {
  ops_.assign(spec_.nodes.size(), nullptr);
  attrs_.assign(spec_.nodes.size(), {});
  for (size_t i = 0; i < spec_.nodes.size(); ++i) {
    const NodeSpec& n = spec_.nodes[i];
    const OpEntry* op = registry_.find(n.op);
    if (!op) {
      diags_.error(n.op_where, unknown_op_message(n, registry_));
      continue;
    }
    ops_[i] = op;
    if (n.inputs.size() != op->def->n_inputs) diags_.error(n.where, arity_message(n, *op->def));
    attrs_[i] = check_attributes(n, *op->def, spec_.path, diags_);
  }
  diags_.throw_if_any();
}

}  // namespace gradflow
