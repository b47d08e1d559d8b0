// Small graphs of ops for checks that one op alone cannot make: a value feeding two inputs
// (fan-out, where backward must add), an op after another. Part of <gradflow/testing.hpp>.
//
//   Node sig(op<Sigmoid>(), {{3}}), add(op<Add>(), {{3}, {3}});
//   Graph g(4);                                   // 4 samples
//   int x = g.input("x", Tensor::random({3}, 4, -2, 2, 1));
//   int s = g.add(sig, {x}, "s");
//   g.add(add, {s, s}, "sum");                    // both inputs of Add are the same value
//   CHECK(check_gradients(g));
#pragma once

#include <gradflow/testing/node.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gradflow::testing {

class Graph {
 public:
  explicit Graph(int64_t batch = 1) : g_(std::make_unique<TestGraph>()) { g_->batch = batch; }

  // A graph input with these values; wants_grad: its gradient is checked too.
  int input(const std::string& name, const Tensor& value, bool wants_grad = true) {
    const int slot = g_->add_slot(Slot::Kind::input, "input '" + name + "'", value.shape,
                                  value.batch > 0, wants_grad);
    if (static_cast<int64_t>(value.values.size()) != g_->slot(slot).value.size())
      throw TestError("input '" + name + "': the values do not fill the shape and batch");
    g_->slot(slot).value.assign(value.values);
    return slot;
  }
  // `node` computes from the values `inputs`; its parameters and state are copied in. The last
  // node added is the graph's output. Returns the value it produces.
  int add(const Node& node, const std::vector<int>& inputs, const std::string& name) {
    for (size_t i = 0; i < inputs.size() && i < node.input_shapes().size(); ++i)
      if (g_->slot(inputs[i]).value.shape() != node.input_shapes()[i])
        throw TestError("node '" + name + "': input " + std::to_string(i) + " has shape " +
                        shape_text(g_->slot(inputs[i]).value.shape()) +
                        ", the node was created for " + shape_text(node.input_shapes()[i]));
    return node.add_to(*g_, inputs, "node '" + name + "'", true);
  }
  TestGraph& engine() { return *g_; }

 private:
  std::unique_ptr<TestGraph> g_;
};

}  // namespace gradflow::testing
