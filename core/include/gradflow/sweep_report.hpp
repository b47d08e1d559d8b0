// The files of `graph-runner sweep`: sweep.csv (one row per run), sweep.svg (final test
// accuracy against each swept value, mean and spread over seeds; every run's loss curve) and
// sweep.html (both, with a link to each run's report.html).
#pragma once

#include <gradflow/plots.hpp>
#include <gradflow/run_report.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

struct SweepRun {
  std::vector<std::string> values;  // one per swept key
  uint64_t seed = 0;
  std::string dir;     // the run's folder, relative to the sweep folder
  std::string status;  // "ok", "failed (exit 2)", "not run"
  std::optional<RunRecord> record;
  std::vector<EpochMetrics> history;
};

struct SweepResults {
  std::string graph_path;
  std::string command;            // the command line, to show how to reproduce the sweep
  std::vector<std::string> keys;  // as given to --set
  std::vector<std::vector<std::string>> values;  // per key, in the order given
  std::optional<double> target;                  // --target test accuracy in [0, 1]
  std::vector<SweepRun> runs;
};

// The first epoch whose test accuracy reached `target`, if any.
std::optional<int64_t> epochs_to_target(const std::vector<EpochMetrics>& history, double target);

std::string sweep_csv(const SweepResults& sweep);

// One line per combination of swept values, over the seeds: mean test accuracy and its range,
// mean test loss, how many runs reached --target and their mean epochs, mean seconds. As a
// Markdown table (printed by the sweep) and as HTML (in sweep.html).
std::string sweep_summary_markdown(const SweepResults& sweep);
std::string render_sweep_svg(const SweepResults& sweep);
std::string render_sweep_html(const SweepResults& sweep, const std::string& svg);

// sweep.csv, sweep.svg and sweep.html in `dir`, each replaced atomically.
void write_sweep_files(const std::string& dir, const SweepResults& sweep);

}  // namespace gradflow
