// Split's feature accessors: the one place that knows features may be stored as bytes.
#include <gradflow/samples.hpp>

#include <algorithm>

namespace gradflow {

void Split::copy_features(int64_t row, float* dst) const {
  const int64_t n = feature_size();
  if (has_float_features()) {
    std::copy_n(x.data() + row * n, n, dst);
    return;
  }
  // A plain indexed loop over bytes, so the compiler vectorises widen-convert-divide.
  const uint8_t* src = pixels.data() + row * n;
  for (int64_t i = 0; i < n; ++i) dst[i] = byte_to_feature(src[i]);
}

void Split::gather_features(const int64_t* rows, int64_t count, float* dst) const {
  const int64_t n = feature_size();
  if (has_float_features()) {
    for (int64_t i = 0; i < count; ++i) std::copy_n(x.data() + rows[i] * n, n, dst + i * n);
    return;
  }
  // Shuffled rows come from all over a data set far larger than the caches, so the loop
  // would wait on memory for every row; asking for the rows ahead early hides that wait.
  constexpr int64_t kAhead = 2;
  constexpr int64_t kLine = 64;
  const auto prefetch = [&](int64_t row) {
    const uint8_t* p = pixels.data() + row * n;
    for (int64_t b = 0; b < n; b += kLine) __builtin_prefetch(p + b);
    __builtin_prefetch(p + n - 1);
  };
  for (int64_t i = 0; i < std::min(kAhead, count); ++i) prefetch(rows[i]);
  for (int64_t i = 0; i < count; ++i) {
    if (i + kAhead < count) prefetch(rows[i + kAhead]);
    copy_features(rows[i], dst + i * n);
  }
}

std::vector<float> Split::features() const {
  if (has_float_features()) return x;
  std::vector<float> out(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) out[i] = byte_to_feature(pixels[i]);
  return out;
}

}  // namespace gradflow
