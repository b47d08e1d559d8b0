// Tensors a test owns, the error the toolkit throws, and the report a check returns. Part of
// <gradflow/testing.hpp>.
#pragma once

#include <gradflow/op_view.hpp>
#include <gradflow/random.hpp>

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradflow::testing {

// A test that cannot run as written (an unknown attribute, a create() that fails), or a call
// that broke a rule of the ABI (wrote outside its buffers, allocated, returned an error).
struct TestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `batch` samples of `shape` each, row-major; batch 0 is one unbatched value (a parameter, a
// loss). An empty `values` stands for "not requested" (a gradient nobody wants).
struct Tensor {
  Shape shape;
  int64_t batch = 0;
  std::vector<float> values;

  static Tensor zeros(const Shape& shape, int64_t batch) {
    Tensor t;
    t.shape = shape;
    t.batch = batch;
    t.values.assign(static_cast<size_t>(numel(shape) * (batch > 0 ? batch : 1)), 0.0f);
    return t;
  }
  static Tensor of(const Shape& shape, int64_t batch, std::vector<float> values) {
    Tensor t = zeros(shape, batch);
    if (values.size() != t.values.size())
      throw TestError("Tensor::of: " + std::to_string(values.size()) + " values for " +
                      std::to_string(t.values.size()) + " elements of " + shape_text(shape) +
                      " x " + std::to_string(batch));
    t.values = std::move(values);
    return t;
  }
  static Tensor none() { return {}; }
  // Uniform in [lo, hi), from gradflow's own generator: the same seed, the same tensor.
  static Tensor random(const Shape& shape, int64_t batch, double lo, double hi, uint64_t seed) {
    Tensor t = zeros(shape, batch);
    Random rng(mix_seed(seed, "testing/tensor"));
    for (float& v : t.values) v = static_cast<float>(lo + (hi - lo) * rng.uniform());
    return t;
  }
  // One row per entry of `classes`, each a one-hot vector of n_classes values.
  static Tensor one_hot(const std::vector<int>& classes, int64_t n_classes) {
    Tensor t = zeros({n_classes}, static_cast<int64_t>(classes.size()));
    for (size_t r = 0; r < classes.size(); ++r)
      t.values.at(r * static_cast<size_t>(n_classes) + static_cast<size_t>(classes[r])) = 1.0f;
    return t;
  }

  size_t size() const { return values.size(); }
  bool empty() const { return values.empty(); }
  float& operator[](size_t i) { return values.at(i); }
  float operator[](size_t i) const { return values.at(i); }
};

// What a check found. Converts to true when everything passed; the text says what was checked
// and, for each failure, what went wrong in the op author's terms.
class Report {
 public:
  bool ok() const { return failures_.empty(); }
  explicit operator bool() const { return ok(); }
  const std::string& text() const { return text_; }
  int failures() const { return static_cast<int>(failures_.size()); }
  // Each failure in one sentence, without the "FAILED: " of text().
  const std::vector<std::string>& failure_lines() const { return failures_; }

  void fail(const std::string& line) {
    failures_.push_back(line);
    text_ += "FAILED: " + line + "\n";
  }
  void note(const std::string& line) { text_ += line + "\n"; }
  void merge(const Report& other) {
    failures_.insert(failures_.end(), other.failures_.begin(), other.failures_.end());
    text_ += other.text_;
  }

  friend std::ostream& operator<<(std::ostream& out, const Report& r) {
    return out << r.text_ << (r.ok() ? "ok" : std::to_string(r.failures()) + " failure(s)");
  }

 private:
  std::string text_;
  std::vector<std::string> failures_;
};

}  // namespace gradflow::testing
