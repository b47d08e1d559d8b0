#include "console_events.hpp"

#include <fmt/format.h>

#include <atomic>
#include <string>

namespace gradflow::cli {
namespace {

std::atomic<bool> g_interrupted{false};

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

TrainEvents console_events(ProgressBar& bar) {
  TrainEvents events;
  events.progress = [&bar](int64_t epoch, int64_t done, int64_t total) {
    bar.update(epoch, done, total);
  };
  events.before_line = [&bar] { bar.clear(); };
  events.stop_requested = [] { return InterruptGuard::requested(); };
  return events;
}

}  // namespace gradflow::cli
