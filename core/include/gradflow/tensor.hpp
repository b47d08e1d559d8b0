// Host-side float32 storage. Every buffer of a planned graph is allocated once, for the
// largest batch, and then only viewed (gf_tensor) with the batch of the moment.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace gradflow {

class Tensor {
 public:
  Tensor() = default;
  // batch == 0: one unbatched value of `shape`; batch > 0: room for that many samples.
  Tensor(const std::vector<int64_t>& shape, int64_t batch);

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t batch() const { return batch_; }
  int64_t sample_size() const { return sample_size_; }
  int64_t size() const { return sample_size_ * (batch_ > 0 ? batch_ : 1); }
  bool empty() const { return !data_; }

  void fill(float value);
  void zero() { fill(0.0f); }
  // A view of the first `batch` samples (ignored for unbatched tensors).
  gf_tensor view(int64_t batch) const;
  gf_tensor view() const { return view(batch_); }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> data_;
  std::vector<int64_t> shape_;
  int64_t batch_ = 0;
  int64_t sample_size_ = 0;
};

gf_shape to_gf_shape(const std::vector<int64_t>& shape);
std::vector<int64_t> from_gf_shape(const gf_shape& shape);
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace gradflow
