// The data set loaders: circles, mnist, fashion-mnist, idx and csv, each producing the
// samples of <gradflow/samples.hpp>. graph-runner joins them to the core.
#pragma once

#include <gradflow/diagnostics.hpp>
#include <gradflow/samples.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

// Where installed data sets live: $GRADFLOW_DATA_DIR, else $XDG_CACHE_HOME/gradflow, else
// $HOME/.cache/gradflow. The README's set-up fills it.
std::string data_cache_dir();

// Loads the data set described by a graph's `train.data` mapping. Relative paths are taken
// relative to `base_dir` (the graph file's folder). `source` names the graph file, for errors.
// Throws InputError (exit 2) for unknown data sets, missing or corrupt files.
Dataset load_dataset(const YAML::Node& spec, const std::string& base_dir,
                     const std::string& source);

// The individual loaders, for tests and for the fuzzers.
struct CirclesOptions {
  int64_t train_size = 200;
  int64_t test_size = 200;
  double noise = 0.1;
  double factor = 0.5;  // inner radius relative to the outer one
  uint64_t seed = 0;
};
Dataset make_circles(const CirclesOptions& options);

// IDX (LeCun's format), plain or gzip. Images are flattened and kept as bytes in `pixels`;
// their features are the bytes scaled to [0, 1].
Split load_idx(const std::string& images_path, const std::string& labels_path);
// Parses IDX bytes already in memory; `name` is used in error messages. The first returns
// the pixel bytes, the second the same pixels scaled to floats in [0, 1].
std::vector<uint8_t> parse_idx_image_bytes(const std::string& bytes, const std::string& name,
                                           int64_t* count, std::vector<int64_t>* sample_shape);
std::vector<float> parse_idx_images(const std::string& bytes, const std::string& name,
                                    int64_t* count, std::vector<int64_t>* sample_shape);
std::vector<int32_t> parse_idx_labels(const std::string& bytes, const std::string& name);

// CSV: a header row, numeric feature columns and one integer label column.
Split load_csv(const std::string& path, const std::string& label_column);
Split parse_csv(const std::string& text, const std::string& name, const std::string& label_column);

// Rows of features to predict on, read by the same CSV reader as the `csv` data set. A
// header is optional: with `automatic`, the first row is a header when none of its cells is a
// number or empty, data when all of them are, and an error when it mixes both (say which
// with `yes` or `no`). A header's label column is skipped. With expected_columns > 0, every
// row must have that many features. nan, inf and empty cells are refused.
enum class CsvHeader { automatic, yes, no };
struct FeatureCsvOptions {
  CsvHeader header = CsvHeader::automatic;
  int64_t expected_columns = 0;
  std::string label_column = "label";
};
struct FeatureRows {
  int64_t rows = 0;
  int64_t columns = 0;
  std::vector<float> x;  // rows x columns, row-major
};
FeatureRows parse_feature_csv(const std::string& text, const std::string& name,
                              const FeatureCsvOptions& options = {});
FeatureRows load_feature_csv(const std::string& path, const FeatureCsvOptions& options = {});

// Writes a split as CSV (features then label), for `graph-runner data` and other tools.
void write_csv(const Split& split, const std::string& path);

}  // namespace gradflow
