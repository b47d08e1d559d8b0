// Checks of the rules an op's calls must keep beyond the right numbers: backward adds into
// gradient buffers, the same inputs give bit-identical results, and randomness comes from the
// node's stream only. Part of <gradflow/testing.hpp>.
#pragma once

#include <gradflow/testing/checks.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace gradflow::testing {

namespace detail {

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// "" when with_prefill == prefill + alone for every element, up to rounding of the sum.
inline std::string adds_problem(const std::string& tensor, const std::vector<float>& prefill,
                                const std::vector<float>& alone,
                                const std::vector<float>& with_prefill) {
  double largest = 0;
  for (float g : alone) largest = std::max(largest, std::fabs(static_cast<double>(g)));
  for (size_t i = 0; i < alone.size(); ++i) {
    const double expected = static_cast<double>(prefill[i]) + alone[i];
    const double slack = 1e-4 * (std::fabs(prefill[i]) + std::fabs(alone[i])) + 1e-5 * largest;
    if (std::fabs(with_prefill[i] - expected) <= slack) continue;
    const bool assigned = std::fabs(with_prefill[i] - alone[i]) <= slack;
    return "backward " + std::string(assigned ? "assigns (=) into" : "does not add into") +
           " the gradient of " + tensor + ": with the buffer pre-filled with " + num(prefill[i]) +
           ", element " + std::to_string(i) + " came back as " + num(with_prefill[i]) +
           ", expected " + num(prefill[i]) + " + " + num(alone[i]) + " = " + num(expected) +
           ". Add (+=) into gradients: a value that feeds several nodes sums their gradients in "
           "one buffer";
  }
  return "";
}

}  // namespace detail

// Backward must add: with every leaf gradient pre-filled with known values P it must return
// P + g, where g is what it returns from zero. This is how `=` in place of `+=` is caught even
// where a node has a single consumer. `require_nonzero`: fail when g is zero everywhere, since
// adding and doing nothing then look alike.
inline Report check_backward_adds(TestGraph& g, const std::string& label, uint64_t seed = 11,
                                  bool require_nonzero = true) {
  Report report;
  try {
    g.forward();
    const std::vector<float> r = detail::upstream(g.slot(g.output()).value, seed);
    const auto alone = detail::analytic(g, r);
    g.zero_grads();
    g.slot(g.output()).grad.assign(r);
    std::vector<std::vector<float>> prefill;
    Random rng(mix_seed(seed, "testing/prefill"));
    for (int leaf : g.leaves()) {
      std::vector<float> p(static_cast<size_t>(g.slot(leaf).grad.size()));
      for (float& v : p) v = static_cast<float>(0.25 + rng.uniform()) * (rng.below(2) ? 1 : -1);
      g.slot(leaf).grad.assign(p);
      prefill.push_back(p);
    }
    g.backward();
    bool any_nonzero = false;
    const std::vector<int> leaves = g.leaves();
    for (size_t l = 0; l < leaves.size(); ++l) {
      for (float v : alone[l]) any_nonzero = any_nonzero || v != 0.0f;
      const std::string problem = detail::adds_problem(g.slot(leaves[l]).name, prefill[l], alone[l],
                                                       g.slot(leaves[l]).grad.values());
      if (!problem.empty()) report.fail(label + ": " + problem);
    }
    if (require_nonzero && !any_nonzero)
      report.fail(label +
                  ": every gradient is zero at these inputs, so adding cannot be told "
                  "from doing nothing: choose other inputs");
    if (report.ok()) report.note(label + ": backward adds into every gradient: ok");
  } catch (const TestError& e) {
    report.fail(e.what());
  }
  return report;
}

// The same inputs, the same step: bit-identical outputs and gradients, run after run.
inline Report check_deterministic(TestGraph& g, const std::string& label, bool with_backward) {
  Report report;
  try {
    g.forward();
    const std::vector<float> first = g.slot(g.output()).value.values();
    g.forward();
    if (!detail::same_bits(first, g.slot(g.output()).value.values()))
      report.fail(label + ": two forward calls on the same inputs gave different outputs");
    if (with_backward) {
      const std::vector<float> r = detail::upstream(g.slot(g.output()).value, 3);
      const auto once = detail::analytic(g, r), twice = detail::analytic(g, r);
      for (size_t l = 0; l < once.size(); ++l)
        if (!detail::same_bits(once[l], twice[l]))
          report.fail(label + ": two backward calls gave different gradients of " +
                      g.slot(g.leaves()[l]).name);
    }
    if (report.ok()) report.note(label + ": bit-identical results run after run: ok");
  } catch (const TestError& e) {
    report.fail(e.what());
  }
  return report;
}

// Randomness only through the node's stream (ForwardContext::random()): the same step gives
// the same output; in training, an op that draws (`draws`: dropout) gives another output at
// another step, and one that does not gives the same; in evaluation the step never matters.
inline Report check_random_stream(TestGraph& g, const std::string& label, bool draws) {
  Report report;
  try {
    const bool training = g.training;
    const uint64_t seed = g.seed;
    auto output_at = [&](bool train, uint64_t s) {
      g.training = train;
      g.seed = s;
      g.forward();
      return g.slot(g.output()).value.values();
    };
    const auto a = output_at(true, seed), again = output_at(true, seed);
    const auto other = output_at(true, seed + 1);
    const auto eval = output_at(false, seed), eval_other = output_at(false, seed + 1);
    g.training = training;
    g.seed = seed;
    if (!detail::same_bits(a, again))
      report.fail(label +
                  ": the same random stream gave different outputs: draw random numbers "
                  "only from ForwardContext::random()");
    if (draws && detail::same_bits(a, other))
      report.fail(label + ": another step's random stream gave the same output in training");
    if (!draws && !detail::same_bits(a, other))
      report.fail(label + ": the output depends on the random stream, but the op should not draw");
    if (!detail::same_bits(eval, eval_other))
      report.fail(label + ": in evaluation (training = false) the output depends on the stream");
    if (report.ok()) report.note(label + ": random stream and training flag: ok");
  } catch (const TestError& e) {
    report.fail(e.what());
  }
  return report;
}

}  // namespace gradflow::testing
