// What `train` shows and hears on a terminal: its lines on stdout, the progress bar and the
// resume/interrupt notes on stderr, and Ctrl-C (or SIGTERM), which asks the run to save a
// checkpoint and stop.
#pragma once

#include <gradflow/trainer.hpp>

#include <csignal>
#include <cstdint>
#include <ostream>

namespace gradflow::cli {

// Catches SIGINT and SIGTERM while it lives; the handlers before it come back after.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool requested();

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// One line redrawn in place: "epoch 3 [#####     ] 17%".
class ProgressBar {
 public:
  ProgressBar(std::ostream& log, bool enabled) : log_(log), enabled_(enabled) {}
  void update(int64_t epoch, int64_t done, int64_t total);
  void clear();

 private:
  std::ostream& log_;
  bool enabled_;
  int64_t last_ = -1;
};

// The events of a run that print to `out` (its results) and `log` (notes), draw on `bar` and
// stop on the guard's signal.
TrainEvents console_events(ProgressBar& bar, std::ostream& out, std::ostream& log);

// The lines that end a finished run: the data-parallel cost, then the final accuracies.
void print_run_end(const TrainReport& report, std::ostream& out);

}  // namespace gradflow::cli
