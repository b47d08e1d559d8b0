// `graph-runner check`'s gradient check, in two parts:
//  - node by node: each node that takes part in backward is run alone (with a fused producer,
//    the pair) on the values it sees in the graph, with a random upstream gradient; its
//    backward is compared with finite differences of that node alone, its gradient buffers are
//    pre-filled to catch `=` in place of `+=`, it runs twice for determinism, and its buffers
//    are guarded (see <gradflow/testing.hpp>, the same engine). A failure names the node, the
//    op and the plugin file.
//  - the whole graph: the loss against finite differences for every parameter and every graph
//    input it depends on, which also checks how the host chains the nodes.
// Finite differences are Richardson-extrapolated in double; a point with a kink within the
// step anywhere downstream (ReLU zeros, hinges) is skipped and counted, never failed.
#pragma once

#include <gradflow/diagnostics.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/testing/checks.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

struct GradientCheckOptions {
  int64_t batch = 4;
  uint64_t seed = 1;
  int64_t node_elements = 64;    // per input or parameter of one node; sampled beyond that
  int64_t graph_elements = 128;  // per parameter or input of the whole graph
  testing::DifferenceOptions difference;
};

struct NodeGradientCheck {
  std::string node;        // "hidden"
  std::string op;          // "Linear"
  std::string fused_with;  // the producer whose backward this node's fusion replaces, or ""
  bool backward = false;   // false: forward checks only (the loss does not depend on it)
  std::vector<testing::TensorCheck> tensors;
};

struct GradientCheckResult {
  bool has_loss = false;
  std::vector<NodeGradientCheck> nodes;     // execution order
  std::vector<testing::TensorCheck> graph;  // "hidden.weight", "input x"
  std::vector<Diagnostic> errors;           // each at its node's line; empty = passed
  bool passed() const { return errors.empty(); }
};

// Graph inputs bound to "y" get random one-hot rows and "label" random class indices, so the
// check needs no data set; everything else is drawn from N(0, 1).
GradientCheckResult check_gradients(const GraphSpec& spec, const OpRegistry& registry,
                                    const GradientCheckOptions& options = {});

}  // namespace gradflow
