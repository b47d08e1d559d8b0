// Unfolding a sample's kernel windows into a column matrix (im2col) and adding such a matrix
// back into an image (col2im), for Conv2D's matrix products. Both work on a band of output rows
// [r0, r1), so that a layer's workspace stays bounded however large its output.
#pragma once

#include "window2d.hpp"

#include <cstdint>

namespace gradflow::builtin {

// Rows of `col` are the kernel taps (channel, kernel row, kernel column), columns the output
// positions of rows [r0, r1): each row holds the input value every output position sees
// through that tap, 0 in the padding. `col` has taps x (r1 - r0) * out_w floats.
void im2col(const Window2D& w, const float* image, float* col, int64_t r0, int64_t r1);

// The reverse: each entry of `col` is added to the image position it came from.
void col2im_add(const Window2D& w, const float* col, float* image, int64_t r0, int64_t r1);

}  // namespace gradflow::builtin
