#include <gradflow/atomic_file.hpp>
#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/data_parallel.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/random.hpp>
#include <gradflow/trainer.hpp>

#include "io/run_files.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <numeric>
#include <optional>

namespace gradflow {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
}

// Installs the Ctrl-C handler for the duration of a training run.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_int_);
    ::sigaction(SIGTERM, &action, &previous_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    ::sigaction(SIGTERM, &previous_term_, nullptr);
  }

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

class ProgressBar {
 public:
  ProgressBar(std::ostream& log, bool enabled) : log_(log), enabled_(enabled) {}
  void update(int64_t epoch, int64_t done, int64_t total) {
    if (!enabled_ || total <= 0) return;
    int64_t percent = done * 100 / total;
    if (percent == last_) return;
    last_ = percent;
    int filled = static_cast<int>(percent * 30 / 100);
    log_ << fmt::format("\repoch {:>4} [{:<30}] {:>3}%", epoch, std::string(filled, '#'), percent)
         << std::flush;
  }
  void clear() {
    if (enabled_ && last_ >= 0) log_ << "\r" << std::string(48, ' ') << "\r" << std::flush;
    last_ = -1;
  }

 private:
  std::ostream& log_;
  bool enabled_;
  int64_t last_ = -1;
};

std::string percent(double accuracy) {
  return std::isnan(accuracy) ? std::string("   n/a") : fmt::format("{:6.2f}%", 100 * accuracy);
}

// What the processes of a data-parallel run must share: a graph file or data file that differs
// on another machine would otherwise make them take different steps, or silently diverge.
RunFacts run_facts(const GraphSpec& spec, const TrainingSetup& setup) {
  int64_t values = 0;
  for (const auto& p : setup.model->parameters()) values += p.value.size();
  uint64_t labels = 1469598103934665603ull;  // FNV-1a
  for (const Split* split : {&setup.data.train, &setup.data.test})
    for (int32_t label : split->labels)
      labels = (labels ^ static_cast<uint32_t>(label)) * 1099511628211ull;
  return {
      {"graph name", spec.name},
      {"parameter count", std::to_string(values)},
      {"number of training samples", std::to_string(setup.data.train.size)},
      {"number of test samples", std::to_string(setup.data.test.size)},
      {"checksum of the labels", std::to_string(labels)},
      {"batch size", std::to_string(setup.batch)},
      {"number of epochs", std::to_string(spec.train.epochs)},
      {"seed", std::to_string(spec.train.seed)},
      {"optimizer", fmt::format("{} lr {}", spec.train.optimizer.name, spec.train.optimizer.lr)}};
}

// A loss that no parameter feeds has a zero gradient everywhere: training would run every
// epoch and change nothing (typically `loss:` names the wrong node, or the model's output is
// not what the loss reads).
void refuse_untrainable_losses(const Model& model, const std::string& purpose) {
  DiagnosticList problems;
  for (const auto& term : model.spec().loss) {
    int v = model.value_index(term.node);
    if (v < 0 || model.values()[v].needs_grad) continue;
    const Value& value = model.values()[v];
    std::string op = value.producer < 0 ? "" : model.nodes()[value.producer].op->def->name;
    problems.error(term.where, "loss '" + term.node + "'" + (op.empty() ? "" : " (" + op + ")") +
                                   " depends on no trainable parameter: nothing to " + purpose +
                                   " (none of the nodes it reads has weights)");
  }
  problems.throw_if_any();
}

}  // namespace

void epoch_order(uint64_t seed, int64_t epoch, std::vector<int64_t>& order) {
  std::iota(order.begin(), order.end(), 0);
  Random rng(mix_seed(seed, "shuffle/" + std::to_string(epoch)));
  rng.shuffle(order.data(), order.size());
}

