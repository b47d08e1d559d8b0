#include <gradflow/resume.hpp>
#include <gradflow/tensor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace gradflow {
namespace {

// Attributes and data settings have been validated before a run starts, so real ones are a
// handful of YAML nodes; the budget only keeps an alias-expanded monster from being written
// out in full.
constexpr size_t kMaxCanonicalNodes = 10000;

bool plain_scalar(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == '/';
  });
}

// YAML written out one way only: mapping keys sorted, flow style, scalars quoted unless
// plain, every byte outside printable ASCII escaped (so the text is valid in any header).
class CanonicalYaml {
 public:
  std::string write(const YAML::Node& node) {
    std::string out;
    append(node, out);
    return out;
  }

 private:
  void append(const YAML::Node& node, std::string& out) {
    if (nodes_left_ == 0) {
      out += "...";
      return;
    }
    --nodes_left_;
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return scalar(node.Scalar(), out);
      case YAML::NodeType::Sequence: {
        out += '[';
        bool first = true;
        for (const auto& item : node) {
          out += first ? "" : ", ";
          first = false;
          append(item, out);
        }
        out += ']';
        return;
      }
      case YAML::NodeType::Map:
        return map(node, out);
      default:
        out += "null";
    }
  }

  void map(const YAML::Node& node, std::string& out) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& entry : node) {
      std::string key, value;
      append(entry.first, key);
      append(entry.second, value);
      entries.emplace_back(std::move(key), std::move(value));
    }
    std::sort(entries.begin(), entries.end());
    out += '{';
    for (size_t i = 0; i < entries.size(); ++i)
      out += (i ? ", " : "") + entries[i].first + ": " + entries[i].second;
    out += '}';
  }

  static void scalar(const std::string& s, std::string& out) {
    if (plain_scalar(s)) {
      out += s;
      return;
    }
    out += '"';
    for (char c : s) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\')
        out += std::string("\\") + c;
      else if (byte >= 0x20 && byte < 0x7F)
        out += c;
      else
        out += fmt::format("\\x{:02X}", byte);
    }
    out += '"';
  }

  size_t nodes_left_ = kMaxCanonicalNodes;
};

std::string fingerprint(const GraphSpec& spec) {
  std::vector<std::string> lines;
  for (const auto& in : spec.inputs)
    lines.push_back("input " + in.name + shape_to_string(in.shape));
  for (const auto& n : spec.nodes) {
    std::vector<std::string> attrs;
    for (const auto& a : n.attrs) attrs.push_back(a.key + "=" + CanonicalYaml().write(a.value));
    std::sort(attrs.begin(), attrs.end());
    std::string line = "node " + n.name + " " + n.op + " (";
    for (const auto& in : n.inputs) line += in + ",";
    line += ")";
    for (const auto& a : attrs) line += " " + a;
    lines.push_back(line);
  }
  for (const auto& t : spec.loss) lines.push_back(fmt::format("loss {} {}", t.node, t.weight));
  std::sort(lines.begin(), lines.end());
  // FNV-1a: the fingerprint only has to notice a change, not resist a forger.
  uint64_t hash = 14695981039346656037ull;
  for (const auto& line : lines)
    for (char c : line + "\n") hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

template <class T>
std::optional<T> parse_digits(const std::string& text) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

constexpr const char* kFreshRun = "or start a fresh run without --resume";

void compare_identity(const Metadata& meta, const RunIdentity& now, const SourceLocation& where,
                      DiagnosticList& diags) {
  if (meta.at("structure") != now.structure)
    diags.error(where,
                "the graph's inputs, nodes or loss have changed since this checkpoint was "
                "written: resume with the graph as it was, " +
                    std::string(kFreshRun));
  auto batch = parse_digits<int64_t>(meta.at("batch_size"));
  if (!batch)
    diags.error(where, "metadata 'batch_size' is " + quoted_excerpt(meta.at("batch_size")) +
                           ", not a count: the file is damaged");
  else if (*batch != now.batch)
    diags.error(where, fmt::format("this checkpoint was written with batch size {}, this run uses "
                                   "{}: resume with --batch-size {}, {}",
                                   *batch, now.batch, *batch, kFreshRun));
  auto seed = parse_digits<uint64_t>(meta.at("seed"));
  if (!seed)
    diags.error(where, "metadata 'seed' is " + quoted_excerpt(meta.at("seed")) +
                           ", not a seed: the file is damaged");
  else if (*seed != now.seed)
    diags.error(where, fmt::format("this checkpoint was written with seed {}, this run uses {}: "
                                   "resume with --seed {}, {}",
                                   *seed, now.seed, *seed, kFreshRun));
  if (meta.at("data") != now.data)
    diags.error(where, fmt::format("this checkpoint was trained on data {}, this run uses {}: "
                                   "resume with the data settings it was trained on, {}",
                                   quoted_excerpt(meta.at("data"), 200),
                                   quoted_excerpt(now.data, 200), kFreshRun));
}

void check_position(const Metadata& meta, const TrainingPosition& position, int64_t optimizer_steps,
                    int64_t steps_per_epoch, const SourceLocation& where) {
  if (position.step >= steps_per_epoch)
    throw InputError(where, fmt::format("metadata 'step' is {}, but an epoch of this run has only "
                                        "{} steps: the file is damaged",
                                        position.step, steps_per_epoch));
  // Both factors are bounded by load_checkpoint and prepare_training: no overflow.
  const int64_t batches_seen = position.epoch * steps_per_epoch + position.step;
  if (meta.count("optimizer") && optimizer_steps > batches_seen)
    throw InputError(where,
                     fmt::format("metadata 'optimizer_steps' is {}, more than the {} "
                                 "batches that epoch {}, step {} can have seen: the file "
                                 "is damaged",
                                 optimizer_steps, batches_seen, position.epoch, position.step));
}

}  // namespace

RunIdentity run_identity(const GraphSpec& spec, int64_t batch) {
  RunIdentity id;
  id.graph = spec.name;
  id.structure = fingerprint(spec);
  id.data = CanonicalYaml().write(spec.train.data);
  id.batch = batch;
  id.seed = spec.train.seed;
  return id;
}

Metadata identity_metadata(const RunIdentity& identity) {
  return {{"structure", identity.structure},
          {"data", identity.data},
          {"batch_size", std::to_string(identity.batch)},
          {"seed", std::to_string(identity.seed)}};
}

void check_resume(const std::string& source, const Metadata& meta, const RunIdentity& current,
                  const TrainingPosition& position, int64_t optimizer_steps,
                  int64_t steps_per_epoch) {
  const SourceLocation where{source, 0, 0};
  if (!meta.count("format"))
    throw InputError(where,
                     "has no 'format' metadata: it is not a checkpoint written by "
                     "graph-runner train");
  auto graph = meta.find("graph");
  if (graph == meta.end() || graph->second != current.graph)
    throw InputError(where, "this checkpoint was written for graph " +
                                (graph == meta.end() ? "(none)" : quoted_excerpt(graph->second)) +
                                ", not '" + current.graph + "': resume with that graph, " +
                                kFreshRun);
  for (const char* key : {"structure", "data", "batch_size", "seed"})
    if (!meta.count(key))
      throw InputError(where, std::string("has no '") + key +
                                  "' metadata, which resuming checks (written by an older "
                                  "gradflow?): start a fresh run without --resume; eval and "
                                  "predict still read its weights");
  DiagnosticList diags;
  compare_identity(meta, current, where, diags);
  diags.throw_if_any();
  check_position(meta, position, optimizer_steps, steps_per_epoch, where);
}

}  // namespace gradflow
