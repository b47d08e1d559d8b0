// A small image data set written as IDX files and a graph that uses every op for images and
// deeper nets (Conv2D with and without im2col, both pools, GlobalAvgPool, Flatten, Reshape,
// Dropout, BatchNorm per channel and per feature, Add, Concat), for the model, allocation and
// resume tests.
#pragma once

#include <gradflow/samples.hpp>

#include <cstdint>
#include <string>

#include "support/temp_dir.hpp"
#include "unit/test_data_support.hpp"

namespace gradflow::test {

// `count` images of 1 x side x side pixel bytes from a fixed pseudo-random sequence, labelled
// 0..classes-1 in turn, with each class brightening its own band of rows so that the set can
// be learnt.
inline std::string image_idx(int64_t count, int64_t side, int64_t classes, uint32_t seed) {
  std::string pixels;
  uint32_t state = seed;
  for (int64_t n = 0; n < count; ++n)
    for (int64_t p = 0; p < side * side; ++p) {
      state = state * 1664525u + 1013904223u;
      const bool band = (p / side) * classes / side == n % classes;
      pixels += static_cast<char>((state >> 25) + (band ? 128 : 0));
    }
  return idx_bytes(
      0x00000803,
      {static_cast<uint32_t>(count), static_cast<uint32_t>(side), static_cast<uint32_t>(side)},
      pixels);
}

inline std::string label_idx(int64_t count, int64_t classes) {
  std::string labels;
  for (int64_t n = 0; n < count; ++n) labels += static_cast<char>(n % classes);
  return idx_bytes(0x00000801, {static_cast<uint32_t>(count)}, labels);
}

// Writes a 12 x 12, 4-class IDX data set (240 train, 60 test) into `dir` and returns the
// graph's `data:` value for it.
inline std::string write_image_data(const TempDir& dir) {
  return "{dataset: idx, train_images: " + dir.write("train-images", image_idx(240, 12, 4, 1)) +
         ", train_labels: " + dir.write("train-labels", label_idx(240, 4)) +
         ", test_images: " + dir.write("test-images", image_idx(60, 12, 4, 2)) +
         ", test_labels: " + dir.write("test-labels", label_idx(60, 4)) + "}";
}

// Every new op on [1, 12, 12] images with 4 classes; `data` is the train.data value.
// A [1, 12, 11] image input over `data`, whose samples are 12 x 12: 132 values against 144.
// The input `x` stands on line 4.
inline std::string wrong_size_graph(const std::string& data) {
  return R"(format: gradflow/1
name: wrong-size
inputs:
  x: {shape: [1, 12, 11]}
  y: {shape: [4]}
nodes:
  - {name: f,      op: Flatten,      inputs: [x]}
  - {name: logits, op: Linear,       inputs: [f], out_features: 4}
  - {name: yhat,   op: Softmax,      inputs: [logits]}
  - {name: loss,   op: CrossEntropy, inputs: [yhat, y]}
loss: loss
train:
  data: )" +
         data + "\n";
}

inline std::string every_image_op_graph(const std::string& data) {
  return R"(format: gradflow/1
name: every-image-op
inputs:
  x: {shape: [1, 12, 12]}
  y: {shape: [4]}
nodes:
  - {name: c1,     op: Conv2D,        inputs: [x],      out_channels: 4, kernel: 3, padding: 1, bias: false}
  - {name: b1,     op: BatchNorm,     inputs: [c1]}
  - {name: r1,     op: ReLU,          inputs: [b1]}
  - {name: c2,     op: Conv2D,        inputs: [r1],     out_channels: 4, kernel: 1}
  - {name: s1,     op: Add,           inputs: [c2, r1]}
  - {name: cat,    op: Concat,        inputs: [s1, r1]}
  - {name: mp,     op: MaxPool2D,     inputs: [cat],    kernel: 2}
  - {name: ap,     op: AvgPool2D,     inputs: [cat],    kernel: 3, stride: 2, padding: 1}
  - {name: s2,     op: Add,           inputs: [mp, ap]}
  - {name: d1,     op: Dropout,       inputs: [s2],     p: 0.25}
  - {name: g,      op: GlobalAvgPool, inputs: [d1]}
  - {name: rs,     op: Reshape,       inputs: [d1],     shape: [8, -1]}
  - {name: f,      op: Flatten,       inputs: [rs]}
  - {name: l1,     op: Linear,        inputs: [f],      out_features: 16, init: he}
  - {name: cat2,   op: Concat,        inputs: [l1, g]}
  - {name: b2,     op: BatchNorm,     inputs: [cat2]}
  - {name: r2,     op: ReLU,          inputs: [b2]}
  - {name: d2,     op: Dropout,       inputs: [r2],     p: 0.5}
  - {name: logits, op: Linear,        inputs: [d2],     out_features: 4}
  - {name: yhat,   op: Softmax,       inputs: [logits]}
  - {name: loss,   op: CrossEntropy,  inputs: [yhat, y]}
loss: loss
predict: yhat
train:
  data: )" +
         data + R"(
  batch_size: 16
  epochs: 4
  optimizer: {name: adam, lr: 0.003}
  seed: 3
)";
}

}  // namespace gradflow::test
