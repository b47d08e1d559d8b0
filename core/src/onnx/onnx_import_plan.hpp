// Checking what ops claimed by planning it, and writing the imported graph.
#pragma once

#include "onnx/onnx_import.hpp"

namespace gradflow {

// Plans `node` alone, its inputs graph inputs of the given per-sample shapes: sets its output
// shape and returns its parameters and state tensors filled from `given`, the values the op's
// importer handed over. Throws InputError when planning fails or a tensor is missing, extra
// or of the wrong size.
std::vector<NamedTensor> plan_imported_node(
    ImportedNode& node, const std::vector<std::pair<std::string, std::vector<int64_t>>>& inputs,
    const std::map<std::string, std::vector<float>>& given, const OpRegistry& registry);

// The graph YAML and tensors once every node is imported (onnx_import_finish.cpp).
ImportedModel finish_import(OnnxImporter& importer, const ImportOptions& options);

// One node as a line of a gradflow/1 file: "{name: fc1, op: Linear, inputs: [x], ...}".
std::string node_yaml(const ImportedNode& node);

}  // namespace gradflow
