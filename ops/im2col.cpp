#include "im2col.hpp"

#include <algorithm>
#include <cstring>

namespace gradflow::builtin {
namespace {

// The outputs [lo, hi) of one axis whose input position out * stride - pad + offset lies in
// [0, in), clipped to [first, last).
struct Span {
  int64_t lo, hi;
};
Span inside(int64_t first, int64_t last, int64_t in, int64_t stride, int64_t pad, int64_t offset) {
  // Smallest o with o * stride >= pad - offset; largest with o * stride <= in - 1 + pad - offset.
  const int64_t need = pad - offset;
  const int64_t top = in - 1 + pad - offset;
  const int64_t lo = std::clamp<int64_t>(need <= 0 ? 0 : (need + stride - 1) / stride, first, last);
  const int64_t hi = std::clamp<int64_t>(top < 0 ? 0 : top / stride + 1, lo, last);
  return {lo, hi};
}

// dst[k] = src[k * stride] for k < n. Runs are short (an output row): with stride 1 they are
// copied in 8-float blocks, the last one overlapping the one before, which compile to a few
// moves rather than a library call.
inline void gather_run(const float* __restrict src, float* __restrict dst, int64_t n,
                       int64_t stride) {
  if (stride == 1 && n >= 8) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) std::memcpy(dst + k, src + k, 8 * sizeof(float));
    if (k < n) std::memcpy(dst + n - 8, src + n - 8, 8 * sizeof(float));
    return;
  }
  for (int64_t k = 0; k < n; ++k) dst[k] = src[k * stride];
}

// dst[k * stride] += src[k] for k < n.
inline void scatter_add_run(const float* __restrict src, float* __restrict dst, int64_t n,
                            int64_t stride) {
  int64_t k = 0;
  if (stride == 1)
    for (; k + 8 <= n; k += 8)
      for (int l = 0; l < 8; ++l) dst[k + l] += src[k + l];
  for (; k < n; ++k) dst[k * stride] += src[k];
}

// Calls f(col_row, rows, cols, first) for every tap, where `first` is the image offset that
// output position (0, cols.lo) of the tap reads (offsets stay integers: a pointer into the
// padding before the image would not be valid).
template <class F>
void each_tap(const Window2D& w, int64_t r0, int64_t r1, F&& f) {
  const int64_t width = (r1 - r0) * w.out_w;
  for (int64_t c = 0; c < w.channels; ++c)
    for (int64_t i = 0; i < w.kernel_h; ++i) {
      const Span rows = inside(r0, r1, w.in_h, w.stride_h, w.pad_h, i);
      for (int64_t j = 0; j < w.kernel_w; ++j) {
        const Span cols = inside(0, w.out_w, w.in_w, w.stride_w, w.pad_w, j);
        const int64_t first =
            (c * w.in_h - w.pad_h + i) * w.in_w + cols.lo * w.stride_w - w.pad_w + j;
        f(((c * w.kernel_h + i) * w.kernel_w + j) * width, rows, cols, first);
      }
    }
}

}  // namespace

void im2col(const Window2D& w, const float* image, float* col, int64_t r0, int64_t r1) {
  const int64_t width = (r1 - r0) * w.out_w;
  each_tap(w, r0, r1, [&](int64_t at, Span rows, Span cols, int64_t first) {
    float* row = col + at;
    // A tap that reaches into the padding gets its whole row cleared at once: one call
    // instead of a small one at each end of every run.
    if (rows.lo > r0 || rows.hi < r1 || cols.lo > 0 || cols.hi < w.out_w)
      std::fill(row, row + width, 0.0f);
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
      gather_run(image + (first + oh * w.stride_h * w.in_w), row + (oh - r0) * w.out_w + cols.lo,
                 cols.hi - cols.lo, w.stride_w);
  });
}

void col2im_add(const Window2D& w, const float* col, float* image, int64_t r0, int64_t r1) {
  each_tap(w, r0, r1, [&](int64_t at, Span rows, Span cols, int64_t first) {
    const float* row = col + at;
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
      scatter_add_run(row + (oh - r0) * w.out_w + cols.lo,
                      image + (first + oh * w.stride_h * w.in_w), cols.hi - cols.lo, w.stride_w);
  });
}

}  // namespace gradflow::builtin
