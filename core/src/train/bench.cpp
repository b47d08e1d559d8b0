#include <gradflow/bench.hpp>

#include <gradflow/binding.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/trainer.hpp>

#include <fmt/format.h>
#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace gradflow {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// The FLOPs of one training step over `rows` samples, as each op declared them (see
// BenchReport): forward, parameter gradients, and input gradients where an input needs one.
double step_flops(const Model& model, int64_t rows) {
  double per_sample = 0;
  for (const auto& node : model.nodes()) {
    per_sample += node.flops.forward;
    if (!node.in_backward) continue;
    per_sample += node.flops.backward_params;
    bool input_grads = false;
    for (int v : node.inputs) input_grads = input_grads || model.values()[v].needs_grad;
    if (input_grads) per_sample += node.flops.backward_inputs;
  }
  return per_sample * static_cast<double>(rows);
}

// The parts of a step that `--breakdown` reports, summed over the timed rounds.
struct PartTimes {
  NodeTimes nodes;
  StepTimes outside_nodes;  // the batch gathering and the optimizer's update
  int64_t steps = 0;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs options.warmup + options.epochs rounds of r.round_steps steps and records the timed
// rounds' seconds in r.epoch_seconds; with `parts`, times the pieces of each timed step too.
void time_rounds(TrainingSetup& setup, const GraphSpec& spec, const BenchOptions& options,
                 BenchReport& r, PartTimes* parts) {
  Model& model = *setup.model;
  const int64_t n = setup.data.train.size, batch = setup.batch;
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t round = 1; round <= options.warmup + options.epochs; ++round) {
    const bool timed = round > options.warmup;
    PartTimes* p = timed ? parts : nullptr;
    if (p && round == options.warmup + 1) model.time_nodes(&p->nodes);  // zeroes the sums
    // Shuffled like the trainer's epochs, so batches are gathered, not read in place.
    epoch_order(spec.train.seed, round, order);
    auto t0 = Clock::now();
    for (int64_t step = 0; step < r.round_steps; ++step) {
      const int64_t begin = step * batch, count = std::min(batch, n - begin);
      train_step(setup, order.data() + begin, count, {}, p ? &p->outside_nodes : nullptr);
    }
    if (timed) r.epoch_seconds.push_back(seconds_since(t0));
    if (p) p->steps += r.round_steps;
  }
  model.time_nodes(nullptr);
}

// Microseconds per step by part; nodes of the same op are summed.
std::vector<std::pair<std::string, double>> summarise(const Model& model, const PartTimes& t) {
  std::vector<std::pair<std::string, double>> out;
  const double per_step = 1e6 / static_cast<double>(std::max<int64_t>(1, t.steps));
  auto add = [&](const std::string& part, double seconds) {
    for (auto& [name, us] : out)
      if (name == part) {
        us += seconds * per_step;
        return;
      }
    out.emplace_back(part, seconds * per_step);
  };
  add("load_batch", t.outside_nodes.load_batch);
  const auto& nodes = model.nodes();
  for (size_t k = 0; k < nodes.size(); ++k)
    add(std::string(nodes[k].op->def->name) + ".forward", t.nodes.forward[k]);
  add("clear_grads", t.nodes.clear);
  for (size_t k = nodes.size(); k-- > 0;)
    if (nodes[k].in_backward && !nodes[k].fused_away)
      add(std::string(nodes[k].op->def->name) + ".backward", t.nodes.backward[k]);
  add("optimizer", t.outside_nodes.optimizer);
  return out;
}

}  // namespace

