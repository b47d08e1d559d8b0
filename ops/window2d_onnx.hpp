// The ONNX side of Window2D: the kernel_shape, strides and pads that ONNX's Conv, MaxPool and
// AveragePool carry, written on export and read (and checked) on import.
#pragma once

#include "window2d.hpp"

#include <gradflow/op.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace gradflow::builtin {

// kernel_shape, strides and pads (the same padding before and after each axis).
std::vector<OnnxAttr> onnx_window_attrs(const Window2D& w);

// gradflow's kernel, stride and padding ([h, w] each) of an ONNX window node.
struct OnnxWindow {
  std::vector<int64_t> kernel, stride, padding;
};

// Reads node 0's window over its input 0, whose per-sample shape must be [C, H, W]. `kernel`
// is the convolution weight's [kh, kw] (empty for the pools, which must say kernel_shape).
// Pools also honour ceil_mode. Throws OpError naming the attribute for what gradflow's windows
// cannot be: dilations, uneven padding, a ceil_mode that adds a window, a bad value.
OnnxWindow read_onnx_window(const OnnxImport& im, const std::vector<int64_t>& kernel, bool pool);

// Sets the gradflow attributes kernel, stride and padding of the claimed node.
void set_window_attrs(OnnxImport& im, const OnnxWindow& w);

// A pool's import: node 0 is `onnx_type` over a runtime input. Its window, or nullopt (nothing
// claimed) for any other node.
std::optional<OnnxWindow> read_pool_window(const OnnxImport& im, std::string_view onnx_type);

// Claims node 0 as a pool: the window's attributes, then `more_attrs()`, then its input.
void take_pool_node(OnnxImport& im, const OnnxWindow& w,
                    const std::function<void()>& more_attrs = {});

}  // namespace gradflow::builtin
