// report.html: one self-contained page per run folder (settings, final numbers, the graph,
// curves, the decision boundary at chosen epochs with a slider, the confusion matrix,
// misclassified test images, the formulas). `train` records what the page needs into the
// folder (run.json, frames.json, evaluation.json, graph.dot, explain.json) and writes the page;
// `graph-runner report DIR` rebuilds it from those files alone.
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/plots.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

// What a run was trained with, as run.json keeps it.
struct RunSettings {
  std::string graph_name, graph_path, description;
  std::string dataset;
  int64_t train_size = 0, test_size = 0, classes = 0;
  std::vector<int64_t> feature_shape;
  int64_t batch = 0;  // samples per step (the whole set for batch_size: full)
  bool full_batch = false;
  int64_t epochs = 0;
  std::string optimizer;
  double lr = 0;
  uint64_t seed = 0;
  int threads = 1;
  int64_t parameters = 0;              // trainable values
  std::vector<std::string> overrides;  // --set KEY=VALUE
};

// run.json: the settings and the final numbers; written last, so a folder that has it holds a
// finished run.
struct RunRecord {
  RunSettings settings;
  EpochMetrics final_metrics;
  double seconds = 0;  // wall time of the training loop
};

// Reads DIR/run.json and DIR/metrics.csv; InputError if either is missing or malformed.
RunRecord read_run_record(const std::string& dir);
std::vector<EpochMetrics> read_run_history(const std::string& dir);

// A 2-D model's predictions on a grid over the data's plane, at chosen epochs.
struct DecisionFrames {
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  int64_t grid = 0;  // cells per side
  int64_t classes = 0;
  std::vector<int64_t> epochs;
  // Per frame grid * grid bytes, row 0 at y_min: predicted class * 16 + confidence (0..15).
  std::vector<std::vector<uint8_t>> cells;
  std::vector<PlotPoint> points;  // train and test points, at most kMaxFramePoints
};

inline constexpr int64_t kFrameGrid = 50;
inline constexpr size_t kMaxFrames = 41;
inline constexpr size_t kMaxFramePoints = 2000;
inline constexpr size_t kMaxMisclassifiedImages = 48;

// The epochs at which frames are taken: every epoch up to kMaxFrames - 1 epochs, else
// kMaxFrames evenly spread ones; always 0 (before training) and the last.
std::vector<int64_t> frame_epochs(int64_t epochs);

// Records a run's report files while `train` runs and writes them at the end.
class RunRecorder {
 public:
  RunRecorder(std::string dir, Model& model, const std::vector<Binding>& bindings,
              const Dataset& data);
  // Takes a frame if `epoch` is one of frame_epochs(total_epochs) (2-D inputs only).
  void record_epoch(int64_t epoch, int64_t total_epochs);
  // A resumed run keeps the frames the folder already holds up to `epoch`.
  void resume_at(int64_t epoch);
  // frames.json, evaluation.json, graph.dot, explain.json, run.json (last), report.html.
  void finish(const RunSettings& settings, const std::vector<EpochMetrics>& history,
              double seconds);

 private:
  std::string dir_;
  Model& model_;
  const std::vector<Binding>& bindings_;
  const Dataset& data_;
  bool two_d_ = false;
  DecisionFrames frames_;
};

// (Re)builds DIR/report.html from the folder's files. Throws InputError for a folder that is
// not a finished run or holds malformed files.
void write_report(const std::string& dir);

}  // namespace gradflow
