#include "window2d_onnx.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace gradflow::builtin {
namespace {

// The same bound as the gradflow attributes (window2d.cpp): larger values are typos.
constexpr int64_t kMaxWindow = 65536;

std::string ints_text(const std::vector<int64_t>& v) {
  return shape_text(Shape(v.begin(), v.end()));
}

// Attribute `name` of node 0: `count` values in [low, kMaxWindow], or `fallback` when absent.
std::vector<int64_t> window_ints(const OnnxImport& im, const char* name, size_t count, int64_t low,
                                 const std::vector<int64_t>& fallback) {
  const std::optional<std::vector<int64_t>> v = im.find_ints(name);
  if (!v) return fallback;
  if (v->size() != count)
    throw OpError("'" + std::string(name) + "' " + ints_text(*v) + " has " +
                  std::to_string(v->size()) + " values; a 2-D window has " + std::to_string(count));
  for (int64_t x : *v)
    if (x < low || x > kMaxWindow)
      throw OpError("'" + std::string(name) + "' " + ints_text(*v) + ": each value must be in [" +
                    std::to_string(low) + ", " + std::to_string(kMaxWindow) + "]");
  return *v;
}

// pads [top, left, bottom, right] as gradflow's [ph, pw], after auto_pad.
std::vector<int64_t> read_padding(const OnnxImport& im, const Shape& x,
                                  const std::vector<int64_t>& kernel,
                                  const std::vector<int64_t>& stride) {
  const std::string mode = im.attr_string("auto_pad", "NOTSET");
  if (mode == "VALID") return {0, 0};
  if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    std::vector<int64_t> padding(2);
    for (size_t a = 0; a < 2; ++a) {
      const int64_t in = x[a + 1], out = (in + stride[a] - 1) / stride[a];
      const int64_t total = std::max<int64_t>(0, (out - 1) * stride[a] + kernel[a] - in);
      if (total % 2 != 0)
        throw OpError("auto_pad " + mode + " pads " + std::string(a == 0 ? "rows" : "columns") +
                      " by " + std::to_string(total) +
                      " in all, unevenly; gradflow pads both sides alike");
      padding[a] = total / 2;
    }
    return padding;
  }
  if (mode != "NOTSET") throw OpError("auto_pad '" + mode + "' is not an ONNX padding mode");
  const std::vector<int64_t> pads = window_ints(im, "pads", 4, 0, {0, 0, 0, 0});
  if (pads[0] != pads[2] || pads[1] != pads[3])
    throw OpError("pads " + ints_text(pads) +
                  " pad the two sides of an axis differently; gradflow pads both sides alike");
  return {pads[0], pads[1]};
}

// ceil_mode = 1 rounds the number of windows up; the same as gradflow's floor only when the
// windows tile the padded input exactly.
void check_ceil_mode(const OnnxImport& im, const Shape& x, const OnnxWindow& w) {
  if (im.attr_int("ceil_mode", 0) == 0) return;
  for (size_t a = 0; a < 2; ++a) {
    const int64_t span = x[a + 1] + 2 * w.padding[a] - w.kernel[a];
    if (span >= 0 && span % w.stride[a] != 0)
      throw OpError("ceil_mode = 1 adds a partial window on input " + shape_text(x) +
                    "; gradflow's pools keep whole windows only (ceil_mode = 0)");
  }
}

}  // namespace

std::vector<OnnxAttr> onnx_window_attrs(const Window2D& w) {
  return {{"kernel_shape", {w.kernel_h, w.kernel_w}},
          {"strides", {w.stride_h, w.stride_w}},
          {"pads", {w.pad_h, w.pad_w, w.pad_h, w.pad_w}}};
}

OnnxWindow read_onnx_window(const OnnxImport& im, const std::vector<int64_t>& kernel, bool pool) {
  const OnnxValue input = im.input(0);
  const Shape& x = input.known_shape();
  if (x.size() != 3)
    throw OpError("the input '" + input.name + "' has per-sample shape " + shape_text(x) +
                  "; gradflow's 2-D windows take [C, H, W] samples");
  OnnxWindow w;
  if (kernel.empty() && !im.has_attr("kernel_shape")) throw OpError("there is no kernel_shape");
  w.kernel = window_ints(im, "kernel_shape", 2, 1, kernel);
  if (!kernel.empty() && w.kernel != kernel)
    throw OpError("kernel_shape " + ints_text(w.kernel) + " differs from the weight's " +
                  ints_text(kernel));
  if (window_ints(im, "dilations", 2, 1, {1, 1}) != std::vector<int64_t>{1, 1})
    throw OpError("dilations " + ints_text(*im.find_ints("dilations")) +
                  ": gradflow's windows are dense (dilation 1)");
  w.stride = window_ints(im, "strides", 2, 1, {1, 1});
  w.padding = read_padding(im, x, w.kernel, w.stride);
  if (pool) check_ceil_mode(im, x, w);
  return w;
}

void set_window_attrs(OnnxImport& im, const OnnxWindow& w) {
  im.set("kernel", w.kernel);
  im.set("stride", w.stride);
  im.set("padding", w.padding);
}

std::optional<OnnxWindow> read_pool_window(const OnnxImport& im, std::string_view onnx_type) {
  if (!im.is(onnx_type) || !im.input(0).runtime()) return std::nullopt;
  return read_onnx_window(im, {}, true);
}

void take_pool_node(OnnxImport& im, const OnnxWindow& w, const std::function<void()>& more_attrs) {
  im.claim(1);
  set_window_attrs(im, w);
  if (more_attrs) more_attrs();
  im.add_input(0);
}

}  // namespace gradflow::builtin
