#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace gradflow::builtin {
namespace {

// First maximum, so a target row of ties picks a deterministic class.
int64_t target_class(const float* target, int64_t n) {
  return std::max_element(target, target + n) - target;
}

// Weston–Watkins multi-class hinge loss.
class SVM final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("SVM",
                    "Weston–Watkins multi-class hinge loss: batch mean of sum_{j != y} max(0, "
                    "margin + s_j - s_y), y = argmax of the one-hot target.")
        .input("scores")
        .input("target")
        .is_loss()
        .attr(attr::number("margin").default_value(1.0).range(0, kInf).doc(
            "required gap between true and other class scores"));
  }

  static std::unique_ptr<SVM> create(const Attrs& attrs, NodeSetup& setup) {
    require_matching_pair(setup, "SVM", "scores", "target");
    const Shape& scores = setup.input_shape(0);
    if (scores.size() != 1)
      throw OpError("SVM expects scores of shape [classes] per sample (rank 1), got " +
                    shape_text(scores) + " (rank " + std::to_string(scores.size()) + ")");
    const double margin = attrs.real("margin");
    if (!std::isfinite(margin) || margin < 0.0)
      throw OpError("SVM margin must be a finite number >= 0, got " + std::to_string(margin));
    setup.set_output({}, false);
    const double n = static_cast<double>(scores[0]);
    setup.set_flops(3 * n, 0, 3 * n);
    return std::make_unique<SVM>(static_cast<float>(margin));
  }

  explicit SVM(float margin) : margin_(margin) {}

  void forward(const ForwardContext& c) override {
    const int64_t batch = loss_batch(c.inputs, c.out, "SVM");
    const View& s = c.in(0);
    const View& t = c.in(1);
    double total = 0.0;
    for (int64_t r = 0; r < s.rows; ++r) {
      const float* sr = s.row(r);
      const int64_t y = target_class(t.row(r), t.cols);
      for (int64_t j = 0; j < s.cols; ++j)
        if (j != y) total += std::max(0.0, hinge(sr, j, y));
    }
    c.out[0] = static_cast<float>(total / static_cast<double>(batch));
  }

  void backward(const BackwardContext& c) override {
    const int64_t batch = loss_batch(c.inputs, c.out, "SVM");
    // The loss is piecewise constant in the target (it only enters through argmax), so the
    // target's gradient is zero and nothing is added to it.
    const View& ds = c.in_grad(0);
    if (!ds) return;
    const View& s = c.in(0);
    const View& t = c.in(1);
    require_same_layout(s, ds, "SVM scores", "their gradient");
    const float scale = c.out_grad[0] / static_cast<float>(batch);
    for (int64_t r = 0; r < s.rows; ++r) {
      const float* sr = s.row(r);
      float* dr = ds.row(r);
      const int64_t y = target_class(t.row(r), t.cols);
      for (int64_t j = 0; j < s.cols; ++j) {
        // A hinge at exactly zero counts as inactive, in forward and backward alike.
        if (j == y || hinge(sr, j, y) <= 0.0) continue;
        dr[j] += scale;
        dr[y] -= scale;
      }
    }
  }

  void explain(Explain& e) const {
    const std::string m = fmt_margin();
    e.forward("{out} = (1/{B}) Σ_b Σ_(j≠y_b) max(0, " + m +
              " + {scores}_bj − {scores}_by_b), with y_b = argmax {target}_b");
    e.input_grad(0, "({grad scores})_bj += {grad out}/{B} for each j ≠ y_b with " + m +
                        " + {scores}_bj − {scores}_by_b > 0, and ({grad scores})_by_b −= the "
                        "same amount once per such j");
    e.input_grad(1, "{grad target} += 0 (the loss sees the target only through argmax)");
  }

 private:
  std::string fmt_margin() const {
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(margin_));
    return text;
  }
  double hinge(const float* scores, int64_t j, int64_t y) const {
    return static_cast<double>(margin_) + scores[j] - scores[y];
  }
  float margin_;
};

}  // namespace

const gf_op_def* svm_op() {
  return op_definition<SVM>();
}

}  // namespace gradflow::builtin
