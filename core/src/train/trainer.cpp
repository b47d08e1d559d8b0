#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/data_parallel.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/folder_name.hpp>
#include <gradflow/inference.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/random.hpp>
#include <gradflow/resume.hpp>
#include <gradflow/run_report.hpp>
#include <gradflow/trainer.hpp>

#include "io/run_files.hpp"
#include "runtime/threads.hpp"
#include "train/numeric_fault.hpp"
#include "train/run_facts.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>

namespace gradflow {
namespace {

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

void train_step(TrainingSetup& setup, const int64_t* order, int64_t count,
                const std::function<void(double loss)>& check_loss, StepTimes* times) {
  Model& model = *setup.model;
  const Dataset& data = setup.data;
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  const auto t_load = times ? Clock::now() : Clock::time_point{};
  load_batch(model, setup.bindings, data.train, data.classes, order, count);
  if (times) times->load_batch += seconds_since(t_load);
  model.forward(count, {true, setup.optimizer->steps()});
  if (check_loss) check_loss(model.loss());
  model.backward(count);
  const auto t_opt = times ? Clock::now() : Clock::time_point{};
  setup.optimizer->step(model.parameters());
  model.parameter_gradients_are_zero();
  if (times) times->optimizer += seconds_since(t_opt);
}

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
  // Evaluation runs through the same buffers.
  s.model->allocate(std::max(s.batch, inference_batch(std::max(n, s.data.test.size))));
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
//
// Data parallelism (data_parallel.hpp): every process runs this with its communicator; each
// step's gradients are summed over the processes, evaluation is sharded, and only the root
// (the one process given `files`) writes files and tells the events.
class TrainingRun {
 public:
  TrainingRun(const GraphSpec& spec, TrainingSetup& setup, const std::string& dir, RunFiles* files,
              Communicator& comm, const TrainOptions& options)
      : spec_(spec),
        setup_(setup),
        model_(*setup.model),
        dir_(dir),
        files_(files),
        comm_(comm),
        options_(options),
        events_(comm.is_root() ? options.events : TrainEvents{}),
        steps_per_epoch_((setup.data.train.size + setup.batch - 1) / setup.batch),
        order_(static_cast<size_t>(setup.data.train.size)) {
    report_.out_dir = dir;
    if (files) recorder_.emplace(dir, model_, setup.bindings, setup.data);
    if (comm.size() > 1)
      parallel_.emplace(comm, model_, *setup.optimizer,
                        [this](double loss, int64_t rows) { check_loss(loss, rows); });
  }

  void resume(const RunIdentity& identity) {
    const std::string& path = options_.resume;
    // The root reads the file for everyone: the other machines need not see it.
    const std::string bytes = broadcast_file(comm_, path, "checkpoint");
    collectively(comm_, [&] {
      Metadata meta;
      start_ = load_checkpoint_bytes(bytes, path, model_, setup_.optimizer.get(), &meta);
      check_resume(path, meta, identity, start_, setup_.optimizer->steps(), steps_per_epoch_);
      for (const auto& m : history_from_checkpoint(meta, path))
        if (m.epoch >= 1 && m.epoch <= start_.epoch) report_.history.push_back(m);
    });
    resumed_from_ = path;
    if (events_.resumed) events_.resumed(path, start_.epoch + 1, start_.step);
  }

