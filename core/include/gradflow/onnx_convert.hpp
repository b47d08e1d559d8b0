// ONNX in and out (library gradflow_onnx, which links protobuf; libgradflow does not).
// The mappings between ONNX nodes and gradflow ops belong to the ops (gf_op_def's onnx_export
// and onnx_import); this side reads and writes the file and asks them.
#pragma once

#include <gradflow/model.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/safetensors.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

inline constexpr int64_t kOnnxExportOpset = 13;
// Files above this are refused before they are read, and so are files whose parse would take
// more memory than kMaxOnnxParseBytes by the wire-format walk's count.
inline constexpr size_t kMaxOnnxFileBytes = size_t{1} << 30;
inline constexpr double kMaxOnnxParseBytes = 2.0 * (size_t{1} << 30);

// The inference part of a planned model whose weights are loaded (the graph inputs that the
// `predict` node depends on, through to it; losses and targets are left out), as the bytes of
// an ONNX file. Throws InputError listing every node whose op has no ONNX mapping.
std::string export_onnx(const Model& model, const std::string& version);

struct ImportOptions {
  std::string loss;     // a loss op, loosely spelt ("cross-entropy" for CrossEntropy); "" none
  int64_t labels = 0;   // classes of the target input; 0: the output's size
  std::string dataset;  // train.data.dataset; "" leaves the train section as a comment
};

struct ImportedModel {
  std::string name;  // a safe file name, for <name>.yaml
  std::string yaml;
  std::vector<NamedTensor> tensors;  // for model.safetensors
};

// Reads an ONNX file's bytes. `file` names it in messages. Throws InputError (with the byte
// offset for a broken encoding, the node for everything else, every unsupported node at once).
// The result has been planned with `registry` and its tensors checked against the plan.
ImportedModel import_onnx(const std::string& bytes, const std::string& file,
                          const OpRegistry& registry, const ImportOptions& options);

}  // namespace gradflow
