// Stage one of reading a graph: YAML syntax, the file's structure, names and references.
// Every problem of this stage is collected before anything is thrown.
#include <gradflow/graph_spec.hpp>

#include <gradflow/folder_name.hpp>
#include <gradflow/user_file.hpp>

#include "base/utf8.hpp"
#include "graph/graph_overrides_internal.hpp"
#include "graph/yaml_reader.hpp"

#include <algorithm>
#include <cctype>

#include <filesystem>
#include <set>

namespace gradflow {
namespace {

const std::vector<std::string> kTopLevelKeys = {
    "format", "name", "description", "plugins", "inputs", "nodes", "loss", "predict", "train"};
const std::vector<std::string> kTrainKeys = {"data", "batch_size", "epochs", "optimizer", "seed"};
const std::vector<std::string> kOptimizerKeys = {"name",         "lr",    "momentum", "nesterov",
                                                 "weight_decay", "betas", "eps"};
const std::vector<std::string> kOptimizers = {"sgd", "adam", "adamw"};

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

class GraphParser {
 public:
  GraphParser(const std::string& path) : yaml_(path, diags_) {}

  GraphSpec parse(const std::string& text, const std::vector<GraphOverride>& overrides = {}) {
    spec_.path = yaml_.file();
    std::filesystem::path p(spec_.path);
    spec_.dir = p.has_parent_path() ? p.parent_path().string() : ".";

    YAML::Node root = yaml_.parse_document(text);
    diags_.throw_if_any();
    if (!root || root.IsNull()) {
      diags_.error({spec_.path, 1, 1}, "the file is empty: a graph needs at least 'format: " +
                                           std::string(kGraphFormat) + "' and 'nodes'");
      diags_.throw_if_any();
    }
    if (!root.IsMap()) {
      diags_.error(yaml_.where(root),
                   "a graph file must be a mapping of keys ('format', 'nodes', ...)");
      diags_.throw_if_any();
    }
    for (const auto& o : overrides) apply_override(root, o, yaml_, diags_);
    diags_.throw_if_any();
    check_format(root);
    yaml_.check_keys(root, kTopLevelKeys, "top-level key");
    read_name(root["name"], p.stem().string());
    read_description(root["description"]);
    read_plugins(root["plugins"]);
    read_inputs(root["inputs"], yaml_.where(root));
    read_nodes(root["nodes"], yaml_.where(root));
    check_names();
    read_loss(root["loss"]);
    read_predict(root["predict"]);
    read_train(root["train"]);
    diags_.throw_if_any();
    return std::move(spec_);
  }

 private:
  void check_format(const YAML::Node& root) {
    auto first = root.begin();
    YAML::Node format = root["format"];
    if (!format) {
      diags_.error(yaml_.where(root), std::string("missing 'format: ") + kGraphFormat +
                                          "' (it must be the first key of a graph file)");
      return;
    }
    if (!format.IsScalar() || format.Scalar() != kGraphFormat) {
      std::string got = format.IsScalar() ? "'" + format.Scalar() + "'" : "a non-text value";
      diags_.error(yaml_.where(format),
                   "unsupported format " + got + ": this gradflow reads '" + kGraphFormat + "'");
    } else if (first->first.Scalar() != "format") {
      // Point at 'format' itself: that is the line the user has to move.
      diags_.error(yaml_.where(format), "'format' must be the first key of a graph file (found '" +
                                            first->first.Scalar() + "' before it)");
    }
  }

  // The name becomes the output folder runs/<name> and goes into every file header, so it
  // is checked here, with its line, rather than when the run is about to save.
  void read_name(const YAML::Node& node, const std::string& file_stem) {
    if (!node) {
      spec_.name = file_stem;
      if (!is_safe_folder_name(file_stem))
        diags_.error({spec_.path, 1, 1}, "the graph has no 'name', and its file name " +
                                             quoted_excerpt(file_stem) +
                                             " cannot stand in for one (a name must be " +
                                             folder_name_rule() + "): add a 'name:' key");
      return;
    }
    auto name = yaml_.as_string(node, "'name'");
    if (!name) return;
    spec_.name = *name;
    if (!is_safe_folder_name(*name))
      diags_.error(yaml_.where(node), "'name' " + quoted_excerpt(*name) +
                                          " is not a safe name: it becomes the output folder "
                                          "runs/<name>, so it must be " +
                                          folder_name_rule());
  }

  void read_description(const YAML::Node& node) {
    if (!node) return;
    auto text = yaml_.as_string(node, "'description'");
    if (!text) return;
    if (!is_valid_utf8(*text)) {
      diags_.error(yaml_.where(node), "'description' is not valid UTF-8 text");
      return;
    }
    spec_.description = *text;
  }