  TrainReport run() {
    if (events_.started)
      events_.started({spec_.name, setup_.data.name, setup_.optimizer->name(),
                       setup_.data.train.size, setup_.data.test.size, setup_.batch,
                       spec_.train.epochs, setup_.optimizer->learning_rate()});
    on_root([&] {
      if (options_.resume.empty())
        recorder_->record_epoch(0, spec_.train.epochs);
      else
        recorder_->resume_at(start_.epoch);
    });
    started_ = last_save_ = std::chrono::steady_clock::now();
    for (int64_t epoch = start_.epoch + 1; epoch <= spec_.train.epochs; ++epoch) {
      auto t0 = std::chrono::steady_clock::now();
      if (!run_epoch(epoch)) return report_;
      end_epoch(epoch,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    finish();
    return report_;
  }

 private:
  // False if Ctrl-C stopped it (after saving a checkpoint).
  bool run_epoch(int64_t epoch) {
    const int64_t n = setup_.data.train.size, batch = setup_.batch;
    epoch_order(spec_.train.seed, epoch, order_);
    for (int64_t step = epoch == start_.epoch + 1 ? start_.step : 0; step < steps_per_epoch_;
         ++step) {
      now_ = {epoch, step};
      if (!take_step(order_.data() + step * batch, std::min(batch, n - step * batch))) {
        interrupted(epoch, step);
        return false;
      }
      weights_updated_ = true;
      if (events_.progress) events_.progress(epoch, step + 1, steps_per_epoch_);
    }
    return true;
  }

  // One update on the global batch order[0, count); false, having changed nothing, if Ctrl-C
  // came (in a data-parallel run: to any process).
  bool take_step(const int64_t* order, int64_t count) {
    // Asked of every process's caller: a signal may reach any of them.
    const bool stop = options_.events.stop_requested && options_.events.stop_requested();
    if (parallel_)
      return !parallel_->run(setup_.bindings, setup_.data.train, setup_.data.classes, order, count,
                             stop);
    if (stop) return false;
    train_step(setup_, order, count, [&](double loss) { check_loss(loss, count); });
    return true;
  }

  void check_loss(double loss, int64_t rows) {
    if (!std::isfinite(loss)) numeric_fault(now_.epoch, now_.step, rows);
  }

  void end_epoch(int64_t epoch, double seconds) {
    const Dataset& data = setup_.data;
    Evaluation on_train =
        evaluate_sharded(comm_, model_, setup_.bindings, data.train, data.classes);
    Evaluation on_test = evaluate_sharded(comm_, model_, setup_.bindings, data.test, data.classes);
    EpochMetrics m{epoch,        on_train.loss,    on_train.accuracy,
                   on_test.loss, on_test.accuracy, seconds};
    report_.history.push_back(m);
    on_root([&] { recorder_->record_epoch(epoch, spec_.train.epochs); });
    if (events_.epoch_done) events_.epoch_done(m, spec_.train.epochs);
    save_if_due(epoch);
  }

  void save_if_due(int64_t epoch) {
    // Each save is flushed to disk; on tiny data sets that would cost more than the epoch.
    auto now = std::chrono::steady_clock::now();
    // The root's clock decides for all, so every process knows whether a checkpoint exists.
    float due =
        epoch == spec_.train.epochs || now - last_save_ > std::chrono::seconds(5) ? 1.0f : 0.0f;
    comm_.broadcast(&due, 1);
    if (due == 0) return;
    on_root([&] {
      files_->save_checkpoint(model_, setup_.optimizer.get(), {epoch, 0}, report_.history);
      files_->write_metrics(report_.history);
    });
    checkpoint_written_ = true;
    last_save_ = now;
  }

  // Runs `write` on the root, the one process that writes files; a failure ends every process.
  void on_root(const std::function<void()>& write) {
    collectively(comm_, [&] {
      if (files_) write();
    });
  }

  void interrupted(int64_t epoch, int64_t step) {
    on_root([&] {
      files_->save_checkpoint(model_, setup_.optimizer.get(), {epoch - 1, step}, report_.history);
    });
    const std::string checkpoint = run_checkpoint_path(dir_);
    if (events_.interrupted)
      events_.interrupted(
          {epoch, step, checkpoint, resume_command(spec_.path, options_, dir_, checkpoint)});
    report_.interrupted = true;
  }

  [[noreturn]] void numeric_fault(int64_t epoch, int64_t step, int64_t count) {
    if (events_.before_fault) events_.before_fault();
    // Only a checkpoint that exists is worth naming: this run's last save, or the one it
    // resumed from.
    std::string last_good = checkpoint_written_ ? run_checkpoint_path(dir_) : resumed_from_;
    throw NumericFault(
        SourceLocation{spec_.path, 0, 0},
        fmt::format(
            "the loss became {} in epoch {}, step {}; {}.{}",
            std::isnan(model_.loss()) ? "NaN" : "infinite", epoch, step + 1,
            non_finite_cause(model_, count, weights_updated_, setup_.optimizer->learning_rate()),
            last_good.empty() ? "" : " The last good checkpoint is " + last_good));
  }

  void finish() {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    on_root([&] {
      files_->write_model(model_);
      files_->write_curves(report_.history, spec_.name);
      if (setup_.data.train.feature_shape == std::vector<int64_t>{2} && model_.predict_value() >= 0)
        files_->write_decision(model_, setup_.bindings, setup_.data);
      recorder_->finish(describe_run(spec_, setup_, options_), report_.history, seconds);
    });
    if (parallel_ && parallel_->steps() > 0)
      report_.exchange = ExchangeCost{
          comm_.size(), parallel_->exchange_seconds() / static_cast<double>(parallel_->steps()),
          parallel_->exchange_seconds() / parallel_->step_seconds()};
  }

  const GraphSpec& spec_;
  TrainingSetup& setup_;
  Model& model_;
  const std::string dir_;
  RunFiles* files_;  // null but on the root
  Communicator& comm_;
  const TrainOptions& options_;
  const TrainEvents events_;  // the caller's on the root; none elsewhere
  const int64_t steps_per_epoch_;
  std::vector<int64_t> order_;
  TrainReport report_;
  TrainingPosition start_;
  TrainingPosition now_;  // the step being taken, for the numeric fault's message
  std::string resumed_from_;
  bool weights_updated_ = false;
  bool checkpoint_written_ = false;
  std::optional<RunRecorder> recorder_;  // report.html's frames and run.json (root only)
  std::optional<DataParallelStep> parallel_;
  std::chrono::steady_clock::time_point started_, last_save_;
};

}  // namespace

TrainReport train(const GraphSpec& spec_in, const OpRegistry& registry, Dataset data,
                  const TrainOptions& options) {
  // Data parallelism (see data_parallel.hpp): only the root tells and writes files, and what
  // fails in one process is reported once and ends them all.
  auto solo = solo_communicator();
  Communicator& comm = options.comm ? *options.comm : *solo;
  collectively(comm, [&] {
    if (!options.resume.empty() && !options.weights.empty())
      throw InputError("--weights starts a new run from weights; --resume continues one: use one");
  });
  const GraphSpec spec = with_overrides(spec_in, options);
  set_thread_count(options.threads);
  TrainingSetup setup;
  collectively(comm, [&] {
    setup = prepare_training(spec, registry, std::move(data), "train");
    check_checkpoint_names(*setup.model);
  });
  if (comm.size() > 1) check_same_run(comm, run_facts(spec, setup));
  broadcast_model(comm, *setup.model);
  // Weights for fine-tuning are untrusted like a checkpoint; refused before the folder exists.
  if (!options.weights.empty()) {
    const std::string bytes = broadcast_file(comm, options.weights, "weights file");
    collectively(comm,
                 [&] { load_checkpoint_bytes(bytes, options.weights, *setup.model, nullptr); });
  }
  const RunIdentity identity = run_identity(spec, setup.batch);
  // Before any epoch: the folder is locked and known to be writable, or the run stops here.
  std::string dir;
  std::optional<RunFiles> files;
  collectively(comm, [&] {
    dir = options.out_dir.empty() ? default_run_folder(spec.name) : options.out_dir;
    if (comm.is_root()) files.emplace(dir, identity_metadata(identity));
  });
  TrainingRun run(spec, setup, dir, files ? &*files : nullptr, comm, options);
  if (!options.resume.empty()) run.resume(identity);
  return run.run();
}

}  // namespace gradflow
