#include <gradflow/bench.hpp>

#include <gradflow/binding.hpp>
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
  const auto& bindings = setup.bindings;
  auto& optimizer = setup.optimizer;
  const int64_t n = data.train.size;
  const int64_t batch = setup.batch;

  BenchReport r;
  r.graph = spec.name;
  r.dataset = data.name;
  r.train_samples = n;
  r.batch = batch;
  r.steps_per_epoch = (n + batch - 1) / batch;
  r.threads = options.threads;
  r.epochs = options.epochs;
  r.warmup = options.warmup;
  for (int64_t begin = 0; begin < n; begin += batch)
    r.flops_per_epoch += step_flops(*model, std::min(batch, n - begin));

  std::vector<int64_t> order(static_cast<size_t>(n));
  int64_t step_index = 0;
  for (int64_t epoch = 1; epoch <= options.warmup + options.epochs; ++epoch) {
    // Shuffled like the trainer's epochs, so batches are gathered, not read in place.
    epoch_order(spec.train.seed, epoch, order);
    auto t0 = Clock::now();
    for (int64_t begin = 0; begin < n; begin += batch) {
      int64_t count = std::min(batch, n - begin);
      load_batch(*model, bindings, data.train, data.classes, order.data() + begin, count);
      model->forward(count, {true, step_index++});
      model->backward(count);
      optimizer->step(model->parameters());
    }
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (epoch > options.warmup) r.epoch_seconds.push_back(seconds);
  }
  if (!std::isfinite(model->loss()))
    throw InputError(SourceLocation{spec.path, 0, 0},
                     "the loss is not finite after the benchmark's epochs: the timing is "
                     "meaningless (try a smaller learning rate)");

  auto t0 = Clock::now();
  Evaluation on_train = evaluate(*model, bindings, data.train, data.classes);
  Evaluation on_test = evaluate(*model, bindings, data.test, data.classes);
  r.eval_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.train_accuracy = on_train.accuracy;
  r.test_accuracy = on_test.accuracy;
  r.final_loss = on_test.loss;

  r.epoch_median = median(r.epoch_seconds);
  if (r.epoch_median > 0) {
    r.step_median = r.epoch_median / static_cast<double>(r.steps_per_epoch);
    r.samples_per_second = static_cast<double>(n) / r.epoch_median;
    r.gflops = r.flops_per_epoch / r.epoch_median / 1e9;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_rss_kib = usage.ru_maxrss;
  return r;
}

void print_bench(const BenchReport& r, std::ostream& out, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["tool"] = "gradflow";
    j["graph"] = r.graph;
    j["dataset"] = r.dataset;
    j["train_samples"] = r.train_samples;
    j["batch"] = r.batch;
    j["steps_per_epoch"] = r.steps_per_epoch;
    j["threads"] = r.threads;
    j["epochs"] = r.epochs;
    j["warmup"] = r.warmup;
    j["epoch_s"] = r.epoch_median;
    j["step_us"] = r.step_median * 1e6;
    j["samples_per_s"] = r.samples_per_second;
    j["gflop_per_epoch"] = r.flops_per_epoch / 1e9;
    j["gflops"] = r.gflops;
    j["eval_s"] = r.eval_seconds;
    j["train_accuracy"] = r.train_accuracy;
    j["test_accuracy"] = r.test_accuracy;
    j["test_loss"] = r.final_loss;
    j["peak_rss_kib"] = r.peak_rss_kib;
    j["epoch_s_all"] = r.epoch_seconds;
    out << j.dump() << '\n';
    return;
  }
  std::string all;
  for (double s : r.epoch_seconds) all += fmt::format("{}{:.6f}", all.empty() ? "" : ",", s);
  out << fmt::format(
      "graph {}\ndataset {}\ntrain_samples {}\nbatch {}\nsteps_per_epoch {}\nthreads {}\n"
      "epochs {}\nwarmup {}\nepoch_s {:.6f}\nstep_us {:.3f}\nsamples_per_s {:.1f}\n"
      "gflop_per_epoch {:.4f}\ngflops {:.3f}\neval_s {:.6f}\ntrain_accuracy {:.4f}\n"
      "test_accuracy {:.4f}\ntest_loss {:.6f}\npeak_rss_kib {}\nepoch_s_all {}\n",
      r.graph, r.dataset, r.train_samples, r.batch, r.steps_per_epoch, r.threads, r.epochs,
      r.warmup, r.epoch_median, r.step_median * 1e6, r.samples_per_second, r.flops_per_epoch / 1e9,
      r.gflops, r.eval_seconds, r.train_accuracy, r.test_accuracy, r.final_loss, r.peak_rss_kib,
      all);
}

}  // namespace gradflow