  void read_plugins(const YAML::Node& node) {
    if (!node || node.IsNull()) return;
    if (!node.IsSequence()) {
      diags_.error(yaml_.where(node), "'plugins' must be a list of library paths");
      return;
    }
    for (const auto& item : node) {
      auto path = yaml_.as_string(item, "plugin path");
      if (!path) continue;
      std::filesystem::path plugin(*path);
      if (plugin.is_relative()) plugin = std::filesystem::path(spec_.dir) / plugin;
      spec_.plugins.push_back(plugin.lexically_normal().string());
      spec_.plugin_where.push_back(yaml_.where(item));
    }
  }

  void read_inputs(const YAML::Node& node, const SourceLocation& root_where) {
    if (!node || node.IsNull()) {
      diags_.error(root_where,
                   "missing 'inputs': declare the graph's inputs, e.g. x: {shape: [2]}");
      return;
    }
    if (!node.IsMap()) {
      diags_.error(yaml_.where(node), "'inputs' must map each input name to {shape: [...]}");
      return;
    }
    for (const auto& entry : node) {
      InputSpec input;
      input.where = yaml_.where(entry.first);
      auto name = yaml_.as_string(entry.first, "input name");
      if (!name) continue;
      input.name = *name;
      if (!is_identifier(input.name)) {
        diags_.error(input.where, "input name '" + input.name +
                                      "' may only use letters, digits, '_', '-' and '.'");
        continue;
      }
      // An input with a bad shape is still declared: keeping its name stops every node that
      // reads it from also being reported as having an unknown input. Stage one then throws,
      // so the empty shape is never used.
      const YAML::Node& body = entry.second;
      if (!body.IsMap() || !body["shape"]) {
        diags_.error(yaml_.where(body), "input '" + input.name + "' needs {shape: [...]}");
        spec_.inputs.push_back(std::move(input));
        continue;
      }
      yaml_.check_keys(body, {"shape"}, "key of input '" + input.name + "'");
      auto shape = yaml_.as_shape(body["shape"], "shape of input '" + input.name + "'");
      if (shape) {
        // Each dimension is bounded, but their product could still overflow int64.
        double elements = 1;
        for (int64_t d : *shape) elements *= static_cast<double>(d);
        if (elements > static_cast<double>(kMaxSampleElements)) {
          diags_.error(yaml_.where(body["shape"]), "shape of input '" + input.name + "' has " +
                                                       YAML::Dump(YAML::Node(elements)) +
                                                       " elements per sample; the limit is " +
                                                       std::to_string(kMaxSampleElements));
        } else {
          input.shape = *shape;
        }
      }
      spec_.inputs.push_back(std::move(input));
    }
  }

  void read_nodes(const YAML::Node& node, const SourceLocation& root_where) {
    if (!node || node.IsNull()) {
      diags_.error(root_where, "missing 'nodes': a graph needs at least one node");
      return;
    }
    if (!node.IsSequence()) {
      diags_.error(yaml_.where(node), "'nodes' must be a list of {name, op, inputs, ...}");
      return;
    }
    if (node.size() > kMaxNodes) {
      diags_.error(yaml_.where(node), "too many nodes (" + std::to_string(node.size()) +
                                          "); the limit is " + std::to_string(kMaxNodes));
      return;
    }
    size_t index = 0;
    for (const auto& item : node) read_node(item, index++);
  }

  void read_node(const YAML::Node& item, size_t index) {
    std::string label = "nodes[" + std::to_string(index) + "]";
    if (!item.IsMap()) {
      diags_.error(yaml_.where(item), label + ": a node must be a mapping {name, op, inputs, ...}");
      return;
    }
    NodeSpec n;
    n.index = index;
    n.where = yaml_.where(item);
    auto name = yaml_.required_string(item, "name", label);
    auto op = yaml_.required_string(item, "op", label);
    if (name) {
      n.name = *name;
      label += " '" + n.name + "'";
      if (!is_identifier(n.name))
        diags_.error(yaml_.where(item["name"]),
                     label + ": a node name may only use letters, digits, '_', '-' and '.'");
    }
    if (op) {
      n.op = *op;
      n.op_where = yaml_.where(item["op"]);
    }
    YAML::Node inputs = item["inputs"];
    if (inputs && !inputs.IsNull()) {
      if (!inputs.IsSequence()) {
        diags_.error(yaml_.where(inputs), label + ": 'inputs' must be a list of names");
      } else {
        for (const auto& in : inputs) {
          auto in_name = yaml_.as_string(in, label + " input");
          if (!in_name) continue;
          n.inputs.push_back(*in_name);
          n.input_where.push_back(yaml_.where(in));
        }
      }
    }
    for (const auto& entry : item) {
      const std::string& key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      if (key == "name" || key == "op" || key == "inputs") continue;
      if (key.empty()) {
        diags_.error(yaml_.where(entry.first), label + ": attribute names must be plain text");
        continue;
      }
      n.attrs.push_back({key, entry.second, yaml_.where(entry.first)});
    }
    if (name && op) spec_.nodes.push_back(std::move(n));
  }

