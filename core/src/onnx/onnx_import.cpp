#include "onnx/onnx_import.hpp"

#include "onnx/onnx_import_plan.hpp"

#include <gradflow/graph_spec.hpp>

#include <algorithm>
#include <cctype>

namespace gradflow {
namespace {

constexpr size_t kMaxChain = 16;

bool is_default_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

OnnxImporter::OnnxImporter(const onnx::ModelProto& model, const std::string& file,
                           const OpRegistry& registry)
    : model_(model),
      graph_(model.graph()),
      file_(file),
      registry_(registry),
      opset_(default_opset(model)),
      done_(static_cast<size_t>(model.graph().node_size()), false) {}

void OnnxImporter::report(const InputError& e) {
  for (const auto& d : e.diagnostics()) diags_.error({file_, 0, 0}, d.message);
}

std::string OnnxImporter::label(int index) const {
  const onnx::NodeProto& n = node(index);
  return "node " + std::to_string(index) + " '" + comment_text(n.name()) + "' (" +
         comment_text(n.op_type()) + ")";
}

const ImportValue* OnnxImporter::value(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

std::string OnnxImporter::unique_name(const std::string& wanted, const std::string& fallback) {
  const std::string base = wanted.empty() ? fallback : wanted;
  std::string name = base;
  for (int k = 2; names_.count(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

// Node `at` of the chain that starts at the node being offered: each next node is the only
// consumer of the previous one's only used output, which no graph output needs.
int OnnxImporter::node_at(uint32_t at) const {
  if (current_ < 0) return -1;
  if (chain_.empty()) chain_.push_back(current_);
  while (chain_.size() <= at && chain_.size() < kMaxChain) {
    const onnx::NodeProto& prev = node(chain_.back());
    if (prev.output_size() < 1) return -1;
    for (int k = 1; k < prev.output_size(); ++k)
      if (consumers_.count(prev.output(k)) || graph_outputs_.count(prev.output(k))) return -1;
    const std::string& out = prev.output(0);
    auto it = consumers_.find(out);
    if (graph_outputs_.count(out) || it == consumers_.end() || it->second.size() != 1) return -1;
    const int next = it->second.front();
    if (next <= chain_.back() || done_[static_cast<size_t>(next)]) return -1;
    chain_.push_back(next);
  }
  return at < chain_.size() ? chain_[at] : -1;
}

bool OnnxImporter::chain_output(const std::string& value, uint32_t at) const {
  for (uint32_t k = 0; k < at; ++k) {
    const int index = node_at(k);
    if (index >= 0 && node(index).output_size() > 0 && node(index).output(0) == value) return true;
  }
  return false;
}

ImportedModel OnnxImporter::run(const ImportOptions& options) {
  const SourceLocation where{file_, 0, 0};
  if (!model_.has_graph()) throw InputError(where, "the model has no graph");
  if (opset_ <= 0) throw InputError(where, "the model imports no opset of the default ONNX domain");
  if (static_cast<size_t>(graph_.node_size()) > kMaxNodes)
    throw InputError(where, "more than " + std::to_string(kMaxNodes) + " nodes");
  read_initializers();
  read_inputs();
  for (const auto& out : graph_.output()) graph_outputs_.insert(out.name());
  check_order();
  diags_.throw_if_any();
  for (int i = 0; i < graph_.node_size(); ++i)
    if (!done_[static_cast<size_t>(i)]) import_node(i);
  for (int i : unsupported_)
    diags_.error(
        where,
        label(i) + ": no gradflow op imports ONNX " +
            (is_default_domain(node(i).domain()) ? "" : comment_text(node(i).domain()) + ".") +
            comment_text(node(i).op_type()));
  diags_.throw_if_any();
  return finish_import(*this, options);
}

void OnnxImporter::read_initializers() {
  for (int i = 0; i < graph_.initializer_size(); ++i) {
    const onnx::TensorProto& t = graph_.initializer(i);
    const std::string where =
        "initializer " + std::to_string(i) + " '" + comment_text(t.name()) + "'";
    try {
      if (t.name().empty()) throw InputError(where + ": has no name");
      if (values_.count(t.name())) throw InputError(where + ": the name is used twice");
      ImportValue v;
      v.kind = GF_ONNX_CONSTANT;
      v.constant = decode_tensor(t, where);
      values_[t.name()] = std::move(v);
    } catch (const InputError& e) {
      report(e);
      // Known, so that the nodes reading it are not reported as well.
      if (!t.name().empty() && !values_.count(t.name())) values_[t.name()].shape_known = false;
    }
  }
  if (graph_.sparse_initializer_size() > 0)
    diags_.error({file_, 0, 0}, "sparse initializers are not supported");
}

void OnnxImporter::read_inputs() {
  std::vector<const onnx::ValueInfoProto*> runtime;
  // Before IR version 4, initializers were listed among the inputs too.
  for (const auto& in : graph_.input())
    if (!values_.count(in.name())) runtime.push_back(&in);
  for (size_t k = 0; k < runtime.size(); ++k) {
    const onnx::ValueInfoProto& in = *runtime[k];
    const std::string where = "graph input '" + comment_text(in.name()) + "'";
    try {
      std::vector<int64_t> shape = input_shape(in, where);
      // The one input of a model is the features, which gradflow's data sets bind to 'x'.
      const std::string name = unique_name(runtime.size() == 1 ? "x" : gradflow_name(in.name()),
                                           "input_" + std::to_string(k));
      ImportValue v;
      v.shape = shape;
      v.gradflow = name;
      values_[in.name()] = v;
      inputs_.emplace_back(name, shape);
      input_origin_[name] = in.name();
    } catch (const InputError& e) {
      report(e);
    }
  }
}

void OnnxImporter::check_order() {
  std::set<std::string> defined;
  for (const auto& [name, v] : values_) defined.insert(name);
  for (int i = 0; i < graph_.node_size(); ++i) {
    const onnx::NodeProto& n = node(i);
    for (const auto& in : n.input()) {
      if (in.empty()) continue;
      if (!defined.count(in))
        diags_.error({file_, 0, 0}, label(i) + ": input '" + comment_text(in) +
                                        "' is not a graph input, an initializer or the output "
                                        "of an earlier node");
      auto& list = consumers_[in];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
    if (n.output_size() == 0) diags_.error({file_, 0, 0}, label(i) + ": has no output");
    for (const auto& out : n.output()) {
      if (out.empty()) continue;
      if (!defined.insert(out).second)
        diags_.error({file_, 0, 0}, label(i) + ": output '" + comment_text(out) +
                                        "' is written twice in the graph");
    }
  }
  for (const auto& out : graph_.output())
    if (!defined.count(out.name()))
      diags_.error({file_, 0, 0},
                   "graph output '" + comment_text(out.name()) + "' is produced by no node");
}

void OnnxImporter::import_node(int index) {
  current_ = index;
  chain_.clear();
  const onnx::NodeProto& n = node(index);
  // Constant and Identity only name values; they compute nothing an op would own.
  if (n.op_type() == "Constant" && is_default_domain(n.domain())) {
    take_constant(index);
    return;
  }
  if (n.op_type() == "Identity" && is_default_domain(n.domain()) && n.input_size() == 1 &&
      n.output_size() == 1 && value(n.input(0))) {
    done_[static_cast<size_t>(index)] = true;
    values_[n.output(0)] = *value(n.input(0));
    return;
  }
  bool unknown = false;
  for (const auto& in : n.input())
    if (const ImportValue* v = value(in)) unknown |= v->kind == GF_ONNX_RUNTIME && !v->shape_known;
  std::vector<std::string> failures;
  for (const auto& [name, entry] : registry_.ops())
    if (entry.def->onnx_import && offer(index, entry, failures)) return;
  // Downstream of a node nothing imports, shapes are unknown and an op may fail for that
  // alone: only a node that no op recognises at all is reported there.
  if (failures.empty()) unsupported_.push_back(index);
  if (!unknown)
    for (const auto& f : failures) diags_.error({file_, 0, 0}, label(index) + ": " + f);
  mark_unknown(index);
}

bool OnnxImporter::offer(int index, const OpEntry& op, std::vector<std::string>& failures) {
  claim_ = ImportClaim{};
  gf_onnx_import im = host_struct();
  gf_error err{};
  const int rc = op.def->onnx_import(&im, &err);
  err.message[GF_ERROR_CAPACITY - 1] = '\0';
  const std::string who = std::string("op ") + op.def->name;
  const bool said = claim_.count > 0 || claim_.alias.has_value();
  if (rc == GF_DECLINE && !said) return false;
  if (rc == GF_DECLINE) {
    failures.push_back(who + " declined the node after claiming it (a bug in " + op.plugin_path +
                       ")");
  } else if (rc != GF_OK) {
    failures.push_back(who + ": " + err.message);
  } else if (!said) {
    failures.push_back(who + " accepted the node without claiming it (a bug in " + op.plugin_path +
                       ")");
  } else {
    accept(index);
    return true;
  }
  return false;
}

void OnnxImporter::mark_unknown(int index) {
  done_[static_cast<size_t>(index)] = true;
  for (const auto& out : node(index).output()) {
    ImportValue v;
    v.shape_known = false;
    values_[out] = v;
  }
}

void OnnxImporter::take_constant(int index) {
  done_[static_cast<size_t>(index)] = true;
  const onnx::NodeProto& n = node(index);
  ImportValue v;
  v.kind = GF_ONNX_CONSTANT;
  try {
    v.constant = constant_node_value(n, label(index));
  } catch (const InputError& e) {
    report(e);
    mark_unknown(index);
    return;
  }
  if (n.output_size() > 0) values_[n.output(0)] = std::move(v);
}

// Outputs after the first of node `index` must be unused: gradflow nodes have one output.
void OnnxImporter::check_extra_outputs(int index, const std::string& why) {
  const onnx::NodeProto& n = node(index);
  for (int k = 1; k < n.output_size(); ++k)
    if (consumers_.count(n.output(k)) || graph_outputs_.count(n.output(k)))
      diags_.error({file_, 0, 0}, label(index) + ": its output '" + comment_text(n.output(k)) +
                                      "' is used, but " + why);
}

void OnnxImporter::accept(int index) {
  const onnx::NodeProto& first = node(index);
  if (claim_.alias) {
    done_[static_cast<size_t>(index)] = true;
    check_extra_outputs(index, "gradflow passes only the first one through");
    values_[first.output(0)] = *value(first.input(static_cast<int>(*claim_.alias)));
    return;
  }
  std::vector<int> chain;
  for (uint32_t k = 0; k < claim_.count; ++k) chain.push_back(node_at(k));
  for (int c : chain) done_[static_cast<size_t>(c)] = true;
  ImportedNode g;
  g.op = claim_.op;
  g.attrs = claim_.attrs;
  for (int c : chain) check_extra_outputs(c, "gradflow's " + g.op + " has one output");
  bool unknown = false;
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& in : claim_.inputs) {
    const ImportValue& v = *value(in);
    unknown |= !v.shape_known;
    g.inputs.push_back(v.gradflow);
    shapes.emplace_back(v.gradflow, v.shape);
  }
  if (unknown) {  // downstream of a node nothing imports: reported there
    mark_unknown(chain.back());
    return;
  }
  g.name = unique_name(gradflow_name(first.name()),
                       lower(first.op_type()) + "_" + std::to_string(index));
  g.comment = "ONNX";
  for (int c : chain)
    g.comment += " " + comment_text(node(c).op_type()) + " '" + comment_text(node(c).name()) + "'";
  try {
    std::vector<NamedTensor> tensors = plan_imported_node(g, shapes, claim_.tensors, registry_);
    for (auto& t : tensors) tensors_.push_back(std::move(t));
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics())
      diags_.error({file_, 0, 0}, label(index) + " as gradflow " + g.op + ": " + d.message);
    mark_unknown(chain.back());
    return;
  }
  values_[node(chain.back()).output(0)] =
      ImportValue{GF_ONNX_RUNTIME, g.out_shape, true, g.name, {}};
  nodes_.push_back(std::move(g));
}

}  // namespace gradflow
