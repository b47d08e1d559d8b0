// Small ONNX models built in the tests with the protobuf classes, each a few lines away from
// one kind of malformed file.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace gradflow::test {

inline void add_input(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims,
                      int elem_type = onnx::TensorProto::FLOAT) {
  auto* t = g->add_input()->mutable_type()->mutable_tensor_type();
  g->mutable_input(g->input_size() - 1)->set_name(name);
  t->set_elem_type(elem_type);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

inline onnx::TensorProto* add_weights(onnx::GraphProto* g, const std::string& name,
                                      std::vector<int64_t> dims, float fill = 0.5f) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) t->add_float_data(fill + 0.01f * static_cast<float>(i));
  return t;
}

inline onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& type,
                                 const std::string& name, std::vector<std::string> inputs,
                                 std::vector<std::string> outputs) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(type);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

inline void set_int(onnx::NodeProto* n, const std::string& name, int64_t value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

inline void set_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

inline void set_string(onnx::NodeProto* n, const std::string& name, const std::string& value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

inline void set_float(onnx::NodeProto* n, const std::string& name, float value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

// An int64 initializer (a Reshape's shape).
inline void add_shape(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> values) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

inline onnx::ModelProto empty_model(const std::string& name) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  m.mutable_graph()->set_name(name);
  return m;
}

// x [N, 1, 6, 6] -> Conv 'conv' (W [2, 1, 3, 3], B [2], pads 1) -> c [N, 2, 6, 6]
// -> MaxPool 'pool' (2x2, stride 2) -> p [N, 2, 3, 3] -> Flatten 'flat' -> y [N, 18].
inline onnx::ModelProto image_model() {
  onnx::ModelProto m = empty_model("image");
  onnx::GraphProto* g = m.mutable_graph();
  add_input(g, "x", {1, 6, 6});
  add_weights(g, "W", {2, 1, 3, 3}, -0.1f);
  add_weights(g, "B", {2}, 0.25f);
  onnx::NodeProto* conv = add_node(g, "Conv", "conv", {"x", "W", "B"}, {"c"});
  set_ints(conv, "kernel_shape", {3, 3});
  set_ints(conv, "pads", {1, 1, 1, 1});
  onnx::NodeProto* pool = add_node(g, "MaxPool", "pool", {"c"}, {"p"});
  set_ints(pool, "kernel_shape", {2, 2});
  set_ints(pool, "strides", {2, 2});
  add_node(g, "Flatten", "flat", {"p"}, {"y"});
  g->add_output()->set_name("y");
  return m;
}

// x [N, 2] -> Gemm(W [3, 2], B [3], transB = 1) 'dense' -> Relu 'act' -> y.
inline onnx::ModelProto tiny_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("tiny");
  add_input(g, "features", {2});
  add_weights(g, "W", {3, 2});
  add_weights(g, "B", {3}, -0.25f);
  set_int(add_node(g, "Gemm", "dense", {"features", "W", "B"}, {"h"}), "transB", 1);
  add_node(g, "Relu", "act", {"h"}, {"y"});
  g->add_output()->set_name("y");
  return m;
}

inline std::string bytes_of(const onnx::ModelProto& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

}  // namespace gradflow::test
