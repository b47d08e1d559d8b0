// The last step of an import: the predict node, an optional loss and train section, the
// gradflow/1 text, and a final plan of the whole graph to prove that it loads.
#include "onnx/onnx_import_plan.hpp"

#include <gradflow/folder_name.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace gradflow {
namespace {

std::string loose(const std::string& text) {
  std::string out;
  for (char c : text)
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// --loss names an op that declares itself a loss, spelt loosely: "cross-entropy" finds
// CrossEntropy.
const OpEntry& find_loss(const OpRegistry& registry, const std::string& wanted) {
  std::string known;
  for (const auto& [name, entry] : registry.ops()) {
    if (!(entry.def->flags & GF_OP_LOSS)) continue;
    if (loose(name) == loose(wanted)) return entry;
    known += (known.empty() ? "" : ", ") + name;
  }
  throw InputError("--loss '" + wanted + "': no loss op of that name (loss ops: " + known + ")");
}

std::string quoted(const std::string& text) {
  YAML::Emitter out;
  out << YAML::DoubleQuoted << text.substr(0, 2000);
  return out.c_str();
}

struct Parts {
  std::string name, description, predict, loss, header;
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs;
  std::map<std::string, std::string> input_comments;
  std::vector<ImportedNode> nodes;
};

std::string train_section(const ImportOptions& options) {
  const std::string data = options.dataset.empty() ? "DATASET" : options.dataset;
  const std::string lead = options.dataset.empty() ? "# " : "";
  std::string text = options.dataset.empty()
                         ? "# To fine-tune, name a data set (or import again with --data):\n"
                         : "";
  text += lead + "train:\n" + lead + "  data: {dataset: " + data + "}\n" + lead +
          "  batch_size: 64\n" + lead + "  epochs: 1\n" + lead +
          "  optimizer: {name: adam, lr: 0.0001}\n" + lead + "  seed: 0\n";
  return text;
}

std::string graph_text(const Parts& p, const ImportOptions& options) {
  std::string text = "format: gradflow/1\nname: " + p.name + "\n";
  if (!p.description.empty()) text += "description: " + quoted(p.description) + "\n";
  text += p.header + "inputs:\n";
  for (const auto& [name, shape] : p.inputs) {
    text += "  " + name + ": {shape: " + shape_to_string(shape) + "}";
    auto it = p.input_comments.find(name);
    text += (it != p.input_comments.end() ? "   # " + it->second : std::string()) + "\n";
  }
  text += "nodes:\n";
  for (const auto& n : p.nodes) {
    text += "  - " + node_yaml(n);
    text += "   # " + n.comment + (n.comment.empty() ? "" : ", ") + "output " +
            shape_to_string(n.out_shape);
    text += "\n";
  }
  text += "predict: " + p.predict + "\n";
  if (p.loss.empty())
    return text +
           "# No loss: to fine-tune, import again with --loss and --labels (e.g. --loss "
           "cross-entropy --labels 10 --data mnist),\n# or add a target input, a loss "
           "node, 'loss:' and a 'train:' section here.\n";
  return text + "loss: " + p.loss + "\n" + train_section(options);
}

const ImportedNode* find(const std::vector<ImportedNode>& nodes, const std::string& name) {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

std::string unique_in(std::set<std::string>& names, const std::string& base) {
  std::string name = base;
  for (int k = 2; names.count(name); ++k) name = base + "_" + std::to_string(k);
  names.insert(name);
  return name;
}

// A target input and a loss node on the predicted value (--loss, --labels).
void add_loss(Parts& p, const ImportOptions& options, const OpRegistry& registry,
              std::set<std::string>& names) {
  const OpEntry& loss = find_loss(registry, options.loss);
  const ImportedNode* out = find(p.nodes, p.predict);
  const std::vector<int64_t> shape = out->out_shape;
  if (options.labels > 0 && shape != std::vector<int64_t>{options.labels})
    throw InputError("--labels " + std::to_string(options.labels) +
                     ": the model's output has per-sample shape " + shape_to_string(shape));
  // A loss that fuses with a producer (CrossEntropy after Softmax) expects that producer's
  // output; models trained elsewhere often end just before it (PyTorch classifiers end with
  // logits), so the producer is put in front.
  const gf_fusion* fusion = loss.def->n_fusions > 0 ? loss.def->fusions[0] : nullptr;
  if (fusion && out->op != fusion->producer) {
    ImportedNode scores;
    scores.name = unique_in(names, "probs");
    scores.op = fusion->producer;
    scores.inputs = {p.predict};
    scores.comment = std::string("added for ") + loss.def->name;
    plan_imported_node(scores, {{p.predict, shape}}, {}, registry);
    p.predict = scores.name;
    p.nodes.push_back(scores);
  }
  const std::string target = unique_in(names, "y");
  p.inputs.emplace_back(target, shape);
  p.input_comments[target] = "the target (one-hot for classes): the data set's 'y'";
  ImportedNode node;
  node.name = unique_in(names, "loss");
  node.op = loss.def->name;
  node.inputs = {p.predict, target};
  node.comment = "added by --loss";
  p.nodes.push_back(node);
  p.loss = node.name;
}

// Checks the finished file the way `train` will read it.
void verify(const ImportedModel& m, const std::string& file, const OpRegistry& registry) {
  GraphSpec spec = parse_graph(m.yaml, m.name + ".yaml");
  std::unique_ptr<Model> model = Model::plan(spec, registry);
  for (const auto& t : model->file_tensors()) {
    auto it = std::find_if(m.tensors.begin(), m.tensors.end(),
                           [&](const NamedTensor& n) { return n.name == *t.name; });
    if (it == m.tensors.end() || it->shape != *t.shape)
      throw InputError(SourceLocation{file, 0, 0},
                       "the imported graph's tensor '" + *t.name + "' has no matching values");
  }
}

}  // namespace

ImportedModel finish_import(OnnxImporter& im, const ImportOptions& options) {
  const SourceLocation where{im.file_, 0, 0};
  if (im.graph_.output_size() == 0) throw InputError(where, "the graph has no output");
  const std::string& out = im.graph_.output(0).name();
  const ImportValue* v = im.value(out);
  if (!v || v->kind != GF_ONNX_RUNTIME || v->gradflow.empty() ||
      im.input_origin_.count(v->gradflow))
    throw InputError(where, "graph output '" + comment_text(out) +
                                "' is not computed from the inputs by any node");
  Parts p;
  p.predict = v->gradflow;
  p.inputs = im.inputs_;
  for (const auto& [name, origin] : im.input_origin_)
    if (origin != name) p.input_comments[name] = "ONNX input '" + comment_text(origin) + "'";
  p.nodes = im.nodes_;
  // The name becomes <name>.yaml and the graph's `name:`: only a safe one (folder_name.hpp).
  std::string stem = gradflow_name(std::filesystem::path(im.file_).stem().string());
  p.name = gradflow_name(im.graph_.name());
  if (!is_safe_folder_name(p.name)) p.name = is_safe_folder_name(stem) ? stem : "model";
  for (const auto& entry : im.model_.metadata_props())
    if (entry.key() == "description") p.description = entry.value();
  if (p.description.empty()) p.description = im.graph_.doc_string();
  if (p.description.empty()) p.description = im.model_.doc_string();
  p.header = "# Imported by graph-runner import from " + comment_text(im.file_) + " (" +
             comment_text(im.model_.producer_name() + " " + im.model_.producer_version()) +
             ", ONNX opset " + std::to_string(im.opset_) + ").\n";
  for (int k = 1; k < im.graph_.output_size(); ++k)
    p.header += "# The ONNX graph's output '" + comment_text(im.graph_.output(k).name()) +
                "' is not predicted.\n";
  if (!options.loss.empty()) add_loss(p, options, im.registry_, im.names_);
  ImportedModel result;
  result.name = p.name;
  result.yaml = graph_text(p, options);
  result.tensors = im.tensors_;
  verify(result, im.file_, im.registry_);
  return result;
}

}  // namespace gradflow
