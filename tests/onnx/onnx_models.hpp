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
