#include "window2d.hpp"

#include "op_checks.hpp"

#include <cstdio>
#include <string>
#include <utility>

namespace gradflow::builtin {
namespace {

// Kernels, strides and paddings beyond this are typos, not layers; the bound also keeps every
// product of sizes far from int64 overflow.
constexpr double kMaxWindow = 65536;
// Multiply-adds per sample: far above the largest layers of VGG or ResNet (about 2e9).
constexpr double kMaxWork = 1.6e10;

std::pair<int64_t, int64_t> pair_of(const Attrs& attrs, const char* name, const char* op) {
  const std::vector<int64_t> v = attrs.ints(name);
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  throw OpError(std::string(op) + " attribute '" + name + "' takes an int or [h, w], got " +
                std::to_string(v.size()) + " values");
}

std::string pair_text(int64_t h, int64_t w) {
  return "[" + std::to_string(h) + ", " + std::to_string(w) + "]";
}

}  // namespace

void Window2D::check_views(const View& x, const View& y, int64_t out_channels,
                           const char* op) const {
  // Messages are built only on failure: this runs inside the training step.
  if (x.cols != channels * in_plane() || y.cols != out_channels * out_plane() || x.rows != y.rows)
    throw OpError(std::string(op) + ": the host passed views of " + std::to_string(x.rows) + "x" +
                  std::to_string(x.cols) + " and " + std::to_string(y.rows) + "x" +
                  std::to_string(y.cols) + " values for input and output");
}

AttrSpec kernel_attr() {
  return attr::ints("kernel").range(1, kMaxWindow).doc("window size: k or [kh, kw]");
}

AttrSpec stride_attr(const char* default_text, double min, const char* doc) {
  return attr::ints("stride").default_value(default_text).range(min, kMaxWindow).doc(doc);
}

AttrSpec padding_attr(const char* doc) {
  return attr::ints("padding").default_value(0).range(0, kMaxWindow).doc(doc);
}

Window2D window_from(const Attrs& attrs, const Shape& x, const char* op) {
  if (x.size() != 3)
    throw OpError(std::string(op) + " expects samples of shape [C, H, W] (rank 3), got " +
                  shape_text(x) + "; declare an image input as e.g. x: {shape: [1, 28, 28]}");
  require_positive_dims(x, std::string(op) + " input");
  Window2D w;
  w.channels = x[0];
  w.in_h = x[1];
  w.in_w = x[2];
  std::tie(w.kernel_h, w.kernel_w) = pair_of(attrs, "kernel", op);
  std::tie(w.stride_h, w.stride_w) = pair_of(attrs, "stride", op);
  std::tie(w.pad_h, w.pad_w) = pair_of(attrs, "padding", op);
  if (w.stride_h == 0) w.stride_h = w.kernel_h;
  if (w.stride_w == 0) w.stride_w = w.kernel_w;
  const int64_t padded_h = w.in_h + 2 * w.pad_h, padded_w = w.in_w + 2 * w.pad_w;
  if (w.kernel_h > padded_h || w.kernel_w > padded_w)
    throw OpError(std::string(op) + " kernel " + pair_text(w.kernel_h, w.kernel_w) +
                  " is larger than its padded input " + pair_text(padded_h, padded_w) + " (input " +
                  shape_text(x) + ", padding " + pair_text(w.pad_h, w.pad_w) + ")");
  w.out_h = (padded_h - w.kernel_h) / w.stride_h + 1;
  w.out_w = (padded_w - w.kernel_w) / w.stride_w + 1;
  return w;
}

Window2D pool_setup(const Attrs& attrs, NodeSetup& setup, const char* op) {
  require_input_count(setup, 1, op);
  const Window2D w = window_from(attrs, setup.input_shape(0), op);
  require_pool_padding(w, op);
  const double work = static_cast<double>(w.channels) * static_cast<double>(w.out_plane()) *
                      static_cast<double>(w.kernel_area());
  require_sane_work(work, op);
  setup.set_output({w.channels, w.out_h, w.out_w});
  setup.set_flops(work, 0, work);
  return w;
}

void require_pool_padding(const Window2D& w, const char* op) {
  if (2 * w.pad_h > w.kernel_h || 2 * w.pad_w > w.kernel_w)
    throw OpError(std::string(op) + " padding " + pair_text(w.pad_h, w.pad_w) +
                  " is more than half its kernel " + pair_text(w.kernel_h, w.kernel_w) +
                  ": some windows would hold only padding");
}

namespace {

// "2i+u−1": output index times stride, plus the tap, minus the padding.
std::string axis_position(int64_t stride, int64_t pad, const char* out, const char* tap) {
  std::string text = stride == 1 ? std::string(out) : std::to_string(stride) + out;
  text += std::string("+") + tap;
  if (pad > 0) text += "−" + std::to_string(pad);
  return text;
}

}  // namespace

std::string Window2D::input_at(const char* channel) const {
  return std::string("[") + channel + ", " + axis_position(stride_h, pad_h, "i", "u") + ", " +
         axis_position(stride_w, pad_w, "j", "v") + "]";
}

std::string Window2D::taps() const {
  return "u < " + std::to_string(kernel_h) + ", v < " + std::to_string(kernel_w);
}

void require_sane_work(double multiply_adds, const char* op) {
  if (multiply_adds <= kMaxWork) return;
  char text[160];
  std::snprintf(text, sizeof text,
                " would take %.3g multiply-adds per sample, above the limit of %.3g: check the "
                "kernel, stride, padding and channels",
                multiply_adds, kMaxWork);
  throw OpError(op + std::string(text));
}

}  // namespace gradflow::builtin
