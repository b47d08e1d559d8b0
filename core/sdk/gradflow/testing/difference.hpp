// Finite differences that a float32 op cannot fool. The op runs in float; the differences are
// taken in double from five evaluations x - h, x - h/2, x, x + h/2, x + h, and give:
//  - a Richardson-extrapolated central difference, exact to O(h^4), so a large step (little
//    rounding noise) can be used on smooth functions;
//  - a test of smoothness: the central differences at h and h/2 must agree and the fourth
//    difference must vanish, both up to the tolerance. A kink anywhere in [x - h, x + h] (a
//    ReLU's zero, a hinge, a max that changes its argmax, in the op or anywhere downstream)
//    breaks one of the two wherever it lies; the step then shrinks eightfold, and a point that
//    is still not smooth is skipped and counted, never failed.
// The tolerance is atol + rtol * |derivative| + the float32 rounding noise of the objective
// divided by the step. Part of <gradflow/testing.hpp>; graph-runner's `check` uses it too.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace gradflow::testing {

struct DifferenceOptions {
  double step = 1.0 / 64;    // h relative to max(|x|, step_floor); rounded to a power of two
  double step_floor = 0.25;  // below this |x| the step stops shrinking with x
  int refinements = 2;       // times the step is divided by 8 when a kink is within reach
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

// `evaluate(float x)` sets the variable to x, runs the objective and returns the Evaluation;
// `at_x` is the evaluation at the variable's own value x, which the caller computed once.
template <class Evaluate>
Derivative compare_derivative(double analytic, float x, const Evaluation& at_x, Evaluate&& evaluate,
                              const DifferenceOptions& o = {}) {
  Derivative d;
  d.analytic = analytic;
  double h = detail::power_of_two_step(x, o);
  for (int attempt = 0; attempt <= o.refinements; ++attempt, h /= 8) {
    d.step = h;
    const float xs[4] = {static_cast<float>(x - h), static_cast<float>(x - h / 2),
                         static_cast<float>(x + h / 2), static_cast<float>(x + h)};
    Evaluation e[4];
    double scale = at_x.scale;
    for (int k = 0; k < 4; ++k) {
      e[k] = evaluate(xs[k]);
      scale = std::max(scale, e[k].scale);
    }
    const double wide = static_cast<double>(xs[3]) - xs[0];
    const double narrow = static_cast<double>(xs[2]) - xs[1];
    if (!(wide > 0) || !(narrow > 0)) break;  // the step vanished in float: nothing to learn
    const double d_wide = (e[3].value - e[0].value) / wide;
    const double d_narrow = (e[2].value - e[1].value) / narrow;
    const double richardson = d_narrow + (d_narrow - d_wide) / 3;
    const double fourth =
        (e[0].value - 4 * e[1].value + 6 * at_x.value - 4 * e[2].value + e[3].value) / h;
    const double noise = o.noise * std::numeric_limits<float>::epsilon() * scale / h;
    const double smooth_tol = detail::tolerance(richardson, noise, o) / 2;
    if (!std::isfinite(richardson) || std::fabs(d_wide - d_narrow) > smooth_tol ||
        std::fabs(fourth) > smooth_tol)
      continue;
    d.numeric = richardson;
    d.tolerance = detail::tolerance(std::max(std::fabs(analytic), std::fabs(richardson)), noise, o);
    d.outcome = std::fabs(analytic - richardson) <= d.tolerance ? Derivative::Outcome::agree
                                                                : Derivative::Outcome::disagree;
    return d;
  }
  d.outcome = Derivative::Outcome::kink;
  return d;
}

}  // namespace gradflow::testing
