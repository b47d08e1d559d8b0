// The checks, on any TestGraph (one op, a small graph of ops, or one node of a planned graph):
// gradients against finite differences in double, "backward adds", determinism, the random
// stream. Each returns a Report; a broken ABI rule found on the way (a write outside a buffer,
// an allocation, an error) is a failure of the check too. Part of <gradflow/testing.hpp>.
#pragma once

#include <gradflow/random.hpp>
#include <gradflow/testing/difference.hpp>
#include <gradflow/testing/graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace gradflow::testing {

struct GradientCheckOptions {
  DifferenceOptions difference;
  int64_t max_elements = 256;  // per tensor; a random sample beyond that
  uint64_t seed = 7;           // upstream gradient and sample
  // More points skipped at kinks than this fraction fails: the check would prove too little.
  double max_skipped = 0.5;
};

// One tensor's outcome, for callers that print their own tables (graph-runner check).
struct TensorCheck {
  std::string tensor;
  int64_t checked = 0, skipped = 0, disagreed = 0;
  double max_abs_error = 0, max_rel_error = 0;
  Derivative worst;  // the largest error relative to its tolerance
  int64_t worst_index = -1;
  double worst_ratio = 0;
  bool all_analytic_zero = true;
};

namespace detail {

inline std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

// The upstream gradient the checks feed in: random normal for a per-sample output, a random
// scale in [0.5, 2) for a scalar, so that a backward that ignores out_grad is caught.
inline std::vector<float> upstream(const GuardedTensor& out, uint64_t seed) {
  Random rng(mix_seed(seed, "testing/upstream"));
  std::vector<float> r(static_cast<size_t>(out.size()));
  for (float& v : r)
    v = static_cast<float>(out.batch() > 0 || out.size() > 1 ? rng.normal()
                                                             : 0.5 + 1.5 * rng.uniform());
  return r;
}

// sum r_j y_j in double; its scale counts the outputs that moved away from `base`.
inline Evaluation objective(const GuardedTensor& y, const std::vector<float>& r,
                            const std::vector<float>& base) {
  Evaluation e;
  for (int64_t j = 0; j < y.size(); ++j) {
    const double term = static_cast<double>(r[static_cast<size_t>(j)]) * y.data()[j];
    e.value += term;
    if (y.data()[j] != base[static_cast<size_t>(j)]) e.scale += std::fabs(term);
  }
  return e;
}

inline std::vector<int64_t> picks(int64_t n, int64_t max, Random& rng) {
  std::vector<int64_t> out;
  if (n <= max) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
  } else {
    for (int64_t i = 0; i < max; ++i) out.push_back(static_cast<int64_t>(rng.below(n)));
  }
  return out;
}

// Runs forward and backward at the current values with upstream gradient r; returns the
// leaves' gradients (the gradient buffers start at zero).
inline std::vector<std::vector<float>> analytic(TestGraph& g, const std::vector<float>& r) {
  g.zero_grads();
  g.slot(g.output()).grad.assign(r);
  g.backward();
  std::vector<std::vector<float>> grads;
  for (int leaf : g.leaves()) grads.push_back(g.slot(leaf).grad.values());
  return grads;
}

inline void record(TensorCheck& t, const Derivative& d, int64_t index) {
  if (d.analytic != 0) t.all_analytic_zero = false;
  if (d.outcome == Derivative::Outcome::kink) {
    ++t.skipped;
    return;
  }
  ++t.checked;
  if (d.outcome == Derivative::Outcome::disagree) ++t.disagreed;
  const double err = std::fabs(d.analytic - d.numeric);
  const double magnitude = std::max(std::fabs(d.analytic), std::fabs(d.numeric));
  t.max_abs_error = std::max(t.max_abs_error, err);
  // A relative error means little for a gradient that is zero up to rounding.
  if (magnitude > 10 * d.tolerance) t.max_rel_error = std::max(t.max_rel_error, err / magnitude);
  const double ratio = err / d.tolerance;
  if (t.worst_index < 0 || ratio > t.worst_ratio) {
    t.worst = d;
    t.worst_index = index;
    t.worst_ratio = ratio;
  }
}

}  // namespace detail

