// Shared helpers of the graph and model tests: a registry with the built-in ops, graphs
// written inline, temporary folders.
#pragma once

#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/registry.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace gradflow::test {

inline std::string test_plugin(const std::string& name) {
  return std::string(GRADFLOW_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

// A fresh registry each time: tests must not see each other's extra plugins.
inline std::unique_ptr<OpRegistry> builtin_registry(const std::vector<std::string>& extra = {}) {
  auto registry = std::make_unique<OpRegistry>();
  registry->load_plugin(GRADFLOW_BUILTIN_OPS);
  for (const auto& p : extra) registry->load_plugin(p);
  return registry;
}

inline std::unique_ptr<Model> plan_text(const std::string& yaml, const OpRegistry& registry,
                                        const PlanOptions& options = {}) {
  GraphSpec spec = parse_graph(yaml, "inline.yaml");
  return Model::plan(spec, registry, options);
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Fills every sample of a graph input with a deterministic pattern.
inline void fill_input(Model& model, const std::string& name, const std::vector<float>& data) {
  int v = model.input_value(name);
  REQUIRE(v >= 0);
  Value& value = model.values()[v];
  REQUIRE(static_cast<int64_t>(data.size()) <= value.data.size());
  std::copy(data.begin(), data.end(), value.data.data());
}

inline std::vector<std::string> execution_order(const Model& model) {
  std::vector<std::string> names;
  for (const auto& n : model.nodes()) names.push_back(n.spec->name);
  return names;
}

inline const PlannedNode& node_named(const Model& model, const std::string& name) {
  for (const auto& n : model.nodes())
    if (n.spec->name == name) return n;
  FAIL("no node named " << name);
  throw std::logic_error("unreachable");
}

inline const Parameter& param_named(const Model& model, const std::string& name) {
  for (const auto& p : model.parameters())
    if (p.name == name) return p;
  FAIL("no parameter named " << name);
  throw std::logic_error("unreachable");
}

}  // namespace gradflow::test