  void check_names() {
    std::map<std::string, SourceLocation> seen;
    auto claim = [&](const std::string& name, const SourceLocation& where, const char* what) {
      auto [it, fresh] = seen.emplace(name, where);
      if (!fresh)
        diags_.error(where, std::string("duplicate name '") + name + "' (" + what +
                                "); it was first defined at line " +
                                std::to_string(it->second.line));
    };
    for (const auto& in : spec_.inputs) claim(in.name, in.where, "input");
    for (const auto& n : spec_.nodes) claim(n.name, n.where, "node");

    std::vector<std::string> known;
    for (const auto& [name, where] : seen) known.push_back(name);
    for (const auto& n : spec_.nodes) {
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (seen.count(n.inputs[i])) continue;
        std::string message = "nodes[" + std::to_string(n.index) + "] '" + n.name +
                              "': unknown input '" + n.inputs[i] + "'";
        diags_.error(n.input_where[i], message + suggestion(n.inputs[i], known));
      }
    }
  }

  // "Did you mean" for the first kMaxSuggestions unknown names only: each search may take a
  // millisecond, and a file with thousands of wrong names needs the list, not the guesses.
  std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
    if (suggestions_left_ == 0) return "";
    --suggestions_left_;
    std::string guess = closest_match(word, candidates);
    return guess.empty() ? "" : " (did you mean '" + guess + "'?)";
  }

  void report_unknown_node(const std::string& name, const SourceLocation& where,
                           const std::string& what) {
    if (node_names_.empty())
      for (const auto& n : spec_.nodes) node_names_.push_back(n.name);
    diags_.error(where,
                 what + " names unknown node '" + name + "'" + suggestion(name, node_names_));
  }

  void add_loss_term(const std::string& node, double weight, const SourceLocation& where) {
    if (!spec_.find_node(node)) {
      report_unknown_node(node, where, "'loss'");
      return;
    }
    spec_.loss.push_back({node, weight, where});
  }

  void read_loss(const YAML::Node& node) {
    if (!node || node.IsNull()) return;  // a graph without a loss can still be evaluated
    if (node.IsScalar()) {
      add_loss_term(node.Scalar(), 1.0, yaml_.where(node));
      return;
    }
    if (!node.IsSequence()) {
      diags_.error(yaml_.where(node),
                   "'loss' must be a node name, a list of names, or a list of {node, weight}");
      return;
    }
    for (const auto& item : node) {
      if (item.IsScalar()) {
        add_loss_term(item.Scalar(), 1.0, yaml_.where(item));
      } else if (item.IsMap()) {
        yaml_.check_keys(item, {"node", "weight"}, "key of a loss term");
        auto name = yaml_.required_string(item, "node", "loss term");
        double weight = 1.0;
        if (item["weight"]) {
          auto w = yaml_.as_number(item["weight"], "loss weight", 0.0, 1e6);
          if (w) weight = *w;
        }
        if (name) add_loss_term(*name, weight, yaml_.where(item));
      } else {
        diags_.error(yaml_.where(item), "a loss term must be a node name or {node, weight}");
      }
    }
  }

  void read_predict(const YAML::Node& node) {
    if (!node || node.IsNull()) return;
    auto name = yaml_.as_string(node, "'predict'");
    if (!name) return;
    spec_.predict_where = yaml_.where(node);
    if (!spec_.find_node(*name) && !spec_.find_input(*name)) {
      report_unknown_node(*name, spec_.predict_where, "'predict'");
      return;
    }
    spec_.predict = *name;
  }

