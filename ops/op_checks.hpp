// Shape and size checks shared by the built-in ops. They throw OpError with messages that
// say what was expected and what came, because the host shows them to graph authors verbatim.
#pragma once

#include <gradflow/op.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace gradflow::builtin {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// The host checks arity against the schema too; this guards against a host that does not.
void require_input_count(const NodeSetup& setup, size_t expected, const char* op);

// Zero-size dimensions would make empty rows (division by zero in means, empty max).
void require_positive_dims(const Shape& shape, const std::string& what);

// BLAS takes int sizes; larger tensors would silently wrap.
void require_blas_size(int64_t value, const char* what);

// forward/backward receive host-allocated views; a mismatch means a host bug, and it is
// cheaper to report it than to read out of bounds.
void require_cols(const View& v, int64_t cols, const char* what);
void require_same_layout(const View& a, const View& b, const char* what_a, const char* what_b);

// Losses of two inputs with identical per-sample shapes.
void require_matching_pair(const NodeSetup& setup, const char* op, const char* first,
                           const char* second);

}  // namespace gradflow::builtin

namespace gradflow::builtin {

// Checks the views a two-input loss receives and returns the batch size the mean divides by.
int64_t loss_batch(std::span<const View> in, const View& out, const char* op);

}  // namespace gradflow::builtin
