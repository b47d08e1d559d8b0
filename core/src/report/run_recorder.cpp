// What `train` leaves in the run folder for report.html, and the page itself.
#include <gradflow/atomic_file.hpp>
#include <gradflow/dot.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/explain.hpp>
#include <gradflow/run_report.hpp>

#include "report/decision_frames.hpp"
#include "report/report_files.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

namespace gradflow {
namespace {

// Image data: [C, H, W] with 1 or 3 channels, [H, W], or a flat square of at least 8 x 8.
bool image_layout(const std::vector<int64_t>& shape, report::EvaluationRecord& e) {
  if (shape.size() == 3 && (shape[0] == 1 || shape[0] == 3)) {
    e.channels = shape[0], e.height = shape[1], e.width = shape[2];
  } else if (shape.size() == 2) {
    e.channels = 1, e.height = shape[0], e.width = shape[1];
  } else if (shape.size() == 1 && shape[0] >= 64) {
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(shape[0]))));
    if (side * side != shape[0]) return false;
    e.channels = 1, e.height = side, e.width = side;
  } else {
    return false;
  }
  return e.height >= 1 && e.width >= 1 && e.height <= 512 && e.width <= 512;
}

// Pixels as bytes: features in [0, 1] are scaled by 255, others stretched to their range.
std::vector<uint8_t> image_bytes(const Split& split, int64_t row) {
  std::vector<float> values(static_cast<size_t>(split.feature_size()));
  split.copy_features(row, values.data());
  float lo = 0, hi = 1;
  for (float v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  std::vector<uint8_t> bytes;
  for (float v : values)
    bytes.push_back(
        static_cast<uint8_t>(std::lround(std::isfinite(v) ? 255.0 * (v - lo) / (hi - lo) : 0.0)));
  return bytes;
}

report::EvaluationRecord evaluate_test(Model& model, const std::vector<Binding>& bindings,
                                       const Dataset& data) {
  report::EvaluationRecord e;
  e.classes = data.classes;
  e.class_names = data.class_names;
  if (model.predict_value() < 0 || data.classes < 1) return e;
  e.confusion.assign(static_cast<size_t>(data.classes * data.classes), 0);
  const bool images = image_layout(data.test.feature_shape, e);
  const Split& test = data.test;
  std::vector<int64_t> order(static_cast<size_t>(test.size));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t begin = 0; begin < test.size; begin += model.max_batch()) {
    const int64_t count = std::min(model.max_batch(), test.size - begin);
    load_batch(model, bindings, test, data.classes, order.data() + begin, count);
    model.forward(count);
    for (int64_t r = 0; r < count; ++r) {
      const int32_t guess = predicted_class(model, r), truth = test.labels[begin + r];
      if (guess < data.classes) ++e.confusion[truth * data.classes + guess];
      if (images && guess != truth && e.misclassified.size() < kMaxMisclassifiedImages)
        e.misclassified.push_back({begin + r, truth, guess, image_bytes(test, begin + r)});
    }
  }
  if (!images) e.channels = e.height = e.width = 0;
  return e;
}

}  // namespace

RunRecorder::RunRecorder(std::string dir, Model& model, const std::vector<Binding>& bindings,
                         const Dataset& data)
    : dir_(std::move(dir)), model_(model), bindings_(bindings), data_(data) {
  two_d_ = data.train.feature_shape == std::vector<int64_t>{2} && model.predict_value() >= 0;
  if (two_d_) frames_ = report::frame_plane(data);
}

void RunRecorder::record_epoch(int64_t epoch, int64_t total_epochs) {
  if (!two_d_) return;
  const std::vector<int64_t> due = frame_epochs(total_epochs);
  if (!std::binary_search(due.begin(), due.end(), epoch)) return;
  frames_.epochs.push_back(epoch);
  frames_.cells.push_back(report::take_frame(model_, bindings_, frames_));
}

void RunRecorder::resume_at(int64_t epoch) {
  const std::string path = dir_ + "/frames.json";
  if (!two_d_ || !std::filesystem::exists(path)) return;
  try {
    DecisionFrames earlier = report::parse_frames_json(read_file(path), path);
    if (earlier.grid != frames_.grid || earlier.x_min != frames_.x_min) return;
    for (size_t i = 0; i < earlier.epochs.size(); ++i) {
      if (earlier.epochs[i] > epoch) break;
      frames_.epochs.push_back(earlier.epochs[i]);
      frames_.cells.push_back(std::move(earlier.cells[i]));
    }
  } catch (const InputError&) {
    // Frames are a picture, not the run's state: a damaged file only loses the early frames.
  }
}

void RunRecorder::finish(const RunSettings& settings_in, const std::vector<EpochMetrics>& history,
                         double seconds) {
  RunSettings settings = settings_in;
  settings.parameters = 0;
  for (const auto& p : model_.parameters())
    settings.parameters +=
        std::accumulate(p.shape.begin(), p.shape.end(), int64_t{1}, std::multiplies<int64_t>());
  if (two_d_) write_file_atomically(dir_ + "/frames.json", report::frames_json(frames_));
  write_file_atomically(dir_ + "/evaluation.json",
                        report::evaluation_json(evaluate_test(model_, bindings_, data_)));
  write_file_atomically(dir_ + "/graph.dot", to_dot(model_));
  write_file_atomically(dir_ + "/explain.json", explain_json(explain_model(model_)));
  RunRecord record{settings, history.empty() ? EpochMetrics{} : history.back(), seconds};
  write_file_atomically(dir_ + "/run.json", report::run_json(record));
  write_report(dir_);
}

}  // namespace gradflow
