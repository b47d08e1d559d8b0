// The ONNX protobuf classes (Debian's libonnx-dev, built with ONNX_ML) and the small helpers
// that the importer and the exporter share.
#pragma once

#include <onnx/onnx_pb.h>

#include <gradflow/onnx_abi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

// A decoded constant: an initializer or the value of a Constant node.
struct OnnxConstant {
  uint32_t dtype = GF_ONNX_FLOAT32;
  std::vector<int64_t> dims;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  // The C view for an op; valid while this object lives.
  gf_onnx_constant view() const;
};

// Decodes a float32 or int64 TensorProto whose data are in the file. Throws InputError whose
// message starts with `where` for other types, external data, bad dims or a data size that
// does not match the dims.
OnnxConstant decode_tensor(const onnx::TensorProto& t, const std::string& where);

// Throws InputError naming `where` and the element for a NaN or an infinity.
void require_finite(const std::vector<float>& values, const std::string& where);

// A name gradflow accepts for a node or an input ([A-Za-z0-9_.-], at most 128 characters, not
// a YAML keyword), from an ONNX name: "/fc1/Gemm" -> "fc1_Gemm"; "" for nothing usable.
std::string gradflow_name(const std::string& onnx_name);

// Printable ASCII for a YAML comment (ONNX names may contain anything).
std::string comment_text(const std::string& text);

// The opset of the default domain ("" or "ai.onnx"), 0 if the model imports none.
int64_t default_opset(const onnx::ModelProto& model);

}  // namespace gradflow

namespace gradflow {

// The value of a Constant node (value, value_float(s), value_int(s)).
OnnxConstant constant_node_value(const onnx::NodeProto& node, const std::string& where);

// The per-sample shape of a float32 graph input [batch, d1, ...]: every dimension after the
// batch fixed and positive.
std::vector<int64_t> input_shape(const onnx::ValueInfoProto& input, const std::string& where);

}  // namespace gradflow
