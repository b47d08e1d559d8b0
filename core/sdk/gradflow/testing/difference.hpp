// Finite differences that a float32 op cannot fool. The op runs in float; the differences are
// taken in double from five evaluations x - h, x - h/2, x, x + h/2, x + h, and give:
//  - a Richardson-extrapolated central difference, exact to O(h^4), so a large step (little
//    rounding noise) can be used on smooth functions;
//  - a test of smoothness: the central differences at h and h/2 must agree and the fourth
//    difference must vanish, both up to the tolerance. A kink anywhere in [x - h, x + h] (a
//    ReLU's zero, a hinge, a max that changes its argmax, in the op or anywhere downstream)
//    breaks one of the two wherever it lies; the step then shrinks eightfold, and a point that
//    is still not smooth is skipped and counted, never failed;
//  - where the objective is flat to the last bit across the step but the analytic derivative
//    is not, the step first grows eightfold (up to twice): a float inside the graph could not
//    resolve it.
// The tolerance is atol + rtol * |derivative| + the float32 rounding noise of the objective
// divided by the step. Part of <gradflow/testing.hpp>; graph-runner's `check` uses it too.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace gradflow::testing {

struct DifferenceOptions {
  double step = 1.0 / 64;    // h relative to max(|x|, step_floor); rounded to a power of two
  double step_floor = 0.25;  // below this |x| the step stops shrinking with x
  int refinements = 2;       // times the step is divided by 8 when a kink is within reach
  // Times the step is multiplied by 8 when the objective does not move at all across it while
  // the analytic derivative is not zero: something inside rounds the step away (a softmax
  // probability within 1e-4 of 1, a saturated tanh), and a wider step shows the slope.
  int widenings = 2;
  double rtol = 1e-2;
  double atol = 1e-5;
  // Rounding noise of one evaluation, in units of float32's epsilon times the evaluation's
  // scale (the sum of the magnitudes of what it adds up).
  double noise = 32;
};

// One evaluation of the objective: its value and its scale, in double.
struct Evaluation {
  double value = 0;
  double scale = 0;
};

struct Derivative {
  enum class Outcome { agree, disagree, kink };
  Outcome outcome = Outcome::kink;
  double analytic = 0;
  double numeric = 0;    // the extrapolated central difference (0 for a kink)
  double tolerance = 0;  // what |analytic - numeric| had to stay within
  double step = 0;       // the last h tried
};

namespace detail {

inline double power_of_two_step(double x, const DifferenceOptions& o) {
  const double h = o.step * std::max(std::fabs(x), o.step_floor);
  return std::ldexp(1.0, static_cast<int>(std::lround(std::log2(h))));
}

inline double tolerance(double value, double noise_per_step, const DifferenceOptions& o) {
  return o.atol + noise_per_step + o.rtol * std::fabs(value);
}

}  // namespace detail

// How much one element that the objective depends on bends within the stencil (its values at
// x - h, x - h/2, x, x + h/2, x + h), in units of its slope; 0 when what bends is within its
// rounding noise (1024 ulps of its magnitude: a sum over a long row rounds that much) or a
// smooth curvature (0.5 % of its slope). A kink inside a graph, a ReLU whose input crosses
// zero, bends its element by a good part of the slope.
inline double element_bend(const float y[5], double wide, double narrow, double h) {
  if (y[0] == y[1] && y[1] == y[2] && y[2] == y[3] && y[3] == y[4]) return 0;
  const double d_wide = (static_cast<double>(y[4]) - y[0]) / wide;
  const double d_narrow = (static_cast<double>(y[3]) - y[1]) / narrow;
  const double fourth =
      (static_cast<double>(y[0]) - 4.0 * y[1] + 6.0 * y[2] - 4.0 * y[3] + y[4]) / h;
  double scale = 0;
  for (int k = 0; k < 5; ++k) scale = std::max(scale, std::fabs(static_cast<double>(y[k])));
  const double noise = 1024 * std::numeric_limits<float>::epsilon() * scale / h;
  const double bend = std::max(std::fabs(d_wide - d_narrow), std::fabs(fourth));
  return bend > 0.005 * std::max(std::fabs(d_wide), std::fabs(d_narrow)) + noise ? bend : 0;
}

