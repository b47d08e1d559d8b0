#include "console_events.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <string>

namespace gradflow::cli {
namespace {

std::atomic<bool> g_interrupted{false};

std::string percent(double accuracy) {
  return std::isnan(accuracy) ? std::string("   n/a") : fmt::format("{:6.2f}%", 100 * accuracy);
}

extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_int_);
  ::sigaction(SIGTERM, &action, &previous_term_);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &previous_int_, nullptr);
  ::sigaction(SIGTERM, &previous_term_, nullptr);
}

bool InterruptGuard::requested() {
  return g_interrupted.load();
}

void ProgressBar::update(int64_t epoch, int64_t done, int64_t total) {
  if (!enabled_ || total <= 0) return;
  const int64_t percent = done * 100 / total;
  if (percent == last_) return;
  last_ = percent;
  const int filled = static_cast<int>(percent * 30 / 100);
  log_ << fmt::format("\repoch {:>4} [{:<30}] {:>3}%", epoch, std::string(filled, '#'), percent)
       << std::flush;
}

void ProgressBar::clear() {
  if (enabled_ && last_ >= 0) log_ << "\r" << std::string(48, ' ') << "\r" << std::flush;
  last_ = -1;
}

TrainEvents console_events(ProgressBar& bar, std::ostream& out, std::ostream& log) {
  TrainEvents events;
  events.started = [&out](const RunStart& r) {
    out << fmt::format(
        "training {} on {}: {} train / {} test samples, batch {}, {} epochs, {} lr {}\n", r.graph,
        r.dataset, r.train_samples, r.test_samples, r.batch, r.epochs, r.optimizer, r.lr);
  };
  events.resumed = [&log](const std::string& checkpoint, int64_t epoch, int64_t step) {
    log << fmt::format("resuming from {} at epoch {}, step {}\n", checkpoint, epoch, step);
  };
  events.progress = [&bar](int64_t epoch, int64_t done, int64_t total) {
    bar.update(epoch, done, total);
  };
  events.epoch_done = [&bar, &out](const EpochMetrics& m, int64_t epochs) {
    bar.clear();
    out << fmt::format(
               "epoch {:>4}/{}  train loss {:.4f} acc {}  test loss {:.4f} acc {}  ({:.2f} s)\n",
               m.epoch, epochs, m.train_loss, percent(m.train_accuracy), m.test_loss,
               percent(m.test_accuracy), m.seconds)
        << std::flush;
  };
  events.interrupted = [&bar, &log](const Interruption& i) {
    bar.clear();
    log << fmt::format(
        "interrupted in epoch {} at step {}: checkpoint saved to {}\ncontinue with: {}\n", i.epoch,
        i.step, i.checkpoint, i.continue_with);
  };
  events.before_fault = [&bar] { bar.clear(); };
  events.stop_requested = [] { return InterruptGuard::requested(); };
  return events;
}

void print_run_end(const TrainReport& report, std::ostream& out) {
  if (report.exchange)
    out << fmt::format(
        "data parallel over {} processes: the gradient sum took {:.1f} us per step, {:.1f} % of "
        "the step\n",
        report.exchange->processes, 1e6 * report.exchange->seconds_per_step,
        100 * report.exchange->share_of_step);
  if (report.history.empty()) return;
  const auto& last = report.history.back();
  out << fmt::format("final: train accuracy {}  test accuracy {}  -> {}\n",
                     percent(last.train_accuracy), percent(last.test_accuracy), report.out_dir);
}

}  // namespace gradflow::cli
