// Drives the built-in plugin through its C ABI exactly as the host does: dlopen, version
// check, op table, create/forward/backward through function pointers. Tests include only this
// header and the SDK's C header, never the ops' C++ classes.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"

namespace gftest {

using Shape = std::vector<int64_t>;

const gf_plugin& plugin();
const gf_op_def& op_def(const std::string& name);
std::vector<std::string> op_names();

gf_attr_value int_attr(const char* name, int64_t value);
gf_attr_value float_attr(const char* name, double value);
gf_attr_value bool_attr(const char* name, bool value);
gf_attr_value init_attr(const char* name, gf_init_kind kind, double value = 0.0);

// What the host would pass: the given values plus the schema defaults for the rest, parsed
// from default_text (which also checks that every default is parseable).
std::vector<gf_attr_value> complete_attrs(const gf_op_def& def,
                                          const std::vector<gf_attr_value>& given);

struct CreateResult {
  int rc = GF_FAIL;
  std::string message;
};
// Runs create and destroys any instance; for rejection tests.
CreateResult try_create(const std::string& op, const std::vector<Shape>& in_shapes,
                        const std::vector<gf_attr_value>& attrs = {});

struct Tensor {
  Shape shape;
  int64_t batch = 0;
  std::vector<float> values;  // empty = "not requested" (null data)

  static Tensor zeros(const Shape& shape, int64_t batch);
  static Tensor of(const Shape& shape, int64_t batch, std::vector<float> values);
  static Tensor none() { return {}; }
  static Tensor from_shape(const gf_shape& shape, int64_t batch);
  gf_tensor c() const;
  size_t size() const { return values.size(); }
  float& operator[](size_t i) { return values.at(i); }
  float operator[](size_t i) const { return values.at(i); }
};

Tensor random_tensor(const Shape& shape, int64_t batch, float lo, float hi, uint32_t seed);
// Each row is a one-hot vector of `classes` entries.
Tensor one_hot(const std::vector<int>& classes, int64_t n_classes);

using gradflow::test::allocation_count;

// What an op's explain hook wrote (see gf_explain).
struct Formula {
  uint32_t kind = 0, index = 0;
  std::string text;
};
struct Explanation {
  int rc = GF_FAIL;
  std::string message;
  std::vector<Formula> formulas;
};

// One created op instance, with host-owned parameter storage.
class Node {
 public:
  Node(const std::string& op, const std::vector<Shape>& in_shapes,
       const std::vector<gf_attr_value>& attrs = {}, int64_t max_batch = 64);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const gf_op_def& def() const { return *def_; }
  const gf_node_info& info() const { return info_; }
  bool is_loss() const { return (def_->flags & GF_OP_LOSS) != 0; }
  uint32_t n_inputs() const { return static_cast<uint32_t>(in_shapes_.size()); }

  std::vector<Tensor> params;  // zero-filled from info(); tests set the values

  Tensor make_output(int64_t batch) const;
  std::vector<Tensor> zero_param_grads() const;

  // Both REQUIRE success and CHECK that the op did not allocate.
  Tensor forward(const std::vector<Tensor>& inputs);
  void forward_into(const std::vector<Tensor>& inputs, Tensor& out);
  void backward(const std::vector<Tensor>& inputs, const Tensor& out, const Tensor& out_grad,
                std::vector<Tensor>& in_grads, std::vector<Tensor>& param_grads);
  // Calls the op's explain hook as graph-runner explain does; the host's write refuses every
  // formula after the first `accept` ones (-1: accepts all).
  Explanation explain(int accept = -1) const;

 private:
  const gf_op_def* def_;
  std::vector<Shape> in_shapes_;
  gf_node_info info_{};
  void* instance_ = nullptr;
};

// Scalar objective used by the checks: the loss itself for losses, sum(out * weights) with
// fixed random weights otherwise. Returns the out_grad that matches it.
Tensor objective_weights(const Node& node, const Tensor& out, uint32_t seed);
double objective(const Tensor& out, const Tensor& weights);

struct GradCheck {
  float eps = 1e-2f;
  double rtol = 1e-2;
  double atol = 1e-3;
  uint32_t seed = 7;
};

// Compares analytic gradients of every input with wrt[i] set and of every parameter with
// central differences of the objective.
void check_gradients(Node& node, std::vector<Tensor> inputs, const std::vector<bool>& wrt,
                     const GradCheck& options = {});

// Backward must add: starting from prefilled gradients g0 it must produce g0 + g, and two
// calls from zero must produce 2g.
void check_backward_adds(Node& node, const std::vector<Tensor>& inputs,
                         const std::vector<bool>& wrt);

// Analytic gradients for inputs marked in wrt (others returned empty) and all parameters.
struct Grads {
  std::vector<Tensor> inputs;
  std::vector<Tensor> params;
};
Grads gradients(Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& wrt,
                const Tensor& out_grad);

}  // namespace gftest
