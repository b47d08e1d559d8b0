// --set: walks a key path through the parsed YAML of a graph file and replaces or adds the
// value there, before the structural checks of graph_loader.cpp see the tree.
#include <gradflow/graph_overrides.hpp>

#include <gradflow/atomic_file.hpp>

#include "graph/graph_overrides_internal.hpp"
#include "graph/yaml_reader.hpp"

#include <sstream>

namespace gradflow {
namespace {

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(part);
  return parts;
}

// The item of the `nodes` list named by the longest run of path parts starting at `first`
// (node names may contain dots); `used` receives how many parts the name took.
YAML::Node find_node_item(const YAML::Node& nodes, const std::vector<std::string>& parts,
                          size_t first, size_t& used, std::vector<std::string>& names) {
  for (size_t n = parts.size() - 1; n > first; --n) {
    std::string name = parts[first];
    for (size_t k = first + 1; k < n; ++k) name += "." + parts[k];
    for (YAML::Node item : nodes) {
      if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) continue;
      if (n == parts.size() - 1) names.push_back(item["name"].Scalar());
      if (item["name"].Scalar() == name) {
        used = n - first;
        return item;
      }
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node value_node(const std::string& text) {
  // Flow collections ({normal: 0.1}, [3, 3]) are parsed; everything else stays a plain scalar,
  // which keeps the position of the value it replaces.
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) return YAML::Load(text);
  return YAML::Node(text);
}

}  // namespace

GraphOverride parse_override(const std::string& text, const std::string& flag) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError(flag + " " + text + ": expected KEY=VALUE, e.g. " + flag +
                     " train.optimizer.lr=0.1");
  return {text.substr(0, eq), text.substr(eq + 1), flag + " " + text};
}

// Returns where the override landed; reports a path that leads nowhere into `diags`.
SourceLocation apply_override(YAML::Node root, const GraphOverride& o, const YamlReader& yaml,
                              DiagnosticList& diags) {
  const std::vector<std::string> parts = split_path(o.key);
  YAML::Node at = root;
  std::string walked;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty()) {
      diags.error(yaml.where(at), o.arg + ": empty part in key '" + o.key + "'");
      return yaml.where(at);
    }
    if (at.IsSequence() && walked == "nodes" && i + 1 < parts.size()) {
      size_t used = 0;
      std::vector<std::string> names;
      YAML::Node item = find_node_item(at, parts, i, used, names);
      if (!item.IsDefined()) {
        std::string guess = closest_match(part, names);
        diags.error(yaml.where(at), o.arg + ": the graph has no node '" + part + "'" +
                                        (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
        return yaml.where(at);
      }
      at.reset(item);  // operator= would overwrite the node `at` refers to
      i += used - 1;
      walked += ".<node>";
      continue;
    }
    if (!at.IsMap() && !(at.IsNull() && i > 0)) {
      diags.error(yaml.where(at),
                  o.arg + ": '" + walked + "' is not a mapping, so it has no key '" + part + "'");
      return yaml.where(at);
    }
    walked += (walked.empty() ? "" : ".") + part;
    const YAML::Node existing = static_cast<const YAML::Node&>(at)[part];
    if (i + 1 == parts.size()) {
      const SourceLocation anchor = yaml.where(existing.IsDefined() ? existing : at);
      at[part] = value_node(o.value);
      return anchor;
    }
    if (!existing.IsDefined()) at[part] = YAML::Node(YAML::NodeType::Map);
    at.reset(at[part]);
  }
  return yaml.where(at);
}

std::vector<SourceLocation> override_anchors(const std::string& path,
                                             const std::vector<GraphOverride>& overrides) {
  DiagnosticList diags;
  YamlReader yaml(path, diags);
  YAML::Node root = yaml.parse_document(read_file(path));
  std::vector<SourceLocation> anchors;
  for (const auto& o : overrides)
    anchors.push_back(root.IsMap() ? apply_override(root, o, yaml, diags)
                                   : SourceLocation{path, 0, 0});
  return anchors;
}

void blame_override(const InputError& error, const GraphOverride& override,
                    const SourceLocation& anchor) {
  std::vector<Diagnostic> blamed;
  for (const auto& d : error.diagnostics()) {
    Diagnostic b = d;
    if (b.message.rfind(override.arg, 0) != 0) b.message = override.arg + ": " + b.message;
    // A flow value was parsed on its own, so its positions are not the file's.
    const bool parsed_alone =
        !override.value.empty() && (override.value.front() == '{' || override.value.front() == '[');
    if (b.where.line == 0 || b.where.file != anchor.file || parsed_alone) b.where = anchor;
    blamed.push_back(std::move(b));
  }
  throw InputError(std::move(blamed));
}

GraphSpec load_graph_file(const std::string& path, const std::vector<GraphOverride>& overrides) {
  GraphSpec plain = load_graph_file(path);
  if (overrides.empty()) return plain;
  const std::string text = read_file(path);
  const std::vector<SourceLocation> anchors = override_anchors(path, overrides);
  // One at a time first, so that each problem is blamed on the override that caused it.
  for (size_t i = 0; i < overrides.size(); ++i) {
    try {
      parse_graph(text, path, {overrides[i]});
    } catch (const InputError& e) {
      blame_override(e, overrides[i], anchors[i]);
    }
  }
  return parse_graph(text, path, overrides);
}

}  // namespace gradflow