  void read_train(const YAML::Node& node) {
    TrainSpec& t = spec_.train;
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) {
      diags_.error(yaml_.where(node), "'train' must be a mapping (data, batch_size, epochs, ...)");
      return;
    }
    t.present = true;
    yaml_.check_keys(node, kTrainKeys, "key of 'train'");
    if (YAML::Node data = node["data"]) {
      t.data_where = yaml_.where(data);
      if (!data.IsMap() || !data["dataset"]) {
        diags_.error(t.data_where, "'train.data' must be a mapping with a 'dataset' key");
      } else {
        t.data = data;
        read_bind(data["bind"]);
      }
    }
    if (YAML::Node b = node["batch_size"]) {
      if (b.IsScalar() && b.Scalar() == "full") {
        t.batch_size = 0;
      } else if (auto v = yaml_.as_integer(b, "'batch_size' (a count or 'full')", 1, 1 << 24)) {
        t.batch_size = *v;
      }
    }
    if (YAML::Node e = node["epochs"])
      if (auto v = yaml_.as_integer(e, "'epochs'", 0, 1000000)) t.epochs = *v;
    if (YAML::Node s = node["seed"])
      if (auto v = yaml_.as_integer(s, "'seed'", 0, INT64_MAX)) t.seed = static_cast<uint64_t>(*v);
    if (YAML::Node o = node["optimizer"]) read_optimizer(o);
  }

  void read_bind(const YAML::Node& bind) {
    if (!bind) return;
    if (!bind.IsMap()) {
      diags_.error(yaml_.where(bind), "'bind' maps graph inputs to data fields, e.g. {x: x}");
      return;
    }
    for (const auto& entry : bind) {
      auto input = yaml_.as_string(entry.first, "bound input");
      auto field = yaml_.as_string(entry.second, "data field");
      if (!input || !field) continue;
      if (!spec_.find_input(*input))
        diags_.error(yaml_.where(entry.first), "'bind' names unknown graph input '" + *input + "'");
      spec_.train.bind[*input] = *field;
    }
  }

  void read_optimizer(const YAML::Node& node) {
    OptimizerSpec& o = spec_.train.optimizer;
    o.where = yaml_.where(node);
    if (!node.IsMap()) {
      diags_.error(o.where, "'optimizer' must be a mapping, e.g. {name: sgd, lr: 0.03}");
      return;
    }
    yaml_.check_keys(node, kOptimizerKeys, "optimizer key");
    if (auto name = yaml_.optional_string(node, "name")) {
      if (std::find(kOptimizers.begin(), kOptimizers.end(), *name) == kOptimizers.end()) {
        std::string message = "unknown optimizer '" + *name + "' (known: sgd, adam, adamw)";
        diags_.error(yaml_.where(node["name"]), message);
      } else {
        o.name = *name;
      }
    }
    // PyTorch's defaults, so that a file naming only the optimizer trains as PyTorch would.
    if (o.name == "adam" || o.name == "adamw") o.lr = 0.001;
    if (o.name == "adamw") o.weight_decay = 0.01;
    auto number = [&](const char* key, double& out, double lo, double hi) {
      if (YAML::Node v = node[key])
        if (auto x = yaml_.as_number(v, std::string("'") + key + "'", lo, hi)) out = *x;
    };
    number("lr", o.lr, 0.0, 1e6);
    number("momentum", o.momentum, 0.0, 1.0);
    number("weight_decay", o.weight_decay, 0.0, 1e6);
    number("eps", o.eps, 0.0, 1.0);
    if (YAML::Node n = node["nesterov"])
      if (auto b = yaml_.as_bool(n, "'nesterov'")) o.nesterov = *b;
    if (YAML::Node betas = node["betas"]) {
      if (!betas.IsSequence() || betas.size() != 2) {
        diags_.error(yaml_.where(betas),
                     "'betas' must be a list of two numbers, e.g. [0.9, 0.999]");
      } else {
        if (auto b1 = yaml_.as_number(betas[0], "beta1", 0.0, 0.999999)) o.beta1 = *b1;
        if (auto b2 = yaml_.as_number(betas[1], "beta2", 0.0, 0.999999)) o.beta2 = *b2;
      }
    }
    if (o.nesterov && o.momentum <= 0.0)
      diags_.error(yaml_.where(node["nesterov"]), "'nesterov' needs a momentum above 0");
  }

  static constexpr size_t kMaxSuggestions = 50;

  DiagnosticList diags_;
  YamlReader yaml_;
  GraphSpec spec_;
  size_t suggestions_left_ = kMaxSuggestions;
  std::vector<std::string> node_names_;  // filled on the first unknown node reference
};

}  // namespace

const NodeSpec* GraphSpec::find_node(const std::string& wanted) const {
  for (const auto& n : nodes)
    if (n.name == wanted) return &n;
  return nullptr;
}

const InputSpec* GraphSpec::find_input(const std::string& wanted) const {
  for (const auto& i : inputs)
    if (i.name == wanted) return &i;
  return nullptr;
}

GraphSpec parse_graph(const std::string& text, const std::string& path) {
  return GraphParser(path).parse(text);
}

GraphSpec parse_graph(const std::string& text, const std::string& path,
                      const std::vector<GraphOverride>& overrides) {
  return GraphParser(path).parse(text, overrides);
}

GraphSpec load_graph_file(const std::string& path) {
  return parse_graph(read_file(path, "graph file", kMaxGraphFileBytes), path);
}

}  // namespace gradflow
