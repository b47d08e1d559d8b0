// A graph file (format gradflow/1) as written, after the structural checks of stage one:
// keys, types, names and references. Op attributes are kept as YAML until the op's schema
// is known (stage two, in the planner).
#pragma once

#include <gradflow/diagnostics.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gradflow {

inline constexpr const char* kGraphFormat = "gradflow/1";

struct NodeAttr {
  std::string key;
  YAML::Node value;
  SourceLocation where;
};

struct NodeSpec {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  std::vector<SourceLocation> input_where;
  std::vector<NodeAttr> attrs;
  SourceLocation where;
  SourceLocation op_where;
  size_t index = 0;  // position in the file's node list, for "nodes[2]" in messages
};

struct InputSpec {
  std::string name;
  std::vector<int64_t> shape;
  SourceLocation where;
};

struct LossTerm {
  std::string node;
  double weight = 1.0;
  SourceLocation where;
};

struct OptimizerSpec {
  std::string name = "sgd";
  double lr = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  SourceLocation where;
};

struct TrainSpec {
  YAML::Node data;  // the `data` mapping, handed to load_dataset
  SourceLocation data_where;
  std::map<std::string, std::string> bind;  // graph input -> data field
  int64_t batch_size = 32;                  // 0 = full batch
  int64_t epochs = 10;
  OptimizerSpec optimizer;
  uint64_t seed = 0;
  bool present = false;
};

struct GraphSpec {
  std::string path;  // as given by the user, used in every message
  std::string dir;   // folder of the file, for relative paths
  std::string name;
  std::string description;
  std::vector<std::string> plugins;  // resolved against dir
  std::vector<SourceLocation> plugin_where;
  std::vector<InputSpec> inputs;
  std::vector<NodeSpec> nodes;
  std::vector<LossTerm> loss;
  std::string predict;
  SourceLocation predict_where;
  TrainSpec train;

  const NodeSpec* find_node(const std::string& name) const;
  const InputSpec* find_input(const std::string& name) const;
};

// Reads and checks a graph file; throws InputError listing every structural problem.
GraphSpec load_graph_file(const std::string& path);
GraphSpec parse_graph(const std::string& text, const std::string& path);

// Limits that keep a hostile file from exhausting memory or the stack.
inline constexpr size_t kMaxGraphFileBytes = 16u << 20;
inline constexpr size_t kMaxNodes = 100000;
// Elements of one sample of any value, and of any parameter: far above real networks, far
// below what would overflow a size computation or exhaust memory before allocate() checks.
inline constexpr int64_t kMaxSampleElements = int64_t{1} << 28;

}  // namespace gradflow
