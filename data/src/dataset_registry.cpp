// load_dataset: reads a graph's `train.data` mapping and hands it to the right loader.
#include "data_internal.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>

namespace gradflow {
namespace {

struct Entry {
  const char* name;
  std::vector<std::string> keys;  // besides `dataset` and `bind`
  std::function<Dataset(const YAML::Node&, const std::string&, const std::string&)> load;
};

const std::vector<Entry>& registry() {
  using namespace data_detail;
  static const std::vector<Entry> entries = {
      {"circles",
       {"seed", "train_size", "test_size", "noise", "factor"},
       [](const YAML::Node& s, const std::string&, const std::string& src) {
         return load_circles_spec(s, src);
       }},
      {"mnist",
       {"train_limit", "test_limit"},
       [](const YAML::Node& s, const std::string&, const std::string& src) {
         return load_mnist_spec(s, src);
       }},
      {"fashion-mnist",
       {"train_limit", "test_limit"},
       [](const YAML::Node& s, const std::string&, const std::string& src) {
         return load_fashion_mnist_spec(s, src);
       }},
      {"idx",
       {"train_images", "train_labels", "test_images", "test_labels", "train_limit", "test_limit"},
       load_idx_spec},
      {"csv", {"train", "test", "label", "train_limit", "test_limit"}, load_csv_spec},
  };
  return entries;
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s += ", ";
    s += w;
  }
  return s;
}

std::string non_empty_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// yaml-cpp keeps both copies of a repeated key and a lookup finds only one, so `train:` given
// twice would silently load one of the files. Graph files are checked when they are parsed;
// this covers every other caller of load_dataset.
void refuse_duplicate_keys(const YAML::Node& spec, const std::string& source) {
  using data_detail::yaml_location;
  DiagnosticList errors;
  std::map<std::string, SourceLocation> seen;
  for (const auto& item : spec) {
    if (!item.first.IsScalar()) continue;
    SourceLocation where = yaml_location(source, item.first);
    if (auto [first, fresh] = seen.emplace(item.first.Scalar(), where); !fresh)
      errors.error(where, "duplicate key '" + item.first.Scalar() + "' in 'data' (first at line " +
                              std::to_string(first->second.line) + ", column " +
                              std::to_string(first->second.column) + ")");
  }
  errors.throw_if_any();
}

}  // namespace

std::string data_cache_dir() {
  if (auto dir = non_empty_env("GRADFLOW_DATA_DIR"); !dir.empty()) return dir;
  // The XDG spec says relative values are invalid and must be ignored.
  if (auto xdg = non_empty_env("XDG_CACHE_HOME"); !xdg.empty() && xdg.front() == '/') {
    return xdg + "/gradflow";
  }
  std::string home = non_empty_env("HOME");
  if (home.empty()) {
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  if (home.empty()) {
    throw InputError("cannot find a folder for data sets: set GRADFLOW_DATA_DIR or HOME");
  }
  return home + "/.cache/gradflow";
}

Dataset load_dataset(const YAML::Node& spec_in, const std::string& base_dir,
                     const std::string& source) {
  using data_detail::yaml_location;
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.name);

  // `data: circles` is shorthand for `data: {dataset: circles}`.
  YAML::Node spec = spec_in;
  if (spec && spec.IsScalar()) {
    YAML::Node expanded(YAML::NodeType::Map);
    expanded["dataset"] = spec;
    spec = expanded;
  }
  if (!spec || !spec.IsMap()) {
    throw InputError(yaml_location(source, spec_in),
                     "'data' must be a mapping such as {dataset: circles, seed: 0}; known data "
                     "sets: " +
                         join(names));
  }
  refuse_duplicate_keys(spec, source);
  YAML::Node kind = spec["dataset"];
  if (!kind) {
    throw InputError(yaml_location(source, spec),
                     "'data' has no 'dataset' key; known data sets: " + join(names));
  }
  if (!kind.IsScalar()) {
    throw InputError(yaml_location(source, kind),
                     "'dataset' must be a name; known data sets: " + join(names));
  }
  const Entry* entry = nullptr;
  for (const auto& e : registry()) {
    if (kind.Scalar() == e.name) entry = &e;
  }
  if (!entry) {
    std::string hint = closest_match(kind.Scalar(), names);
    throw InputError(yaml_location(source, kind),
                     "unknown data set '" + kind.Scalar() + "'" +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                         "; known data sets: " + join(names));
  }

  DiagnosticList errors;
  std::vector<std::string> allowed = entry->keys;
  allowed.push_back("dataset");
  allowed.push_back("bind");  // read by the trainer, not here
  for (const auto& item : spec) {
    std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string("?");
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint = closest_match(key, allowed);
    errors.error(yaml_location(source, item.first),
                 "unknown key '" + key + "' for data set '" + entry->name + "'" +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                     "; allowed keys: " + join(entry->keys));
  }
  errors.throw_if_any();
  return entry->load(spec, base_dir, source);
}

}  // namespace gradflow