// The elements inside a graph at the five points of a stencil, each weighted by the
// objective's gradient with respect to it: a bend of b in an element of weight g moves the
// objective's difference by about g b. Several kinks that cancel in the objective still add
// up here. Each add() at point 4 starts a tensor; the bend is the largest sum of one tensor,
// not the sum over all of them: a kink shows in its own element and again, carried forward,
// in every element downstream of it, so a sum over all tensors would count it once per layer
// after it (the thousands of ReLU and max-pool elements after a deep network's first
// convolution would then hide every point of its weight), while one tensor that all paths to
// the objective go through shows each kink once.
class StencilValues {
 public:
  // point: 0..3 for x - h, x - h/2, x + h/2, x + h (the order compare_derivative evaluates
  // them in), 4 for x itself.
  void clear(int point) {
    at_[index(point)].clear();
    if (point == 4) {
      weights_.clear();
      starts_.clear();
    }
  }
  // At point 4 `weights` (may be null: weight 1) go with the values.
  void add(int point, const float* values, int64_t n, const float* weights = nullptr) {
    at_[index(point)].insert(at_[index(point)].end(), values, values + n);
    if (point != 4) return;
    starts_.push_back(weights_.size());
    for (int64_t i = 0; i < n; ++i) weights_.push_back(weights ? std::fabs(weights[i]) : 1.0f);
  }
  // The largest weighted sum of one tensor's bends, comparable with a tolerance on the
  // objective's slope.
  double weighted_bend(double wide, double narrow, double h) const {
    const size_t n = at_[2].size();
    for (int k = 0; k < 5; ++k)
      if (at_[k].size() != n) return 0;
    double largest = 0;
    for (size_t t = 0; t < starts_.size(); ++t) {
      const size_t end = t + 1 < starts_.size() ? starts_[t + 1] : n;
      double total = 0;
      for (size_t e = starts_[t]; e < end; ++e) {
        if (weights_[e] == 0) continue;
        const float y[5] = {at_[0][e], at_[1][e], at_[2][e], at_[3][e], at_[4][e]};
        total += weights_[e] * element_bend(y, wide, narrow, h);
      }
      largest = std::max(largest, total);
    }
    return largest;
  }

 private:
  static int index(int point) { return point < 2 ? point : point == 4 ? 2 : point + 1; }
  std::vector<float> at_[5];  // in stencil order: x - h, x - h/2, x, x + h/2, x + h
  std::vector<float> weights_;
  std::vector<size_t> starts_;  // where each tensor added at point 4 begins
};

// `evaluate(k, x)` sets the variable to x, runs the objective and returns the Evaluation (k:
// the stencil point, see StencilValues); `at_x` is the evaluation at the variable's own value
// x, which the caller computed once. `bend(wide, narrow, h)`, called after the four
// evaluations of each step, is what the caller saw bend inside its graph, in units of the
// objective's slope (StencilValues::weighted_bend); beyond a quarter of the tolerance the point
// counts as a kink.
template <class Evaluate, class Bend>
Derivative compare_derivative(double analytic, float x, const Evaluation& at_x, Evaluate&& evaluate,
                              const DifferenceOptions& o, Bend&& bend) {
  Derivative d;
  d.analytic = analytic;
  double h = detail::power_of_two_step(x, o);
  for (int narrowed = 0, widened = 0;;) {
    d.step = h;
    const float xs[4] = {static_cast<float>(x - h), static_cast<float>(x - h / 2),
                         static_cast<float>(x + h / 2), static_cast<float>(x + h)};
    Evaluation e[4];
    double scale = at_x.scale;
    bool flat = true;
    for (int k = 0; k < 4; ++k) {
      e[k] = evaluate(k, xs[k]);
      scale = std::max(scale, e[k].scale);
      flat = flat && e[k].value == at_x.value;
    }
    const double wide = static_cast<double>(xs[3]) - xs[0];
    const double narrow = static_cast<double>(xs[2]) - xs[1];
    if (!(wide > 0) || !(narrow > 0)) break;  // the step vanished in float: nothing to learn
    if (flat && analytic != 0 && narrowed == 0 && widened < o.widenings) {
      h *= 8;
      ++widened;
      continue;
    }
    const double d_wide = (e[3].value - e[0].value) / wide;
    const double d_narrow = (e[2].value - e[1].value) / narrow;
    const double richardson = d_narrow + (d_narrow - d_wide) / 3;
    const double fourth =
        (e[0].value - 4 * e[1].value + 6 * at_x.value - 4 * e[2].value + e[3].value) / h;
    const double noise = o.noise * std::numeric_limits<float>::epsilon() * scale / h;
    const double smooth_tol = detail::tolerance(richardson, noise, o) / 2;
    if (!std::isfinite(richardson) || std::fabs(d_wide - d_narrow) > smooth_tol ||
        std::fabs(fourth) > smooth_tol || bend(wide, narrow, h) > smooth_tol / 2) {
      if (narrowed++ == o.refinements) break;
      h /= 8;
      continue;
    }
    d.numeric = richardson;
    d.tolerance = detail::tolerance(std::max(std::fabs(analytic), std::fabs(richardson)), noise, o);
    d.outcome = std::fabs(analytic - richardson) <= d.tolerance ? Derivative::Outcome::agree
                                                                : Derivative::Outcome::disagree;
    return d;
  }
  d.outcome = Derivative::Outcome::kink;
  return d;
}

template <class Evaluate>
Derivative compare_derivative(double analytic, float x, const Evaluation& at_x, Evaluate&& evaluate,
                              const DifferenceOptions& o = {}) {
  return compare_derivative(analytic, x, at_x, evaluate, o,
                            [](double, double, double) { return 0.0; });
}

}  // namespace gradflow::testing
