#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/folder_name.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/random.hpp>
#include <gradflow/resume.hpp>
#include <gradflow/run_report.hpp>
#include <gradflow/trainer.hpp>

#include "io/run_files.hpp"
#include "runtime/threads.hpp"
#include "train/numeric_fault.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <numeric>

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
  s.model->set_threads(thread_limit());  // as set_thread_count() left it
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
  set_thread_limit(threads);
}

namespace {

GraphSpec with_overrides(const GraphSpec& spec_in, const TrainOptions& options) {
  GraphSpec spec = spec_in;
  if (options.epochs) spec.train.epochs = *options.epochs;
  if (options.batch_size) spec.train.batch_size = *options.batch_size;
  if (options.lr) spec.train.optimizer.lr = *options.lr;
  if (options.seed) spec.train.seed = *options.seed;
  return spec;
}

// One `train` command: the epochs, the Ctrl-C checkpoint, the numeric fault message and the
// files at the end, over a prepared setup and a locked output folder.
class TrainingRun {
 public:
  TrainingRun(const GraphSpec& spec, TrainingSetup& setup, RunFiles& files,
              const TrainOptions& options, std::ostream& out, std::ostream& log)
      : spec_(spec),
        setup_(setup),
        model_(*setup.model),
        files_(files),
        options_(options),
        out_(out),
        log_(log),
        bar_(log, options.progress),
        steps_per_epoch_((setup.data.train.size + setup.batch - 1) / setup.batch),
        order_(static_cast<size_t>(setup.data.train.size)),
        recorder_(files.dir(), model_, setup.bindings, setup.data) {
    report_.out_dir = files.dir();
  }

  void resume(const RunIdentity& identity) {
    const std::string& path = options_.resume;
    Metadata meta;
    start_ = load_checkpoint(path, model_, setup_.optimizer.get(), &meta);
    check_resume(path, meta, identity, start_, setup_.optimizer->steps(), steps_per_epoch_);
    for (const auto& m : history_from_checkpoint(meta, path))
      if (m.epoch >= 1 && m.epoch <= start_.epoch) report_.history.push_back(m);
    resumed_from_ = path;
    log_ << fmt::format("resuming from {} at epoch {}, step {}\n", path, start_.epoch + 1,
                        start_.step);
  }

