// The gradient check of a whole graph: a model planned with gradients for its non-target
// inputs, random weights and inputs, then every node alone (gradcheck_nodes.cpp) and the loss
// against finite differences for each parameter and input.
#include <gradflow/evaluation.hpp>
#include <gradflow/gradcheck.hpp>
#include <gradflow/model.hpp>
#include <gradflow/random.hpp>

#include "train/gradcheck_nodes.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow {
namespace {

void fill_inputs(Model& model, int64_t batch, uint64_t seed) {
  Random rng(mix_seed(seed, "gradcheck/inputs"));
  for (const auto& input : model.spec().inputs) {
    Value& v = model.values()[model.input_value(input.name)];
    float* d = v.data.data();
    int64_t k = v.data.sample_size();
    std::string field = data_field(model.spec().train.bind, input.name);
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

// The loss in training mode at one fixed step, so that dropout masks stay put; its scale is
// what the loss terms add up to, for the rounding noise.
testing::Evaluation loss_at(Model& model, int64_t batch) {
  model.forward(batch, {true, 0});
  testing::Evaluation e;
  for (auto [v, weight] : model.loss_terms()) {
    const double term = weight * static_cast<double>(model.values()[v].data.data()[0]);
    e.value += term;
    e.scale += std::fabs(term);
  }
  return e;
}

// The outputs of the nodes on the loss's path, where a kink downstream of the perturbed
// element shows even when kinks cancel in the loss; weighted by the loss's gradient, which
// the backward before the differences left in them.
void record_values(const Model& model, testing::StencilValues& stencil, int point, int64_t batch) {
  stencil.clear(point);
  for (const Value& v : model.values())
    if (v.producer >= 0 && v.needs_grad)
      stencil.add(point, v.data.data(), v.data.sample_size() * (v.batched ? batch : 1),
                  v.grad.data());
}

testing::TensorCheck check_tensor(Model& model, int64_t batch, const std::string& name,
                                  float* values, const std::vector<float>& analytic,
                                  const GradientCheckOptions& o, Random& rng) {
  testing::TensorCheck t;
  t.tensor = name;
  const testing::Evaluation at_x = loss_at(model, batch);
  testing::StencilValues stencil;
  record_values(model, stencil, 4, batch);
  auto bend = [&](double wide, double narrow, double h) {
    return stencil.weighted_bend(wide, narrow, h);
  };
  const int64_t n = static_cast<int64_t>(analytic.size());
  for (int64_t i : testing::detail::picks(n, o.graph_elements, rng)) {
    const float saved = values[i];
    auto evaluate = [&](int point, float x) {
      values[i] = x;
      const testing::Evaluation e = loss_at(model, batch);
      record_values(model, stencil, point, batch);
      return e;
    };
    testing::detail::record(
        t, testing::compare_derivative(analytic[i], saved, at_x, evaluate, o.difference, bend), i);
    values[i] = saved;
  }
  return t;
}

// The loss's gradient for every parameter and every input that has one.
void check_whole_graph(Model& model, const std::vector<std::string>& inputs,
                       const GradientCheckOptions& o, GradientCheckResult& result) {
  model.forward(o.batch, {true, 0});
  model.backward(o.batch);
  Random rng(mix_seed(o.seed, "gradcheck/picks"));
  for (auto& p : model.parameters())
    result.graph.push_back(
        check_tensor(model, o.batch, p.name, p.value.data(),
                     std::vector<float>(p.grad.data(), p.grad.data() + p.grad.size()), o, rng));
  for (const auto& name : inputs) {
    Value& v = model.values()[model.input_value(name)];
    if (!v.needs_grad) continue;
    const int64_t n = v.data.sample_size() * o.batch;
    result.graph.push_back(check_tensor(model, o.batch, "input " + name, v.data.data(),
                                        std::vector<float>(v.grad.data(), v.grad.data() + n), o,
                                        rng));
  }
}

std::string whole_graph_error(const testing::TensorCheck& t) {
  const testing::Derivative& w = t.worst;
  return "the loss's gradient for " + t.tensor + " disagrees with finite differences at " +
         std::to_string(t.disagreed) + " of " + std::to_string(t.checked) +
         " values although each node's backward agrees with its own (worst at element " +
         std::to_string(t.worst_index) + ": backward " + testing::detail::num(w.analytic) +
         ", finite differences " + testing::detail::num(w.numeric) +
         "): the nodes are chained wrongly, or an op's result depends on more than its inputs";
}

}  // namespace

GradientCheckResult check_gradients(const GraphSpec& spec, const OpRegistry& registry,
                                    const GradientCheckOptions& options) {
  PlanOptions plan;
  for (const auto& in : spec.inputs) {
    std::string field = data_field(spec.train.bind, in.name);
    if (field != "y" && field != "label") plan.input_grads.push_back(in.name);
  }
  auto model = Model::plan(spec, registry, plan);
  GradientCheckResult result;
  result.has_loss = !model->loss_terms().empty();
  if (!result.has_loss) return result;
  model->allocate(options.batch);
  model->init_parameters(options.seed);
  fill_inputs(*model, options.batch, options.seed);
  model->forward(options.batch, {true, 0});
  for (const auto& node : model->nodes())
    if (!node.fused_away)
      result.nodes.push_back(check_node(*model, node, options.batch, options, result.errors));
  // Node failures say more than the whole graph's; it is checked only when they all pass.
  if (!result.errors.empty()) return result;
  check_whole_graph(*model, plan.input_grads, options, result);
  for (const auto& t : result.graph)
    if (t.disagreed)
      result.errors.push_back({SourceLocation{spec.path, 0, 0}, whole_graph_error(t)});
  return result;
}

}  // namespace gradflow
