#include "sweep_grid.hpp"

#include "session.hpp"

#include <gradflow/numbers.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace gradflow::cli {
namespace {

constexpr size_t kMaxRuns = 10000;
constexpr size_t kMaxFolderName = 200;

std::vector<std::string> split_values(const std::string& text) {
  std::vector<std::string> values;
  std::string current;
  int depth = 0;
  for (char c : text) {
    depth += (c == '[' || c == '{') - (c == ']' || c == '}');
    if (c == ',' && depth == 0) {
      values.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  values.push_back(current);
  for (auto& v : values) {
    v.erase(0, v.find_first_not_of(' '));
    v.erase(v.find_last_not_of(' ') + 1);
  }
  return values;
}

std::vector<uint64_t> parse_seeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  const std::string what = "--seeds " + text + ": expected a range such as 0-4 or a list 0,1,7";
  for (const std::string& part : split_values(text)) {
    const size_t dash = part.find('-', 1);
    auto first = parse_integer(part.substr(0, dash));
    auto last = dash == std::string::npos ? first : parse_integer(part.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first || *last - *first >= int64_t{kMaxRuns})
      throw InputError(what);
    for (int64_t s = *first; s <= *last; ++s) seeds.push_back(static_cast<uint64_t>(s));
  }
  std::set<uint64_t> unique(seeds.begin(), seeds.end());
  if (unique.size() != seeds.size()) throw InputError("--seeds " + text + ": a seed is repeated");
  return seeds;
}

// The shortest tail of the key (by dot-separated parts) that no other key ends with.
std::string short_name(const std::vector<std::string>& keys, size_t k) {
  const std::string& key = keys[k];
  for (size_t dot = key.rfind('.');; dot = key.rfind('.', dot - 1)) {
    const std::string tail = dot == std::string::npos ? key : key.substr(dot + 1);
    bool unique = true;
    for (size_t j = 0; j < keys.size(); ++j) {
      const std::string& other = keys[j];
      if (j != k && other.size() >= tail.size() &&
          other.compare(other.size() - tail.size(), tail.size(), tail) == 0)
        unique = false;
    }
    if (unique || dot == std::string::npos || dot == 0) return tail;
  }
}

// Letters, digits and ._+- survive; anything else becomes '_'.
std::string folder_safe(const std::string& text) {
  std::string out;
  for (char c : text)
    out +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-'
            ? c
            : '_';
  return out;
}

std::string folder_name(const SweepGrid& g, const SweepPoint& p) {
  std::string name;
  for (size_t k = 0; k < g.keys.size(); ++k)
    name += folder_safe(short_name(g.keys, k)) + "-" + folder_safe(p.values[k]) + "_";
  name += "seed-" + std::to_string(p.seed);
  if (name.front() == '.' || name.front() == '-') name = "run" + name;
  return name.substr(0, kMaxFolderName);
}

void check_values(SweepGrid& g, const std::string& path, OpRegistry& registry,
                  const std::vector<std::string>& plugin_flags) {
  for (size_t k = 0; k < g.keys.size(); ++k) {
    for (const auto& v : g.values[k]) {
      const std::string arg = "--set " + g.keys[k] + "=" + v;
      std::vector<GraphOverride> one{{g.keys[k], v, arg}};
      GraphSpec spec = load_graph(path, one, registry, plugin_flags);
      if (g.keys[k].rfind("train.data", 0) == 0) load_graph_data(spec, one, "sweep");
    }
  }
}

}  // namespace

std::vector<std::string> SweepPoint::overrides() const {
  std::vector<std::string> out;
  for (size_t k = 0; k < keys.size(); ++k) out.push_back(keys[k] + "=" + values[k]);
  return out;
}

SweepResults SweepGrid::results(const std::string& command, std::optional<double> target) const {
  SweepResults r;
  r.command = command;
  r.keys = keys;
  r.values = values;
  r.target = target;
  for (size_t i = 0; i < points.size(); ++i)
    r.runs.push_back({points[i].values, points[i].seed, dirs[i], "not run", std::nullopt, {}});
  return r;
}

SweepGrid make_grid(const std::string& graph_path, const std::vector<std::string>& sets,
                    const std::string& seeds, OpRegistry& registry,
                    const std::vector<std::string>& plugin_flags) {
  SweepGrid g;
  for (const auto& text : sets) {
    GraphOverride o = parse_override(text);
    if (o.key == "train.seed")
      throw InputError("--set " + text +
                       ": the training seed is swept with --seeds, e.g. --seeds 0-4");
    if (std::find(g.keys.begin(), g.keys.end(), o.key) != g.keys.end())
      throw InputError("--set " + text + ": '" + o.key +
                       "' is already swept; give its values in one --set");
    std::vector<std::string> values = split_values(o.value);
    for (const auto& v : values)
      if (v.empty()) throw InputError("--set " + text + ": an empty value");
    if (std::set<std::string>(values.begin(), values.end()).size() != values.size())
      throw InputError("--set " + text + ": a value is repeated");
    g.keys.push_back(o.key);
    g.values.push_back(std::move(values));
  }
  const GraphSpec base = load_graph(graph_path, {}, registry, plugin_flags);
  g.graph_name = base.name;
  check_values(g, graph_path, registry, plugin_flags);
  load_graph_data(base, {}, "sweep");
  const std::vector<uint64_t> seed_list =
      seeds.empty() ? std::vector<uint64_t>{base.train.seed} : parse_seeds(seeds);
  size_t total = seed_list.size();
  for (const auto& v : g.values) total *= v.size();
  if (total > kMaxRuns)
    throw InputError(fmt::format("the sweep has {} runs; the limit is {}", total, kMaxRuns));
  std::vector<size_t> index(g.keys.size(), 0);
  for (size_t n = 0; n < total / seed_list.size(); ++n) {
    SweepPoint p{g.keys, {}, 0};
    for (size_t k = 0; k < g.keys.size(); ++k) p.values.push_back(g.values[k][index[k]]);
    for (uint64_t seed : seed_list) {
      p.seed = seed;
      g.points.push_back(p);
    }
    for (size_t k = g.keys.size(); k-- > 0;) {
      if (++index[k] < g.values[k].size()) break;
      index[k] = 0;
    }
  }
  std::set<std::string> used;
  for (const auto& p : g.points) {
    std::string name = folder_name(g, p);
    for (int extra = 2; used.count(name); ++extra)
      name = folder_name(g, p) + "_" + std::to_string(extra);
    used.insert(name);
    g.dirs.push_back(name);
  }
  return g;
}

}  // namespace gradflow::cli