TrainingSetup prepare_training(const GraphSpec& spec, const OpRegistry& registry, Dataset data,
                               const std::string& purpose) {
  if (spec.loss.empty())
    throw InputError(SourceLocation{spec.path, 0, 0},
                     "the graph has no 'loss': nothing to " + purpose);
  TrainingSetup s;
  s.data = std::move(data);
  s.model = Model::plan(spec, registry);
  refuse_untrainable_losses(*s.model, purpose);
  const int64_t n = s.data.train.size;
  s.batch = spec.train.batch_size == 0 ? n : std::min(spec.train.batch_size, n);
  // Evaluation runs in chunks of up to 1,000 samples through the same buffers.
  s.model->allocate(
      std::max<int64_t>(s.batch, std::min<int64_t>(1000, std::max(n, s.data.test.size))));
  s.bindings = bind_inputs(*s.model, s.data, spec.train.bind);
  s.model->init_parameters(spec.train.seed);
  s.optimizer = make_optimizer(spec.train.optimizer, s.model->parameters());
  return s;
}

void set_thread_count(int threads) {
  openblas_set_num_threads(threads < 1 ? 1 : threads);
}

TrainReport train(const GraphSpec& spec_in, const OpRegistry& registry, Dataset data,
                  const TrainOptions& options, std::ostream& out_all, std::ostream& log_all) {
  GraphSpec spec = spec_in;
  if (options.epochs) spec.train.epochs = *options.epochs;
  if (options.batch_size) spec.train.batch_size = *options.batch_size;
  if (options.lr) spec.train.optimizer.lr = *options.lr;
  if (options.seed) spec.train.seed = *options.seed;
  set_thread_count(options.threads);
  // Data parallelism (see data_parallel.hpp): only rank 0 prints and writes files.
  auto solo = solo_communicator();
  Communicator& comm = options.comm ? *options.comm : *solo;
  std::ostream quiet(nullptr);
  std::ostream& out = comm.is_root() ? out_all : quiet;
  std::ostream& log = comm.is_root() ? log_all : quiet;

  TrainingSetup setup;
  collectively(comm, [&] { setup = prepare_training(spec, registry, std::move(data), "train"); });
  if (comm.size() > 1) check_same_run(comm, run_facts(spec, setup));
  broadcast_model(comm, *setup.model);
  const Dataset& samples = setup.data;
  Model* model = setup.model.get();
  const auto& bindings = setup.bindings;
  auto& optimizer = setup.optimizer;
  const int64_t n = samples.train.size;
  const int64_t batch = setup.batch;

  std::optional<RunFiles> files;
  TrainReport report;
  report.out_dir = options.out_dir.empty() ? "runs/" + spec.name : options.out_dir;
  const std::string checkpoint_path = report.out_dir + "/checkpoint.safetensors";
  collectively(comm, [&] {
    if (comm.is_root()) files.emplace(report.out_dir);
  });
  TrainingPosition start;
  collectively(comm, [&] {
    if (!options.resume.empty() && !options.weights.empty())
      throw InputError("--weights starts a new run from weights; --resume continues one: use one");
  });
  if (!options.weights.empty()) {
    const std::string bytes = broadcast_file(comm, options.weights);
    collectively(comm, [&] { load_checkpoint_data(bytes, options.weights, *model, nullptr); });
  }
  if (!options.resume.empty()) {
    // Rank 0 reads the file for everyone: the other machines need not see it.
    const std::string bytes = broadcast_file(comm, options.resume);
    collectively(comm, [&] {
      start = load_checkpoint_data(bytes, options.resume, *model, optimizer.get());
      report.history = history_in_checkpoint(bytes, options.resume);
    });
    log << fmt::format("resuming from {} at epoch {}, step {}\n", options.resume, start.epoch + 1,
                       start.step);
  }

  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  std::vector<int64_t> order(static_cast<size_t>(n));
  InterruptGuard guard;
  ProgressBar bar(log, options.progress);
  out << fmt::format(
      "training {} on {}: {} train / {} test samples, batch {}, {} epochs, {} lr {}\n", spec.name,
      samples.name, n, samples.test.size, batch, spec.train.epochs, optimizer->name(),
      optimizer->learning_rate());
  TrainingPosition now;  // the step being taken, for the message of a non-finite loss
  auto check_loss = [&](double loss, int64_t count) {
    if (std::isfinite(loss)) return;
    bar.clear();
    int bad = model->first_non_finite_node(count);
    std::string node = bad >= 0 ? model->nodes()[bad].spec->name : "?";
    throw NumericFault(SourceLocation{spec.path, 0, 0},
                       fmt::format("the loss became {} in epoch {}, step {}; the first node "
                                   "with a non-finite output is '{}'. The last good "
                                   "checkpoint is {} (try a smaller learning rate)",
                                   loss, now.epoch, now.step + 1, node, checkpoint_path));
  };
  std::optional<DataParallelStep> parallel;
  if (comm.size() > 1) parallel.emplace(comm, *model, *optimizer, check_loss);
  auto last_save = std::chrono::steady_clock::now();
  for (int64_t epoch = start.epoch + 1; epoch <= spec.train.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    epoch_order(spec.train.seed, epoch, order);
    int64_t first_step = epoch == start.epoch + 1 ? start.step : 0;
    for (int64_t step = first_step; step < steps_per_epoch; ++step) {
      now = {epoch, step};
      int64_t begin = step * batch;
      int64_t count = std::min(batch, n - begin);
      bool stop = g_interrupted.load();
      if (parallel) {
        stop = parallel->run(bindings, samples.train, samples.classes, order.data() + begin, count,
                             stop);
      } else if (!stop) {
        load_batch(*model, bindings, samples.train, samples.classes, order.data() + begin, count);
        model->forward(count, {true, optimizer->steps()});
        check_loss(model->loss(), count);
        model->backward(count);
        optimizer->step(model->parameters());
      }
      if (stop) {
        bar.clear();
        collectively(comm, [&] {
          if (files)
            files->save_checkpoint(*model, optimizer.get(), {epoch - 1, step}, report.history);
        });
        log << fmt::format(
            "interrupted in epoch {} at step {}: checkpoint saved to {}\n"
            "continue with: graph-runner train {} --resume {}\n",
            epoch, step, checkpoint_path, spec.path, checkpoint_path);
        report.interrupted = true;
        return report;
      }
      bar.update(epoch, step + 1, steps_per_epoch);
    }
    bar.clear();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Evaluation on_train = evaluate_sharded(comm, *model, bindings, samples.train, samples.classes);
    Evaluation on_test = evaluate_sharded(comm, *model, bindings, samples.test, samples.classes);
    EpochMetrics m{epoch,        on_train.loss,    on_train.accuracy,
                   on_test.loss, on_test.accuracy, seconds};
    report.history.push_back(m);
    out << fmt::format(
               "epoch {:>4}/{}  train loss {:.4f} acc {}  test loss {:.4f} acc {}  ({:.2f} s)\n",
               epoch, spec.train.epochs, m.train_loss, percent(m.train_accuracy), m.test_loss,
               percent(m.test_accuracy), seconds)
        << std::flush;
    // Each save is flushed to disk; on tiny data sets that would cost more than the epoch.
    auto t = std::chrono::steady_clock::now();
    collectively(comm, [&] {
      if (files && (epoch == spec.train.epochs || t - last_save > std::chrono::seconds(5))) {
        files->save_checkpoint(*model, optimizer.get(), {epoch, 0}, report.history);
        files->write_metrics(report.history);
        last_save = t;
      }
    });
  }
  collectively(comm, [&] {
    if (!files) return;
    files->write_model(*model);
    files->write_curves(report.history, spec.name);
    if (samples.train.feature_shape == std::vector<int64_t>{2} && model->predict_value() >= 0)
      files->write_decision(*model, bindings, samples);
  });
  if (parallel && parallel->steps() > 0)
    out << fmt::format(
        "data parallel over {} processes: the gradient sum took {:.1f} us per step, {:.1f} % of "
        "the step\n",
        comm.size(), 1e6 * parallel->exchange_seconds() / static_cast<double>(parallel->steps()),
        100 * parallel->exchange_seconds() / parallel->step_seconds());
  if (!report.history.empty()) {
    const auto& last = report.history.back();
    out << fmt::format("final: train accuracy {}  test accuracy {}  -> {}\n",
                       percent(last.train_accuracy), percent(last.test_accuracy), report.out_dir);
  }
  return report;
}

}  // namespace gradflow
