#include "session.hpp"

#include <gradflow/datasets.hpp>
#include <gradflow/model.hpp>

#include <charconv>
#include <cmath>
#include <iostream>
#include <stdexcept>

namespace gradflow::cli {

void load_plugins(OpRegistry& registry, const std::vector<std::string>& flags,
                  const GraphSpec* graph) {
  // The most specific source first: the graph's own `plugins:`, then --plugin, then the
  // searched folders. A duplicate op is an error whatever the order; the order decides which
  // file is named first and that a file listed twice is loaded from its first mention.
  if (graph) {
    DiagnosticList diags;
    for (size_t i = 0; i < graph->plugins.size(); ++i) {
      try {
        registry.load_plugin(graph->plugins[i], graph->plugin_where[i]);
      } catch (const InputError& e) {
        for (const auto& d : e.diagnostics()) diags.error(d.where, d.message);
      }
    }
    diags.throw_if_any();
  }
  std::vector<std::string> warnings;
  load_standard_plugins(registry, flags, &warnings);
  for (const auto& w : warnings) std::cerr << "graph-runner: warning: " << w << "\n";
}

Dataset load_graph_data(const GraphSpec& spec, const std::string& purpose) {
  if (!spec.train.present || !spec.train.data)
    throw InputError(SourceLocation{spec.path, 0, 0},
                     "the graph has no 'train.data' section: nothing to " + purpose + " on");
  return load_dataset(spec.train.data, spec.dir, spec.path);
}

GraphSpec load_graph(const std::string& path, const std::vector<GraphOverride>& overrides,
                     OpRegistry& registry, const std::vector<std::string>& plugin_flags) {
  GraphSpec spec = load_graph_file(path, overrides);
  load_plugins(registry, plugin_flags, &spec);
  if (overrides.empty()) return spec;
  const std::vector<SourceLocation> anchors = override_anchors(path, overrides);
  for (size_t i = 0; i < overrides.size(); ++i) {
    try {
      Model::plan(load_graph_file(path, {overrides[i]}), registry);
    } catch (const InputError& e) {
      blame_override(e, overrides[i], anchors[i]);
    }
  }
  return spec;
}

Dataset load_graph_data(const GraphSpec& spec, const std::vector<GraphOverride>& overrides,
                        const std::string& purpose) {
  try {
    return load_graph_data(spec, purpose);
  } catch (const InputError& e) {
    std::vector<size_t> data_overrides;
    for (size_t i = 0; i < overrides.size(); ++i)
      if (overrides[i].key.rfind("train.data", 0) == 0) data_overrides.push_back(i);
    if (data_overrides.size() != 1) throw;
    const GraphOverride& o = overrides[data_overrides[0]];
    blame_override(e, o, override_anchors(spec.path, {o})[0]);
  }
}

std::optional<int64_t> parse_batch_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "full") return 0;
  try {
    size_t used = 0;
    long long b = std::stoll(text, &used);
    if (used == text.size() && b >= 1) return b;
  } catch (const std::exception&) {
  }
  throw InputError("--batch-size must be a positive integer or 'full', got '" + text + "'");
}

std::optional<uint64_t> parse_seed(const std::string& text) {
  if (text.empty()) return std::nullopt;
  uint64_t seed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
  // from_chars takes no sign and no exponent, so "-1" and "1e23" stop before the end.
  if (ec != std::errc() || end != text.data() + text.size())
    throw InputError(
        "--seed must be an integer from 0 to 18446744073709551615 written as "
        "digits, got " +
        quoted_excerpt(text));
  return seed;
}

std::optional<double> parse_learning_rate(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double lr = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), lr);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(lr) || lr < 0 ||
      lr > 1e6)
    throw InputError("--lr must be a finite number from 0 to 1000000, got " + quoted_excerpt(text));
  return lr;
}

}  // namespace gradflow::cli
