// Helpers shared by the loaders in data/src; not part of the public API.
#pragma once

#include <gradflow/datasets.hpp>
#include <gradflow/diagnostics.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradflow::data_detail {

// The largest split any loader accepts; far beyond every real data set, small enough that
// size * features cannot overflow int64 for any feature width we accept.
constexpr int64_t kMaxSamples = 10'000'000;

// Reads a data file whole through read_file (user_file.hpp): directories, FIFOs and devices
// are refused before anything is read, because reading /dev/zero or a pipe would never end.
std::string read_regular_file(const std::string& path);

// a * b, or nullopt if the product overflows int64 (both must be >= 0).
std::optional<int64_t> checked_mul(int64_t a, int64_t b);

// A YAML node's position as a 1-based SourceLocation in `file` (0 when the node has none).
SourceLocation yaml_location(const std::string& file, const YAML::Node& node);

// Typed reads of scalar YAML values; each returns nullopt after recording an error in `errors`.
std::optional<int64_t> yaml_integer(const YAML::Node& node, const std::string& key,
                                    const std::string& file, DiagnosticList& errors);
std::optional<uint64_t> yaml_unsigned(const YAML::Node& node, const std::string& key,
                                      const std::string& file, DiagnosticList& errors);
std::optional<double> yaml_number(const YAML::Node& node, const std::string& key,
                                  const std::string& file, DiagnosticList& errors);
std::optional<std::string> yaml_string(const YAML::Node& node, const std::string& key,
                                       const std::string& file, DiagnosticList& errors);

// The per-data-set loaders behind load_dataset. `spec` has already been checked for
// unknown keys; each validates its own values and reports them at the key's position.
Dataset load_circles_spec(const YAML::Node& spec, const std::string& source);
Dataset load_idx_spec(const YAML::Node& spec, const std::string& base_dir,
                      const std::string& source);
Dataset load_csv_spec(const YAML::Node& spec, const std::string& base_dir,
                      const std::string& source);
Dataset load_mnist_spec(const YAML::Node& spec, const std::string& source);
Dataset load_fashion_mnist_spec(const YAML::Node& spec, const std::string& source);

// Reads optional `train_limit` / `test_limit` keys (take the first N samples).
struct Limits {
  std::optional<int64_t> train;
  std::optional<int64_t> test;
};
Limits read_limits(const YAML::Node& spec, const std::string& source, DiagnosticList& errors);
void apply_limit(Split& split, std::optional<int64_t> limit);

// A required file-path key: present, a string, and naming an existing file (relative paths
// from `base_dir`). Problems are reported at the key's position in the graph file.
std::optional<std::string> yaml_input_path(const YAML::Node& spec, const std::string& key,
                                           const std::string& base_dir, const std::string& source,
                                           DiagnosticList& errors);

// 1 + the largest label of both splits.
int64_t max_label_plus_one(const Split& a, const Split& b);

// Resolves a data file path from the graph: relative paths are taken from `base_dir`.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// gzip decompression with an output cap, so a small file claiming gigabytes (or a
// decompression bomb) never makes us allocate more than `max_output` bytes.
std::string gunzip(const std::string& bytes, const std::string& name, uint64_t max_output);
std::vector<uint8_t> gunzip_bytes(const std::string& bytes, const std::string& name,
                                  uint64_t max_output);
inline bool is_gzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

}  // namespace gradflow::data_detail
