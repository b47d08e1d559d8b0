#include <algorithm>
#include <cmath>

#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema SVM::schema() {
  OpSchema s;
  s.name = "SVM";
  s.doc =
      "Weston–Watkins multi-class hinge loss: batch mean of sum_{j != y} max(0, margin + s_j "
      "- s_y), y = argmax of the one-hot target.";
  s.inputs = {"scores", "target"};
  s.attrs = {{"margin", GF_ATTR_FLOAT, "1", 0.0, kInf,
              "required gap between true and other "
              "class scores"}};
  s.loss = true;
  return s;
}

std::unique_ptr<SVM> SVM::create(const Attrs& attrs, NodeSetup& setup) {
  require_matching_pair(setup, "SVM", "scores", "target");
  const Shape& scores = setup.input_shape(0);
  if (scores.size() != 1)
    throw OpError("SVM expects scores of shape [classes] per sample (rank 1), got " +
                  shape_text(scores) + " (rank " + std::to_string(scores.size()) + ")");
  const double margin = attrs.real("margin");
  if (!std::isfinite(margin) || margin < 0.0)
    throw OpError("SVM margin must be a finite number >= 0, got " + std::to_string(margin));
  setup.set_output({}, false);
  return std::make_unique<SVM>(static_cast<float>(margin));
}

namespace {

// First maximum, so a target row of ties picks a deterministic class.
int64_t target_class(const float* target, int64_t n) {
  return std::max_element(target, target + n) - target;
}

}  // namespace

void SVM::forward(std::span<const View> in, std::span<const View> /*params*/, const View& out) {
  const int64_t batch = loss_batch(in, out, "SVM");
  const View& s = in[0];
  const View& t = in[1];
  double total = 0.0;
  for (int64_t r = 0; r < s.rows; ++r) {
    const float* sr = s.row(r);
    const int64_t y = target_class(t.row(r), t.cols);
    for (int64_t j = 0; j < s.cols; ++j) {
      if (j == y) continue;
      const double hinge = static_cast<double>(margin_) + sr[j] - sr[y];
      if (hinge > 0.0) total += hinge;
    }
  }
  out[0] = static_cast<float>(total / static_cast<double>(batch));
}

void SVM::backward(std::span<const View> in, std::span<const View> /*params*/, const View& out,
                   const View& out_grad, std::span<const View> in_grads,
                   std::span<const View> /*param_grads*/) {
  const int64_t batch = loss_batch(in, out, "SVM");
  // The loss is piecewise constant in the target (it only enters through argmax), so the
  // target's gradient is zero and nothing is added to it.
  const View& ds = in_grads[0];
  if (!ds) return;
  const View& s = in[0];
  const View& t = in[1];
  require_same_layout(s, ds, "SVM scores", "their gradient");
  const float scale = out_grad[0] / static_cast<float>(batch);
  for (int64_t r = 0; r < s.rows; ++r) {
    const float* sr = s.row(r);
    float* dr = ds.row(r);
    const int64_t y = target_class(t.row(r), t.cols);
    for (int64_t j = 0; j < s.cols; ++j) {
      if (j == y) continue;
      // Same expression as forward so both agree on which hinges are active; a hinge at
      // exactly zero counts as inactive.
      const double hinge = static_cast<double>(margin_) + sr[j] - sr[y];
      if (hinge > 0.0) {
        dr[j] += scale;
        dr[y] -= scale;
      }
    }
  }
}

}  // namespace gradflow::builtin
