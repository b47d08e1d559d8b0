#include "onnx/onnx_export.hpp"

#include <gradflow/onnx_convert.hpp>

namespace gradflow {

void set_batched_type(onnx::ValueInfoProto* info, const std::string& name,
                      const std::vector<int64_t>& shape) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* dims = tensor->mutable_shape();
  dims->add_dim()->set_dim_param("N");
  for (int64_t d : shape) dims->add_dim()->set_dim_value(d);
}

std::string export_onnx(const Model& model, const std::string& version) {
  return OnnxExporter(model).run(version);
}

std::string OnnxExporter::run(const std::string& version) {
  const GraphSpec& spec = model_.spec();
  if (model_.predict_value() < 0 || model_.values()[model_.predict_value()].producer < 0)
    throw InputError(SourceLocation{spec.path, 0, 0},
                     "the graph has no 'predict' node: ONNX export writes the inference graph "
                     "from the inputs to it");
  const std::vector<bool> needed = needed_nodes();
  // Values keep their gradflow names; initializers and intermediates take the names left.
  for (const auto& v : model_.values()) names_.insert(v.name);
  write_header(version);
  write_inputs(needed);
  for (size_t k = 0; k < model_.nodes().size(); ++k)
    if (needed[k]) export_node(model_.nodes()[k]);
  diags_.throw_if_any();
  write_outputs(needed);
  std::string bytes;
  if (!proto_.SerializeToString(&bytes))
    throw InputError(SourceLocation{spec.path, 0, 0}, "the ONNX model is too large to write");
  return bytes;
}

// The nodes the predicted value depends on.
std::vector<bool> OnnxExporter::needed_nodes() const {
  std::vector<bool> needed(model_.nodes().size(), false);
  std::vector<int> stack{model_.values()[model_.predict_value()].producer};
  while (!stack.empty()) {
    const int k = stack.back();
    stack.pop_back();
    if (k < 0 || needed[static_cast<size_t>(k)]) continue;
    needed[static_cast<size_t>(k)] = true;
    for (int v : model_.nodes()[static_cast<size_t>(k)].inputs)
      stack.push_back(model_.values()[static_cast<size_t>(v)].producer);
  }
  return needed;
}

void OnnxExporter::write_header(const std::string& version) {
  const GraphSpec& spec = model_.spec();
  proto_.set_ir_version(8);
  auto* opset = proto_.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxExportOpset);
  proto_.set_producer_name("gradflow");
  proto_.set_producer_version(version);
  proto_.set_doc_string(spec.description);
  graph_->set_name(spec.name);
  graph_->set_doc_string(spec.description);
  auto meta = [&](const char* key, const std::string& value) {
    auto* entry = proto_.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  };
  meta("name", spec.name);
  meta("description", spec.description);
}

void OnnxExporter::write_inputs(const std::vector<bool>& needed) {
  std::set<int> used;
  for (size_t k = 0; k < needed.size(); ++k)
    if (needed[k])
      for (int v : model_.nodes()[k].inputs)
        if (model_.values()[static_cast<size_t>(v)].producer < 0) used.insert(v);
  for (const auto& in : model_.spec().inputs) {
    const int v = model_.input_value(in.name);
    if (!used.count(v)) continue;
    set_batched_type(graph_->add_input(), in.name, model_.values()[static_cast<size_t>(v)].shape);
    defined_.insert(in.name);
  }
}

void OnnxExporter::write_outputs(const std::vector<bool>& needed) {
  const Value& predict = model_.values()[static_cast<size_t>(model_.predict_value())];
  set_batched_type(graph_->add_output(), predict.name, predict.shape);
  // Shapes of the values in between, for viewers such as Netron.
  for (size_t k = 0; k < needed.size(); ++k) {
    if (!needed[k]) continue;
    const Value& v = model_.values()[static_cast<size_t>(model_.nodes()[k].output)];
    if (&v != &predict) set_batched_type(graph_->add_value_info(), v.name, v.shape);
  }
}

void OnnxExporter::export_node(const PlannedNode& node) {
  const gf_op_def& def = *node.op->def;
  const std::string& name = node.spec->name;
  const std::string output = model_.values()[static_cast<size_t>(node.output)].name;
  std::string label = "node '" + name + "' (op " + def.name;
  if (node.op->plugin_name != "gradflow-builtin") label += ", plugin " + node.op->plugin_path;
  label += ")";
  current_ = &node;
  emitted_ = 0;
  std::vector<const char*> inputs;
  std::vector<gf_shape> shapes;
  gf_onnx_export ex = host_struct(node, inputs, shapes);
  gf_error err{};
  const int rc = def.onnx_export ? def.onnx_export(node.instance, &ex, &err) : GF_DECLINE;
  err.message[GF_ERROR_CAPACITY - 1] = '\0';
  if (!def.onnx_export)
    diags_.error(node.spec->where, label +
                                       ": the op declares no ONNX mapping, so the graph "
                                       "cannot be exported");
  else if (rc == GF_DECLINE)
    diags_.error(node.spec->where, label + ": the op has no ONNX form for this node");
  else if (rc != GF_OK)
    diags_.error(node.spec->where, label + ": " + err.message);
  else if (!defined_.count(output))
    diags_.error(node.spec->where,
                 label + ": the op's ONNX nodes do not write its output '" + output + "'");
  // Later nodes refer to the output whatever happened here; only one message per cause.
  names_.insert(output);
  defined_.insert(output);
  current_ = nullptr;
}

}  // namespace gradflow
