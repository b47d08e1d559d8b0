// One run of `graph-runner export`: the nodes the predicted value depends on, in execution
// order, each written by its op through the host side of gf_onnx_export.
#pragma once

#include "onnx/onnx_proto.hpp"

#include <gradflow/diagnostics.hpp>
#include <gradflow/model.hpp>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gradflow {

class OnnxExporter {
 public:
  explicit OnnxExporter(const Model& model) : model_(model), graph_(proto_.mutable_graph()) {}
  std::string run(const std::string& version);

  // The host side of gf_onnx_export (onnx_export_host.cpp); each throws std::exception with a
  // message for the op on bad arguments.
  const char* tensor(const char* local_name);
  const char* constant(const char* hint, const gf_onnx_constant& value);
  const char* temp(const char* hint);
  void add_node(const char* op_type, const char* const* inputs, uint32_t n_inputs,
                const char* const* outputs, uint32_t n_outputs, const gf_onnx_attr* attrs,
                uint32_t n_attrs);

 private:
  std::vector<bool> needed_nodes() const;
  void write_header(const std::string& version);
  void write_inputs(const std::vector<bool>& needed);
  void export_node(const PlannedNode& node);
  void write_outputs(const std::vector<bool>& needed);
  gf_onnx_export host_struct(const PlannedNode& node, std::vector<const char*>& inputs,
                             std::vector<gf_shape>& shapes);
  const char* keep(std::string text);
  std::string fresh(const std::string& base);

  const Model& model_;
  onnx::ModelProto proto_;
  onnx::GraphProto* graph_;
  std::set<std::string> names_;    // every value or initializer name taken (or reserved)
  std::set<std::string> defined_;  // values that exist so far
  std::set<std::string> temps_;    // names temp() handed out
  std::map<std::string, std::string> tensors_;  // parameter or state -> initializer name
  std::set<std::string> node_names_;
  std::deque<std::string> strings_;  // names handed to ops, alive until the export ends
  const PlannedNode* current_ = nullptr;
  int emitted_ = 0;  // ONNX nodes the current op added
  DiagnosticList diags_;
};

// A ValueInfo of a float32 tensor [N, shape...], N the symbolic batch.
void set_batched_type(onnx::ValueInfoProto* info, const std::string& name,
                      const std::vector<int64_t>& shape);

}  // namespace gradflow