// Every leaf's gradient (graph inputs that want one, parameters) against finite differences,
// element by element (a random sample of big tensors).
namespace detail {

// Every op's output, for the kinks inside a small graph (see StencilValues); at point 4 with
// the gradients that the last backward left in them.
inline void record_outputs(TestGraph& g, StencilValues& values, int point) {
  values.clear(point);
  for (const Slot& s : g.slots())
    if (s.kind == Slot::Kind::output)
      values.add(point, s.value.data(), s.value.size(),
                 s.grad.allocated() ? s.grad.data() : nullptr);
}

}  // namespace detail

inline std::vector<TensorCheck> gradient_table(TestGraph& g, const GradientCheckOptions& o) {
  g.forward();
  const std::vector<float> base = g.slot(g.output()).value.values();
  const std::vector<float> r = detail::upstream(g.slot(g.output()).value, o.seed);
  const std::vector<std::vector<float>> grads = detail::analytic(g, r);
  g.forward();
  const Evaluation at_x{detail::objective(g.slot(g.output()).value, r, base).value, 0};
  StencilValues stencil;
  detail::record_outputs(g, stencil, 4);
  auto bend = [&](double wide, double narrow, double h) {
    return stencil.weighted_bend(wide, narrow, h);
  };
  Random rng(mix_seed(o.seed, "testing/picks"));
  std::vector<TensorCheck> table;
  const std::vector<int> leaves = g.leaves();
  for (size_t l = 0; l < leaves.size(); ++l) {
    TensorCheck t;
    t.tensor = g.slot(leaves[l]).name;
    float* values = g.slot(leaves[l]).value.data();
    for (int64_t i : detail::picks(g.slot(leaves[l]).value.size(), o.max_elements, rng)) {
      const float saved = values[i];
      auto evaluate = [&](int point, float x) {
        values[i] = x;
        g.forward();
        detail::record_outputs(g, stencil, point);
        return detail::objective(g.slot(g.output()).value, r, base);
      };
      const double a = grads[l][static_cast<size_t>(i)];
      detail::record(t, compare_derivative(a, saved, at_x, evaluate, o.difference, bend), i);
      values[i] = saved;
    }
    table.push_back(t);
  }
  return table;
}

// One line per tensor; a failure for each that disagrees or was mostly skipped.
inline void report_table(const std::vector<TensorCheck>& table, const std::string& label,
                         double max_skipped, Report& report) {
  for (const TensorCheck& t : table) {
    const int64_t total = t.checked + t.skipped;
    std::string line = label + ": " + t.tensor + ": " + std::to_string(t.checked) +
                       " values, max abs err " + detail::num(t.max_abs_error) + ", max rel err " +
                       detail::num(t.max_rel_error);
    if (t.skipped) line += ", " + std::to_string(t.skipped) + " skipped at kinks";
    if (t.disagreed) {
      const Derivative& w = t.worst;
      report.fail(label + ": backward disagrees with finite differences for " + t.tensor + " at " +
                  std::to_string(t.disagreed) + " of " + std::to_string(t.checked) +
                  " values; worst at element " + std::to_string(t.worst_index) + ": backward " +
                  detail::num(w.analytic) + ", finite differences " + detail::num(w.numeric) +
                  " (tolerance " + detail::num(w.tolerance) + ")" +
                  (t.all_analytic_zero ? "; backward leaves this gradient at zero everywhere: "
                                         "does it write it at all?"
                                       : ""));
    } else if (total > 0 && static_cast<double>(t.skipped) > max_skipped * total) {
      report.fail(line + ": too many points at kinks to say anything; use inputs away from them");
    } else {
      report.note(line + ": ok");
    }
  }
}

inline Report check_gradients(TestGraph& g, const std::string& label,
                              const GradientCheckOptions& o = {}) {
  Report report;
  try {
    report_table(gradient_table(g, o), label, o.max_skipped, report);
    if (g.leaves().empty())
      report.fail(label + ": nothing to check: no input or parameter wants a gradient");
  } catch (const TestError& e) {
    report.fail(e.what());
  }
  return report;
}

}  // namespace gradflow::testing
