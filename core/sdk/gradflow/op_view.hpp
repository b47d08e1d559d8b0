// Tensors as an op sees them, and the error an op throws. Part of <gradflow/op.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

// Index checks on View access: on in debug builds (no NDEBUG), off in release builds, where
// they would cost more than the loops they guard. Define GRADFLOW_CHECKED_VIEWS to 0 or 1 to
// choose either way.
#ifndef GRADFLOW_CHECKED_VIEWS
#ifdef NDEBUG
#define GRADFLOW_CHECKED_VIEWS 0
#else
#define GRADFLOW_CHECKED_VIEWS 1
#endif
#endif

namespace gradflow {

using Shape = std::vector<int64_t>;

inline Shape to_shape(const gf_shape& s) {
  return Shape(s.dims, s.dims + (s.rank <= GF_MAX_RANK ? s.rank : 0));
}
inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
inline std::string shape_text(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Thrown by an op for bad attributes, shapes or views; the host adds the node, op, plugin
// file and graph line.
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `rows` samples of `cols` floats each, row-major; a sample has shape `shape`. Unbatched
// tensors (parameters, state, a loss's scalar) are one row with batched == false.
struct View {
  float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  gf_shape shape{};
  bool batched = false;

  int64_t size() const { return rows * cols; }
  int rank() const { return static_cast<int>(shape.rank); }
  int64_t dim(int i) const { return shape.dims[i]; }  // per-sample dimension i
  float* row(int64_t r) const {
    check(r * cols, cols);
    return data + r * cols;
  }
  float& operator[](int64_t i) const {
    check(i, 1);
    return data[i];
  }
  explicit operator bool() const { return data != nullptr; }

 private:
  void check([[maybe_unused]] int64_t first, [[maybe_unused]] int64_t count) const {
#if GRADFLOW_CHECKED_VIEWS
    if (!data || first < 0 || first + count > size())
      throw OpError("view access out of bounds: elements [" + std::to_string(first) + ", " +
                    std::to_string(first + count) + ") of a " + std::to_string(rows) + "x" +
                    std::to_string(cols) + " tensor");
#endif
  }
};

inline View view_of(const gf_tensor& t) {
  View v;
  v.data = t.data;
  v.shape = t.shape;
  v.cols = 1;
  for (uint32_t i = 0; i < t.shape.rank && i < GF_MAX_RANK; ++i) v.cols *= t.shape.dims[i];
  v.batched = t.batch > 0;
  v.rows = v.batched ? t.batch : 1;
  return v;
}

}  // namespace gradflow
