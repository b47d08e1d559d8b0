// The batch dimension in ONNX's shape ops: gradflow's Flatten and Reshape keep it, so an ONNX
// Flatten or Reshape imports only when it leaves the batch where it is. Shared by Flatten,
// Reshape and GlobalAvgPool (which takes the Flatten after a GlobalAveragePool).
#pragma once

#include <gradflow/op.hpp>

#include <cstdint>

namespace gradflow::builtin {

// The axis of ONNX Flatten node `at` over an input of per-sample rank `rank` (axis 1 keeps the
// batch and joins the rest). Throws OpError for an axis outside the tensor.
int64_t onnx_flatten_axis(const OnnxImport& im, uint32_t at, size_t rank);

// The per-sample shape that ONNX Reshape to `target` (the batch first) gives samples of shape
// `input`. Throws OpError when `target` is not a constant shape, or would change the batch.
Shape onnx_reshape_target(const OnnxValue& target, const Shape& input, bool allowzero);

}  // namespace gradflow::builtin