BenchReport bench(const GraphSpec& spec_in, const OpRegistry& registry, Dataset samples,
                  const BenchOptions& options) {
  GraphSpec spec = spec_in;
  if (options.batch_size) spec.train.batch_size = *options.batch_size;
  set_thread_count(options.threads);

  // The trainer's own set-up, so that buffers, memory and cache behaviour match `train`.
  TrainingSetup setup = prepare_training(spec, registry, std::move(samples), "benchmark");
  Dataset& data = setup.data;
  Model* model = setup.model.get();
  const int64_t n = data.train.size;
  const int64_t batch = setup.batch;

  BenchReport r;
  r.graph = spec.name;
  r.dataset = data.name;
  r.train_samples = n;
  r.batch = batch;
  r.steps_per_epoch = (n + batch - 1) / batch;
  r.round_steps = std::min(r.steps_per_epoch, options.steps.value_or(r.steps_per_epoch));
  r.threads = options.threads;
  r.epochs = options.epochs;
  r.warmup = options.warmup;
  for (int64_t begin = 0; begin < n; begin += batch)
    r.flops_per_epoch += step_flops(*model, std::min(batch, n - begin));

  PartTimes parts;
  time_rounds(setup, spec, options, r, options.breakdown ? &parts : nullptr);
  if (options.breakdown) r.breakdown = summarise(*model, parts);
  if (!std::isfinite(model->loss()))
    throw InputError(SourceLocation{spec.path, 0, 0},
                     "the loss is not finite after the benchmark's epochs: the timing is "
                     "meaningless (try a smaller learning rate)");

  auto t0 = Clock::now();
  Evaluation on_train = evaluate(*model, setup.bindings, data.train, data.classes);
  Evaluation on_test = evaluate(*model, setup.bindings, data.test, data.classes);
  r.eval_seconds = seconds_since(t0);
  r.train_accuracy = on_train.accuracy;
  r.test_accuracy = on_test.accuracy;
  r.final_loss = on_test.loss;

  const double round_median = median(r.epoch_seconds);
  if (round_median > 0) {
    r.step_median = round_median / static_cast<double>(r.round_steps);
    r.epoch_median = r.step_median * static_cast<double>(r.steps_per_epoch);
    if (r.round_steps == r.steps_per_epoch) r.epoch_median = round_median;
    r.samples_per_second = static_cast<double>(n) / r.epoch_median;
    r.gflops = r.flops_per_epoch / r.epoch_median / 1e9;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_rss_kib = usage.ru_maxrss;
  return r;
}

namespace {

// One record for both outputs, so the JSON and the key-value lines cannot drift apart.
nlohmann::ordered_json bench_record(const BenchReport& r) {
  nlohmann::ordered_json j = {{"tool", "gradflow"},
                              {"graph", r.graph},
                              {"dataset", r.dataset},
                              {"train_samples", r.train_samples},
                              {"batch", r.batch},
                              {"steps_per_epoch", r.steps_per_epoch},
                              {"round_steps", r.round_steps},
                              {"threads", r.threads},
                              {"epochs", r.epochs},
                              {"warmup", r.warmup},
                              {"epoch_s", r.epoch_median},
                              {"step_us", r.step_median * 1e6},
                              {"samples_per_s", r.samples_per_second},
                              {"gflop_per_epoch", r.flops_per_epoch / 1e9},
                              {"gflops", r.gflops},
                              {"eval_s", r.eval_seconds},
                              {"train_accuracy", r.train_accuracy},
                              {"test_accuracy", r.test_accuracy},
                              {"test_loss", r.final_loss},
                              {"peak_rss_kib", r.peak_rss_kib},
                              {"epoch_s_all", r.epoch_seconds}};
  if (!r.breakdown.empty()) {
    nlohmann::ordered_json parts;
    for (const auto& [name, us] : r.breakdown) parts[name] = us;
    j["breakdown_us"] = parts;
  }
  return j;
}

// Numbers at full precision (the shortest text that reads back the same), lists comma-joined.
std::string plain_text(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) return v.dump();
  std::string joined;
  for (const auto& item : v) joined += (joined.empty() ? "" : ",") + item.dump();
  return joined;
}

}  // namespace

void print_bench(const BenchReport& r, std::ostream& out, bool json) {
  const nlohmann::ordered_json record = bench_record(r);
  if (json) {
    out << record.dump() << '\n';
    return;
  }
  for (const auto& [key, value] : record.items()) {
    if (key == "tool") continue;
    if (key != "breakdown_us") {
      out << key << ' ' << plain_text(value) << '\n';
      continue;
    }
    for (const auto& [name, us] : value.items()) out << "us." << name << ' ' << us.dump() << '\n';
  }
}

}  // namespace gradflow
