// Buffers with guard zones: every tensor an op under test sees has canary floats before and
// after it, so that a write out of bounds is caught at the call that made it and named. Part of
// <gradflow/testing.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/op_view.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gradflow::testing {

class GuardedTensor {
 public:
  // Floats of guard on each side: an off-by-one row or a loop over the wrong size lands here.
  static constexpr int64_t kGuard = 64;
  // A signalling NaN: arithmetic on a canary that an op read by mistake gives NaN too.
  static constexpr uint32_t kCanary = 0x7FBADF00u;

  GuardedTensor() = default;
  GuardedTensor(const Shape& shape, int64_t batch)
      : shape_(shape), batch_(batch), size_(numel(shape) * (batch > 0 ? batch : 1)) {
    storage_.resize(static_cast<size_t>(size_ + 2 * kGuard));
    restore_guards();
  }

  float* data() { return storage_.data() + kGuard; }
  const float* data() const { return storage_.data() + kGuard; }
  int64_t size() const { return size_; }
  const Shape& shape() const { return shape_; }
  int64_t batch() const { return batch_; }
  bool allocated() const { return !storage_.empty(); }

  gf_tensor view() const {
    gf_tensor t{};
    t.data = allocated() ? const_cast<float*>(data()) : nullptr;
    t.batch = batch_;
    t.shape.rank = static_cast<uint32_t>(shape_.size());
    for (size_t d = 0; d < shape_.size() && d < GF_MAX_RANK; ++d) t.shape.dims[d] = shape_[d];
    return t;
  }
  void assign(const std::vector<float>& values) {
    std::memcpy(data(), values.data(), sizeof(float) * static_cast<size_t>(size_));
  }
  void fill(float value) {
    for (int64_t i = 0; i < size_; ++i) data()[i] = value;
  }
  std::vector<float> values() const { return std::vector<float>(data(), data() + size_); }
  // The whole storage, guards included, for a before/after comparison of a call.
  const std::vector<float>& storage() const { return storage_; }

  // "" when both guards hold their canaries; else which side was hit and how far.
  std::string guard_damage() const {
    int64_t before = 0, after = 0;
    for (int64_t i = 0; i < kGuard; ++i) {
      if (!is_canary(storage_[static_cast<size_t>(kGuard - 1 - i)])) before = i + 1;
      if (!is_canary(storage_[static_cast<size_t>(kGuard + size_ + i)])) after = i + 1;
    }
    std::string damage;
    if (before) damage = "up to " + std::to_string(before) + " float(s) before its start";
    if (after)
      damage += (damage.empty() ? "" : " and ") + std::string("up to ") + std::to_string(after) +
                " float(s) past its end";
    return damage;
  }
  void restore_guards() {
    for (int64_t i = 0; i < kGuard; ++i) {
      set_canary(storage_[static_cast<size_t>(i)]);
      set_canary(storage_[static_cast<size_t>(kGuard + size_ + i)]);
    }
  }

 private:
  static bool is_canary(float v) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return bits == kCanary;
  }
  static void set_canary(float& v) { std::memcpy(&v, &kCanary, sizeof v); }

  std::vector<float> storage_;
  Shape shape_;
  int64_t batch_ = 0;
  int64_t size_ = 0;
};

}  // namespace gradflow::testing
