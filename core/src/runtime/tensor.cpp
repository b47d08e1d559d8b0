#include <gradflow/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>

namespace gradflow {

Tensor::Tensor(const std::vector<int64_t>& shape, int64_t batch) : shape_(shape), batch_(batch) {
  sample_size_ = 1;
  for (int64_t d : shape) sample_size_ *= d;
  // 64-byte alignment lets BLAS and the vectorised loops use aligned loads.
  size_t bytes = static_cast<size_t>(std::max<int64_t>(size(), 1)) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!data_) throw std::bad_alloc();
  zero();
}

void Tensor::fill(float value) {
  // Gradients are cleared every training step; memset is the widest store the machine has,
  // which a loop over a run-time value does not become.
  if (value == 0.0f && !std::signbit(value)) {
    std::memset(data_.get(), 0, static_cast<size_t>(size()) * sizeof(float));
    return;
  }
  std::fill(data_.get(), data_.get() + size(), value);
}

gf_tensor Tensor::view(int64_t batch) const {
  gf_tensor t{};
  t.data = data_.get();
  t.batch = batch_ > 0 ? batch : 0;
  t.shape = to_gf_shape(shape_);
  return t;
}

gf_shape to_gf_shape(const std::vector<int64_t>& shape) {
  if (shape.size() > GF_MAX_RANK) throw std::length_error("tensor rank above GF_MAX_RANK");
  gf_shape s{};
  s.rank = static_cast<uint32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), s.dims);
  return s;
}

std::vector<int64_t> from_gf_shape(const gf_shape& shape) {
  uint32_t rank = std::min<uint32_t>(shape.rank, GF_MAX_RANK);
  return std::vector<int64_t>(shape.dims, shape.dims + rank);
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace gradflow
