// <gradflow/testing.hpp>: unit tests for ops, with no test framework required. Header-only;
// installed with the SDK, and what gradflow's own op tests use.
//
//   #include <gradflow/testing.hpp>
//   using namespace gradflow::testing;
//
//   OpHandle sigmoid = load_op(GRADFLOW_TEST_PLUGIN, "Sigmoid");   // or op<MySigmoid>()
//   Node node(sigmoid, {{3}});                                     // input shapes, attributes
//   Tensor x = Tensor::random({3}, 4, -3, 3, 1);                   // 4 samples
//   Report r = check_op(node, {x});   // every check below; r.ok(), std::cout << r
//
// The checks:
//  - check_gradients: backward against finite differences taken in double (Richardson-
//    extrapolated central differences; points within a step of a kink are skipped and
//    counted), for the op alone or for a small Graph of ops;
//  - check_backward_adds: gradient buffers pre-filled with known values must come back as
//    prefill + gradient, which is how `=` in place of `+=` is caught;
//  - canaries: every buffer an op sees has guard floats around it, and a call that writes
//    outside a buffer, changes what it may only read, allocates (see count_allocations.hpp)
//    or returns an error fails with the op, the buffer and the pass named, in every check;
//  - check_deterministic: the same inputs give bit-identical outputs and gradients;
//  - check_random_stream: the same stream gives the same output, another step another mask
//    (for ops that draw, like dropout), evaluation mode does not depend on the stream.
// Each returns a Report: true when everything passed, and printable either way.
#pragma once

#include <gradflow/op.hpp>
#include <gradflow/testing/attributes.hpp>
#include <gradflow/testing/checks.hpp>
#include <gradflow/testing/difference.hpp>
#include <gradflow/testing/explain.hpp>
#include <gradflow/testing/graph.hpp>
#include <gradflow/testing/guarded.hpp>
#include <gradflow/testing/node.hpp>
#include <gradflow/testing/op_handle.hpp>
#include <gradflow/testing/rules.hpp>
#include <gradflow/testing/small_graph.hpp>
#include <gradflow/testing/tensor.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace gradflow::testing {

namespace detail {

// wrt empty: every input.
inline std::vector<bool> every_input(const std::vector<Tensor>& inputs, std::vector<bool> wrt) {
  if (wrt.empty()) wrt.assign(inputs.size(), true);
  return wrt;
}

template <class Check>
Report on_node_graph(const Node& node, const std::vector<Tensor>& inputs,
                     const std::vector<bool>& wrt, bool with_grads, Check&& check) {
  try {
    auto g = node.graph(inputs, every_input(inputs, wrt), with_grads);
    return check(*g);
  } catch (const TestError& e) {
    Report r;
    r.fail(e.what());
    return r;
  }
}

inline Report not_differentiable(const Node& node) {
  Report r;
  r.fail(node.label() + " is not differentiable (it has no backward)");
  return r;
}

}  // namespace detail

// wrt[i]: whether input i's gradient is checked (empty: all of them). Parameters always are.
inline Report check_gradients(const Node& node, const std::vector<Tensor>& inputs,
                              const std::vector<bool>& wrt = {},
                              const GradientCheckOptions& options = {}) {
  if (!node.op().differentiable()) return detail::not_differentiable(node);
  return detail::on_node_graph(node, inputs, wrt, true, [&](TestGraph& g) {
    return check_gradients(g, node.label(), options);
  });
}
inline Report check_gradients(Graph& graph, const GradientCheckOptions& options = {}) {
  return check_gradients(graph.engine(), "the graph", options);
}

inline Report check_backward_adds(const Node& node, const std::vector<Tensor>& inputs,
                                  const std::vector<bool>& wrt = {}) {
  if (!node.op().differentiable()) return detail::not_differentiable(node);
  return detail::on_node_graph(node, inputs, wrt, true,
                               [&](TestGraph& g) { return check_backward_adds(g, node.label()); });
}
inline Report check_backward_adds(Graph& graph) {
  return check_backward_adds(graph.engine(), "the graph");
}

inline Report check_deterministic(const Node& node, const std::vector<Tensor>& inputs) {
  const bool grads = node.op().differentiable();
  return detail::on_node_graph(node, inputs, {}, grads, [&](TestGraph& g) {
    return check_deterministic(g, node.label(), grads);
  });
}

// draws: the op uses ForwardContext::random() in training (dropout); false for every other op.
inline Report check_random_stream(const Node& node, const std::vector<Tensor>& inputs,
                                  bool draws = false) {
  return detail::on_node_graph(node, inputs, {}, false, [&](TestGraph& g) {
    return check_random_stream(g, node.label(), draws);
  });
}

struct OpCheckOptions {
  GradientCheckOptions gradients;
  bool draws = false;  // see check_random_stream
};

// Every check that applies to the op: determinism and the random stream always; gradients
// and backward-adds when it is differentiable. Buffers are guarded in all of them, and a
// broken rule found by the first check (it runs forward and backward) ends the list there.
inline Report check_op(const Node& node, const std::vector<Tensor>& inputs,
                       const std::vector<bool>& wrt = {}, const OpCheckOptions& options = {}) {
  Report r = check_deterministic(node, inputs);
  if (!r.ok()) return r;
  r.merge(check_random_stream(node, inputs, options.draws));
  if (node.op().differentiable()) {
    r.merge(check_gradients(node, inputs, wrt, options.gradients));
    r.merge(check_backward_adds(node, inputs, wrt));
  }
  return r;
}

// A minimal runner for tests without a framework: each test is a function; a failed Report
// or an exception fails it. main() returns suite.exit_code(), which CTest reads.
class Suite {
 public:
  template <class Body>
  void test(const std::string& name, Body&& body) {
    std::cout << "== " << name << "\n";
    const int before = failures_;
    try {
      body(*this);
    } catch (const std::exception& e) {
      ++failures_;
      std::cout << "FAILED: " << e.what() << "\n";
    }
    std::cout << (failures_ == before ? "passed" : "FAILED") << ": " << name << "\n";
  }
  // Records a check's report; true when it passed.
  bool expect(const Report& report) {
    std::cout << report.text();
    if (!report.ok()) ++failures_;
    return report.ok();
  }
  bool expect(bool condition, const std::string& what) {
    if (!condition) {
      ++failures_;
      std::cout << "FAILED: " << what << "\n";
    }
    return condition;
  }
  int exit_code() const { return failures_ == 0 ? 0 : 1; }

 private:
  int failures_ = 0;
};

}  // namespace gradflow::testing