  TrainReport run() {
    InterruptGuard guard;
    out_ << fmt::format(
        "training {} on {}: {} train / {} test samples, batch {}, {} epochs, {} lr {}\n",
        spec_.name, setup_.data.name, setup_.data.train.size, setup_.data.test.size, setup_.batch,
        spec_.train.epochs, setup_.optimizer->name(), setup_.optimizer->learning_rate());
    if (options_.resume.empty())
      recorder_.record_epoch(0, spec_.train.epochs);
    else
      recorder_.resume_at(start_.epoch);
    started_ = last_save_ = std::chrono::steady_clock::now();
    for (int64_t epoch = start_.epoch + 1; epoch <= spec_.train.epochs; ++epoch) {
      auto t0 = std::chrono::steady_clock::now();
      if (!run_epoch(epoch)) return report_;
      bar_.clear();
      end_epoch(epoch,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    finish();
    return report_;
  }

 private:
  // False if Ctrl-C stopped it (after saving a checkpoint).
  bool run_epoch(int64_t epoch) {
    const Split& train = setup_.data.train;
    const int64_t n = train.size, batch = setup_.batch;
    epoch_order(spec_.train.seed, epoch, order_);
    for (int64_t step = epoch == start_.epoch + 1 ? start_.step : 0; step < steps_per_epoch_;
         ++step) {
      if (g_interrupted.load()) {
        interrupted(epoch, step);
        return false;
      }
      const int64_t count = std::min(batch, n - step * batch);
      load_batch(model_, setup_.bindings, train, setup_.data.classes, order_.data() + step * batch,
                 count);
      model_.forward(count, {true, setup_.optimizer->steps()});
      if (!std::isfinite(model_.loss())) numeric_fault(epoch, step, count);
      model_.backward(count);
      setup_.optimizer->step(model_.parameters());
      weights_updated_ = true;
      bar_.update(epoch, step + 1, steps_per_epoch_);
    }
    return true;
  }

  void end_epoch(int64_t epoch, double seconds) {
    const Dataset& data = setup_.data;
    Evaluation on_train = evaluate(model_, setup_.bindings, data.train, data.classes);
    Evaluation on_test = evaluate(model_, setup_.bindings, data.test, data.classes);
    EpochMetrics m{epoch,        on_train.loss,    on_train.accuracy,
                   on_test.loss, on_test.accuracy, seconds};
    report_.history.push_back(m);
    recorder_.record_epoch(epoch, spec_.train.epochs);
    out_ << fmt::format(
                "epoch {:>4}/{}  train loss {:.4f} acc {}  test loss {:.4f} acc {}  ({:.2f} s)\n",
                epoch, spec_.train.epochs, m.train_loss, percent(m.train_accuracy), m.test_loss,
                percent(m.test_accuracy), seconds)
         << std::flush;
    // Each save is flushed to disk; on tiny data sets that would cost more than the epoch.
    auto now = std::chrono::steady_clock::now();
    if (epoch == spec_.train.epochs || now - last_save_ > std::chrono::seconds(5)) {
      files_.save_checkpoint(model_, setup_.optimizer.get(), {epoch, 0}, report_.history);
      files_.write_metrics(report_.history);
      last_save_ = now;
    }
  }

  void interrupted(int64_t epoch, int64_t step) {
    bar_.clear();
    files_.save_checkpoint(model_, setup_.optimizer.get(), {epoch - 1, step}, report_.history);
    log_ << fmt::format(
        "interrupted in epoch {} at step {}: checkpoint saved to {}\ncontinue with: {}\n", epoch,
        step, files_.checkpoint_path(),
        resume_command(spec_.path, options_, files_.dir(), files_.checkpoint_path()));
    report_.interrupted = true;
  }

  [[noreturn]] void numeric_fault(int64_t epoch, int64_t step, int64_t count) {
    bar_.clear();
    // Only a checkpoint that exists is worth naming: this run's last save, or the one it
    // resumed from.
    std::string last_good = files_.checkpoint_written() ? files_.checkpoint_path() : resumed_from_;
    throw NumericFault(
        SourceLocation{spec_.path, 0, 0},
        fmt::format(
            "the loss became {} in epoch {}, step {}; {}.{}",
            std::isnan(model_.loss()) ? "NaN" : "infinite", epoch, step + 1,
            non_finite_cause(model_, count, weights_updated_, setup_.optimizer->learning_rate()),
            last_good.empty() ? "" : " The last good checkpoint is " + last_good));
  }

  void finish() {
    files_.write_model(model_);
    files_.write_curves(report_.history, spec_.name);
    if (setup_.data.train.feature_shape == std::vector<int64_t>{2} && model_.predict_value() >= 0)
      files_.write_decision(model_, setup_.bindings, setup_.data);
    recorder_.finish(
        describe_run(spec_, setup_, options_), report_.history,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    if (!report_.history.empty()) {
      const auto& last = report_.history.back();
      out_ << fmt::format("final: train accuracy {}  test accuracy {}  -> {}\n",
                          percent(last.train_accuracy), percent(last.test_accuracy), files_.dir());
    }
  }

  const GraphSpec& spec_;
  TrainingSetup& setup_;
  Model& model_;
  RunFiles& files_;
  const TrainOptions& options_;
  std::ostream& out_;
  std::ostream& log_;
  ProgressBar bar_;
  const int64_t steps_per_epoch_;
  std::vector<int64_t> order_;
  TrainReport report_;
  TrainingPosition start_;
  std::string resumed_from_;
  bool weights_updated_ = false;
  RunRecorder recorder_;  // report.html's frames and run.json
  std::chrono::steady_clock::time_point started_, last_save_;
};

}  // namespace

TrainReport train(const GraphSpec& spec_in, const OpRegistry& registry, Dataset data,
                  const TrainOptions& options, std::ostream& out, std::ostream& log) {
  if (!options.resume.empty() && !options.weights.empty())
    throw InputError("--weights starts a new run from weights; --resume continues one: use one");
  const GraphSpec spec = with_overrides(spec_in, options);
  set_thread_count(options.threads);
  TrainingSetup setup = prepare_training(spec, registry, std::move(data), "train");
  check_checkpoint_names(*setup.model);
  // Weights for fine-tuning are untrusted like a checkpoint; refused before the folder exists.
  if (!options.weights.empty()) load_checkpoint(options.weights, *setup.model, nullptr);
  const RunIdentity identity = run_identity(spec, setup.batch);
  // Before any epoch: the folder is locked and known to be writable, or the run stops here.
  RunFiles files(options.out_dir.empty() ? default_run_folder(spec.name) : options.out_dir,
                 identity_metadata(identity));
  TrainingRun run(spec, setup, files, options, out, log);
  if (!options.resume.empty()) run.resume(identity);
  return run.run();
}

}  // namespace gradflow
