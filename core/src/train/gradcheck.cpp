#include <gradflow/gradcheck.hpp>
#include <gradflow/model.hpp>
#include <gradflow/random.hpp>

#include <algorithm>
#include <cmath>

namespace gradflow {
namespace {

std::string field_of(const GraphSpec& spec, const std::string& input) {
  auto it = spec.train.bind.find(input);
  return it != spec.train.bind.end() ? it->second : input;
}

void fill_inputs(Model& model, int64_t batch, uint64_t seed) {
  Random rng(mix_seed(seed, "gradcheck/inputs"));
  for (const auto& input : model.spec().inputs) {
    Value& v = model.values()[model.input_value(input.name)];
    float* d = v.data.data();
    int64_t k = v.data.sample_size();
    std::string field = field_of(model.spec(), input.name);
    for (int64_t r = 0; r < batch; ++r) {
      if (field == "y") {
        std::fill_n(d + r * k, k, 0.0f);
        d[r * k + static_cast<int64_t>(rng.below(static_cast<uint64_t>(k)))] = 1.0f;
      } else if (field == "label") {
        for (int64_t c = 0; c < k; ++c) d[r * k + c] = static_cast<float>(rng.below(2));
      } else {
        for (int64_t c = 0; c < k; ++c) d[r * k + c] = static_cast<float>(rng.normal());
      }
    }
  }
}

double loss_at(Model& model, int64_t batch) {
  // Training mode at one fixed step: dropout masks stay the same for every difference.
  model.forward(batch, {true, 0});
  return model.loss();
}

void check_tensor(Model& model, int64_t batch, float* values, const float* analytic, int64_t n,
                  const GradientCheckOptions& o, Random& rng, GradientCheckEntry& entry) {
  std::vector<int64_t> picks;
  if (n <= o.max_elements_per_tensor) {
    for (int64_t i = 0; i < n; ++i) picks.push_back(i);
  } else {
    for (int64_t i = 0; i < o.max_elements_per_tensor; ++i)
      picks.push_back(static_cast<int64_t>(rng.below(static_cast<uint64_t>(n))));
  }
  const double base = loss_at(model, batch);
  auto agrees = [&](double a, double b) {
    return std::fabs(a - b) <=
           o.abs_tolerance + o.rel_tolerance * std::max(std::fabs(a), std::fabs(b));
  };
  for (int64_t i : picks) {
    float saved = values[i];
    values[i] = saved + static_cast<float>(o.epsilon);
    double up = loss_at(model, batch);
    values[i] = saved - static_cast<float>(o.epsilon);
    double down = loss_at(model, batch);
    values[i] = saved;
    // The step actually taken in float32, not the nominal epsilon.
    double h = static_cast<double>(saved + static_cast<float>(o.epsilon)) -
               static_cast<double>(saved - static_cast<float>(o.epsilon));
    double numeric = (up - down) / h;
    double a = analytic[i];
    // A step across a kink (ReLU at 0, hinge losses) mixes two slopes, and the central
    // difference matches neither. There the one-sided slopes differ from each other and the
    // backward agrees with one of them: such points say nothing about the backward, so they
    // are skipped rather than failed. A smooth loss has equal one-sided slopes up to O(eps).
    if (!agrees(a, numeric)) {
      double h_up = static_cast<double>(saved + static_cast<float>(o.epsilon)) - saved;
      double h_down = saved - static_cast<double>(saved - static_cast<float>(o.epsilon));
      double slope_up = (up - base) / h_up;
      double slope_down = (base - down) / h_down;
      if (!agrees(slope_up, slope_down) && (agrees(a, slope_up) || agrees(a, slope_down))) {
        ++entry.skipped_at_kinks;
        continue;
      }
    }
    double abs_error = std::fabs(a - numeric);
    double rel_error = abs_error / std::max({std::fabs(a), std::fabs(numeric), 1e-12});
    entry.max_abs_error = std::max(entry.max_abs_error, abs_error);
    // Relative error means little for gradients that are zero up to float noise.
    if (std::max(std::fabs(a), std::fabs(numeric)) > 10 * o.abs_tolerance)
      entry.max_rel_error = std::max(entry.max_rel_error, rel_error);
    if (abs_error > o.abs_tolerance + o.rel_tolerance * std::max(std::fabs(a), std::fabs(numeric)))
      entry.passed = false;
    ++entry.checked;
  }
}

}  // namespace

std::vector<GradientCheckEntry> check_gradients(const GraphSpec& spec, const OpRegistry& registry,
                                                const GradientCheckOptions& options) {
  PlanOptions plan;
  for (const auto& in : spec.inputs) {
    std::string field = field_of(spec, in.name);
    if (field != "y" && field != "label") plan.input_grads.push_back(in.name);
  }
  auto model = Model::plan(spec, registry, plan);
  if (model->loss_terms().empty()) return {};
  model->allocate(options.batch);
  model->init_parameters(options.seed);
  fill_inputs(*model, options.batch, options.seed);
  model->forward(options.batch, {true, 0});
  model->backward(options.batch);

  // Keep the analytic gradients: the finite differences below re-run forward only.
  std::vector<GradientCheckEntry> entries;
  Random rng(mix_seed(options.seed, "gradcheck/picks"));
  for (auto& p : model->parameters()) {
    std::vector<float> analytic(p.grad.data(), p.grad.data() + p.grad.size());
    GradientCheckEntry e{p.name};
    check_tensor(*model, options.batch, p.value.data(), analytic.data(), p.value.size(), options,
                 rng, e);
    entries.push_back(e);
  }
  for (const auto& name : plan.input_grads) {
    Value& v = model->values()[model->input_value(name)];
    if (!v.needs_grad) continue;
    int64_t n = v.data.sample_size() * options.batch;
    std::vector<float> analytic(v.grad.data(), v.grad.data() + n);
    GradientCheckEntry e{"input " + name};
    check_tensor(*model, options.batch, v.data.data(), analytic.data(), n, options, rng, e);
    entries.push_back(e);
  }
  return entries;
}

}  // namespace gradflow
