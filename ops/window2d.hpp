// The geometry that Conv2D and the 2-D pools share: a kernel window slid over [C, H, W]
// samples with a stride and zero padding on each side, as in PyTorch's Conv2d and MaxPool2d.
#pragma once

#include <gradflow/op.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace gradflow::builtin {

struct Window2D {
  int64_t channels = 0, in_h = 0, in_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t out_h = 0, out_w = 0;

  int64_t in_plane() const { return in_h * in_w; }
  int64_t out_plane() const { return out_h * out_w; }
  int64_t kernel_area() const { return kernel_h * kernel_w; }

  // Pools work plane by plane: a batch of x has rows * channels [H, W] planes, handed to the
  // host's threads in chunks of about 16k output values.
  int64_t plane_grain() const { return std::max<int64_t>(1, (int64_t{1} << 14) / out_plane()); }
  // Runs body(p) for every (sample, channel) plane p of `rows` samples, over the host's threads.
  template <class Body>
  void for_each_plane(const gradflow::Host& host, int64_t rows, Body&& body) const {
    host.parallel_for(rows * channels, plane_grain(), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) body(p);
    });
  }
  // For `graph-runner explain`: the input position [channel, s i + u - p, s j + v - p] that tap
  // (u, v) of output position (i, j) reads, with this window's numbers, and the tap ranges.
  std::string input_at(const char* channel) const;
  std::string taps() const;
  bool padded() const { return pad_h > 0 || pad_w > 0; }
  // "; {x} is 0 in the padding" when there is padding.
  std::string padding_note() const { return padded() ? "; {x} is 0 in the padding" : ""; }
  // The host allocates every view; a mismatch would be a host bug, cheaper to report than to
  // read out of bounds. y has `out_channels` channels of [H', W'].
  void check_views(const View& x, const View& y, int64_t out_channels, const char* op) const;
};

// The schema attributes `kernel`, `stride` and `padding` (each an int or [h, w]).
// `stride_default` is the YAML default of `stride` ("1" for convolutions, "0" = the kernel for
// pools).
AttrSpec kernel_attr();
AttrSpec stride_attr(const char* default_text, double min, const char* doc);
AttrSpec padding_attr(const char* doc);

// Reads the attributes and checks them against the input shape [C, H, W]: every window fits in
// the padded input, at least one window per axis. stride 0 means "the kernel" (pools).
// Throws OpError with the shapes and values involved.
Window2D window_from(const Attrs& attrs, const Shape& input, const char* op);

// A pool's create(): one [C, H, W] input, window checks, output [C, H', W'], and FLOPs of one
// operation per window element in forward and in the input gradient.
Window2D pool_setup(const Attrs& attrs, NodeSetup& setup, const char* op);

// Pools: at most half the kernel of padding on each side (PyTorch's rule), so that every
// window holds at least one input value.
void require_pool_padding(const Window2D& w, const char* op);

// Calls f(out_index, h0, h1, w0, w1) for every output position of one plane, with its window
// clipped to the input: rows [h0, h1), columns [w0, w1).
template <class F>
void for_each_window(const Window2D& w, F&& f) {
  for (int64_t oh = 0; oh < w.out_h; ++oh) {
    const int64_t top = oh * w.stride_h - w.pad_h;
    const int64_t h0 = std::max<int64_t>(top, 0), h1 = std::min(top + w.kernel_h, w.in_h);
    for (int64_t ow = 0; ow < w.out_w; ++ow) {
      const int64_t left = ow * w.stride_w - w.pad_w;
      const int64_t w0 = std::max<int64_t>(left, 0), w1 = std::min(left + w.kernel_w, w.in_w);
      f(oh * w.out_w + ow, h0, h1, w0, w1);
    }
  }
}

// Rejects windows whose total work per sample (windows x window size x channels) is beyond
// what any sensible graph asks for, so that a typo cannot stall a run for hours.
void require_sane_work(double multiply_adds, const char* op);

}  // namespace gradflow::builtin
