// What most subcommands do first: load the plugins, then read and check the graph file.
#pragma once

#include <gradflow/graph_overrides.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradflow::cli {

// In order: the graph's own `plugins:` (relative to the graph file), --plugin flags,
// $GRADFLOW_PLUGIN_PATH, then the installed default folder <libdir>/gradflow/plugins (see
// default_plugin_folders); warnings about the search path go to stderr.
void load_plugins(OpRegistry& registry, const std::vector<std::string>& flags,
                  const GraphSpec* graph = nullptr);

// The data set of the graph's `train.data`; `purpose` completes "nothing to ... on" in the
// error for a graph without one.
Dataset load_graph_data(const GraphSpec& spec, const std::string& purpose);

// A graph file with --set overrides applied, its plugins loaded into `registry`, each override
// checked on its own through planning, so that a bad value is blamed on its --set argument.
GraphSpec load_graph(const std::string& path, const std::vector<GraphOverride>& overrides,
                     OpRegistry& registry, const std::vector<std::string>& plugin_flags);

// load_graph_data, blaming a data set override (train.data.*) for a data set it broke.
Dataset load_graph_data(const GraphSpec& spec, const std::vector<GraphOverride>& overrides,
                        const std::string& purpose);

// --batch-size: a positive count, or "full" (0). Empty text means "not given".
std::optional<int64_t> parse_batch_size(const std::string& text);

// --seed: digits only, 0 to 2^64-1 ("-1" and "1e23" are refused, never wrapped or rounded).
// Empty text means "not given".
std::optional<uint64_t> parse_seed(const std::string& text);

// --lr: a finite number in [0, 10^6] ("nan" and "inf" are refused). Empty means "not given".
std::optional<double> parse_learning_rate(const std::string& text);

}  // namespace gradflow::cli
