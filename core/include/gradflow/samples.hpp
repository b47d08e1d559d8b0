// The samples training and evaluation consume: a data set in memory, split into train and test.
// The loaders in data/ (circles, mnist, fashion-mnist, idx, csv) produce it; the core never
// needs to know where samples came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

// IDX pixels are kept as bytes and scaled only when a batch is gathered: as floats,
// Fashion-MNIST's training images alone would take 188 MiB instead of 47. Every reader
// goes through this one expression, so batches, plots and CSV output agree bit for bit.
inline float byte_to_feature(uint8_t byte) {
  return static_cast<float>(byte) / 255.0f;
}

// One split, row-major. Fields a graph input can bind to: "x" (features), "y" (one-hot
// target, `classes` wide) and "label" (class index stored as a float, one column).
// Features are held either as floats in `x` or, for byte data (IDX), in `pixels` with `x`
// empty; read them through the accessors below rather than touching either vector.
struct Split {
  int64_t size = 0;
  std::vector<int64_t> feature_shape;  // per sample, e.g. {2} or {784}
  std::vector<float> x;                // size * prod(feature_shape), unless `pixels` is used
  std::vector<uint8_t> pixels;         // size * prod(feature_shape), feature = byte / 255
  std::vector<int32_t> labels;         // size, each in [0, classes)

  int64_t feature_size() const {
    int64_t n = 1;
    for (auto d : feature_shape) n *= d;
    return n;
  }
  // True when `x` holds the features, so rows can be used in place without conversion.
  bool has_float_features() const { return pixels.empty(); }
  // Number of stored feature values (size * feature_size() in a consistent split).
  size_t feature_count() const { return has_float_features() ? x.size() : pixels.size(); }
  // Feature `i` of the flattened split (row * feature_size() + column).
  float feature(size_t i) const { return has_float_features() ? x[i] : byte_to_feature(pixels[i]); }
  // Writes the feature_size() features of `row` to `dst`; never allocates.
  void copy_features(int64_t row, float* dst) const;
  // Writes the rows `rows[0..count)` one after the other to `dst`; never allocates.
  void gather_features(const int64_t* rows, int64_t count, float* dst) const;
  // All features as floats, e.g. for writing them out.
  std::vector<float> features() const;
};

struct Dataset {
  std::string name;
  int64_t classes = 0;
  std::vector<std::string> class_names;  // may be empty
  Split train;
  Split test;
};

}  // namespace gradflow
