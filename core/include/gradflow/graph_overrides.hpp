// `--set KEY=VALUE`: a value of the graph file replaced (or added) before the file is checked,
// so every rule and message of the format applies to it. KEY is a path through the file's
// mappings, with node names for the `nodes` list: train.optimizer.lr, train.batch_size,
// train.data.train_size, nodes.hidden.out_features, nodes.h.op.
#pragma once

#include <gradflow/diagnostics.hpp>
#include <gradflow/graph_spec.hpp>

#include <string>
#include <vector>

namespace gradflow {

struct GraphOverride {
  std::string key;    // train.optimizer.lr
  std::string value;  // YAML text of the new value: 0.1, full, ReLU, {normal: 0.1}
  std::string arg;    // as the user wrote it, for messages: "--set train.optimizer.lr=0.1"
};

// Splits "KEY=VALUE"; `flag` is the option's name for messages ("--set"). Throws InputError
// for a missing '=', an empty key or value.
GraphOverride parse_override(const std::string& text, const std::string& flag = "--set");

// Reads a graph file and applies the overrides to its YAML before the structural checks.
// An override that makes the file invalid is reported as "--set KEY=VALUE: <problem>" at the
// line of the value it replaced (or of the mapping it was added to).
GraphSpec load_graph_file(const std::string& path, const std::vector<GraphOverride>& overrides);

// The same for a graph already in memory; overrides are applied in order, unchecked one by one.
GraphSpec parse_graph(const std::string& text, const std::string& path,
                      const std::vector<GraphOverride>& overrides);

// Where each override landed in the file: the value it replaced or the mapping it was added
// to. For rewriting later stages' messages (planning, data loading) in the same way.
std::vector<SourceLocation> override_anchors(const std::string& path,
                                             const std::vector<GraphOverride>& overrides);

// Rethrows `error` with each message prefixed by the override's argument, at its anchor when
// the message has no line of its own.
[[noreturn]] void blame_override(const InputError& error, const GraphOverride& override,
                                 const SourceLocation& anchor);

}  // namespace gradflow
