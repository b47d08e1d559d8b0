#include <gradflow/onnx_convert.hpp>

#include "onnx/onnx_import.hpp"
#include "onnx/onnx_wire.hpp"

#include <cmath>

namespace gradflow {

ImportedModel import_onnx(const std::string& bytes, const std::string& file,
                          const OpRegistry& registry, const ImportOptions& options) {
  const SourceLocation where{file, 0, 0};
  if (bytes.empty()) throw InputError(where, "the file is empty");
  if (bytes.size() > kMaxOnnxFileBytes)
    throw InputError(where, "the file has " + std::to_string(bytes.size()) +
                                " bytes; gradflow reads ONNX files of up to " +
                                std::to_string(kMaxOnnxFileBytes >> 20) + " MiB");
  const double cost = check_onnx_wire(bytes, file);
  if (cost > kMaxOnnxParseBytes)
    throw InputError(where, "reading the file would take about " +
                                std::to_string(static_cast<int64_t>(std::ceil(cost / (1 << 20)))) +
                                " MiB (it holds that many small records); the limit is " +
                                std::to_string(static_cast<int64_t>(kMaxOnnxParseBytes) >> 20) +
                                " MiB");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw InputError(where, "not a valid ONNX model: protobuf could not read it");
  return OnnxImporter(model, file, registry).run(options);
}

}  // namespace gradflow
