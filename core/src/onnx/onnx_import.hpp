// One run of `graph-runner import`: the ONNX nodes in order, each offered to the ops' importers
// through the host side of gf_onnx_import, each claim checked by planning the node it makes.
#pragma once

#include "onnx/onnx_proto.hpp"

#include <gradflow/diagnostics.hpp>
#include <gradflow/onnx_convert.hpp>
#include <gradflow/registry.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gradflow {

// An ONNX value as the importer knows it.
struct ImportValue {
  uint32_t kind = GF_ONNX_RUNTIME;  // or GF_ONNX_CONSTANT
  std::vector<int64_t> shape;       // per sample
  bool shape_known = true;          // false downstream of a node nothing imports
  std::string gradflow;             // the gradflow value (input or node) that holds it
  OnnxConstant constant;
};

// What one op's onnx_import said.
struct ImportClaim {
  uint32_t count = 0;  // 0: nothing claimed
  std::string op;
  std::optional<uint32_t> alias;
  std::vector<std::pair<std::string, std::string>> attrs;  // key, YAML text (flow style)
  std::vector<std::string> inputs;                         // ONNX value names
  std::map<std::string, std::vector<float>> tensors;
};

// A node of the gradflow graph being written.
struct ImportedNode {
  std::string name, op;
  std::vector<std::string> inputs;  // gradflow value names
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<int64_t> out_shape;
  std::string comment;  // where it came from
};

class OnnxImporter {
 public:
  OnnxImporter(const onnx::ModelProto& model, const std::string& file, const OpRegistry& registry);
  ImportedModel run(const ImportOptions& options);

  // The host side of gf_onnx_import (onnx_import_host.cpp).
  int node_at(uint32_t at) const;  // node index, -1 if none
  // Whether `value` is the first output of a chain node before `at`.
  bool chain_output(const std::string& value, uint32_t at) const;
  const onnx::NodeProto& node(int index) const { return graph_.node(index); }
  const ImportValue* value(const std::string& name) const;
  ImportClaim& claim() { return claim_; }
  gf_onnx_import host_struct();

 private:
  friend ImportedModel finish_import(OnnxImporter& importer, const ImportOptions& options);
  void read_inputs();
  void read_initializers();
  void check_order();
  void import_node(int index);
  bool offer(int index, const OpEntry& op, std::vector<std::string>& failures);
  void take_constant(int index);
  void accept(int index);
  void check_extra_outputs(int index, const std::string& why);
  void mark_unknown(int index);
  std::string label(int index) const;
  void report(const InputError& e);  // its messages, under the ONNX file's name
  std::string unique_name(const std::string& wanted, const std::string& fallback);

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string file_;
  const OpRegistry& registry_;
  int64_t opset_ = 0;
  std::map<std::string, ImportValue> values_;
  std::map<std::string, std::vector<int>> consumers_;  // value -> consuming nodes, in order
  std::set<std::string> graph_outputs_;
  std::vector<bool> done_;
  int current_ = -1;
  mutable std::vector<int> chain_;  // node indices from current_ on, see node_at
  ImportClaim claim_;
  std::set<std::string> names_;                                       // gradflow names in use
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs_;  // gradflow graph inputs
  std::map<std::string, std::string> input_origin_;  // gradflow input -> ONNX input name
  std::vector<ImportedNode> nodes_;
  std::vector<NamedTensor> tensors_;
  std::vector<int> unsupported_;
  DiagnosticList diags_;
};

}  // namespace gradflow
