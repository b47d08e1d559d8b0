#include "onnx/onnx_import_plan.hpp"

#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>

namespace gradflow {

std::string node_yaml(const ImportedNode& node) {
  std::string line = "{name: " + node.name + ", op: " + node.op + ", inputs: [";
  for (size_t i = 0; i < node.inputs.size(); ++i) line += (i ? ", " : "") + node.inputs[i];
  line += "]";
  for (const auto& [key, value] : node.attrs) line += ", " + key + ": " + value;
  return line + "}";
}

std::vector<NamedTensor> plan_imported_node(
    ImportedNode& node, const std::vector<std::pair<std::string, std::vector<int64_t>>>& inputs,
    const std::map<std::string, std::vector<float>>& given, const OpRegistry& registry) {
  std::string text = "format: gradflow/1\nname: onnx-node\ninputs:\n";
  std::set<std::string> declared;
  for (const auto& [name, shape] : inputs)
    if (declared.insert(name).second)
      text += "  " + name + ": {shape: " + shape_to_string(shape) + "}\n";
  text += "nodes:\n  - " + node_yaml(node) + "\n";
  GraphSpec spec = parse_graph(text, node.name);
  std::unique_ptr<Model> model = Model::plan(spec, registry);
  const Value& out = model->values()[model->value_index(node.name)];
  if (!out.batched)
    throw InputError("the op reduces the batch (a loss); it cannot stand for an ONNX node");
  node.out_shape = out.shape;

  DiagnosticList problems;
  std::vector<NamedTensor> tensors;
  const std::string prefix = node.name + ".";
  const auto owned = model->file_tensors();
  for (const auto& t : owned) {
    const std::string local = t.name->substr(prefix.size());
    auto it = given.find(local);
    int64_t count = 1;
    for (int64_t d : *t.shape) count *= d;
    if (it == given.end())
      problems.error({}, "the op's importer gave no values for its tensor '" + local + "' " +
                             shape_to_string(*t.shape));
    else if (static_cast<int64_t>(it->second.size()) != count)
      problems.error({}, "the op's importer gave " + std::to_string(it->second.size()) +
                             " values for its tensor '" + local + "' " + shape_to_string(*t.shape) +
                             ", which holds " + std::to_string(count));
    else
      tensors.push_back({*t.name, *t.shape, it->second});
  }
  for (const auto& [local, values] : given) {
    bool known = false;
    for (const auto& t : owned) known |= *t.name == prefix + local;
    if (!known)
      problems.error(
          {}, "the op's importer gave values for '" + local + "', which the node does not have");
  }
  problems.throw_if_any();
  return tensors;
}

}  // namespace gradflow
