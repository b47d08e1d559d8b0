// The report's decision-boundary frames: a 2-D model's predicted class and confidence on a
// small grid over the data's plane, taken at a few epochs while `train` runs.
#include "report/decision_frames.hpp"

#include <gradflow/evaluation.hpp>
#include <gradflow/inference.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gradflow {

std::vector<int64_t> frame_epochs(int64_t epochs) {
  std::vector<int64_t> chosen;
  if (epochs < 0) return chosen;
  const auto slots = static_cast<int64_t>(kMaxFrames) - 1;
  for (int64_t k = 0; k <= std::min(epochs, slots); ++k) {
    const int64_t e = epochs <= slots ? k : (k * epochs + slots / 2) / slots;
    if (chosen.empty() || chosen.back() != e) chosen.push_back(e);
  }
  return chosen;
}

namespace report {
namespace {

// Confidence of one prediction row in [0, 1]: how far its top probability is above chance.
// Rows that are not a probability distribution (scores) go through a softmax first.
double confidence(const float* row, int64_t k) {
  if (k < 2) return 1.0;
  double sum = 0, top = -INFINITY;
  bool probabilities = true;
  for (int64_t i = 0; i < k; ++i) {
    probabilities = probabilities && row[i] >= 0 && row[i] <= 1;
    sum += row[i];
    top = std::max<double>(top, row[i]);
  }
  if (!std::isfinite(top)) return 0.0;
  double p = top;
  if (!probabilities || std::abs(sum - 1.0) > 1e-3) {
    double denominator = 0;
    for (int64_t i = 0; i < k; ++i) denominator += std::exp(row[i] - top);
    p = 1.0 / denominator;
  }
  const double chance = 1.0 / static_cast<double>(k);
  return std::clamp((p - chance) / (1.0 - chance), 0.0, 1.0);
}

}  // namespace

DecisionFrames frame_plane(const Dataset& data) {
  DecisionFrames f;
  f.grid = kFrameGrid;
  f.classes = data.classes;
  f.x_min = f.y_min = INFINITY;
  f.x_max = f.y_max = -INFINITY;
  for (const Split* split : {&data.train, &data.test})
    for (int64_t i = 0; i < split->size; ++i) {
      const float x = split->feature(2 * i), y = split->feature(2 * i + 1);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      f.x_min = std::min<double>(f.x_min, x);
      f.x_max = std::max<double>(f.x_max, x);
      f.y_min = std::min<double>(f.y_min, y);
      f.y_max = std::max<double>(f.y_max, y);
    }
  if (!(f.x_min <= f.x_max)) f.x_min = -1, f.x_max = 1;
  if (!(f.y_min <= f.y_max)) f.y_min = -1, f.y_max = 1;
  const double pad_x = 0.1 * (f.x_max - f.x_min) + 1e-3, pad_y = 0.1 * (f.y_max - f.y_min) + 1e-3;
  f.x_min -= pad_x, f.x_max += pad_x, f.y_min -= pad_y, f.y_max += pad_y;
  // Every point of a small set; an even sample of a large one.
  const int64_t total = data.train.size + data.test.size;
  const int64_t stride = std::max<int64_t>(1, (total + kMaxFramePoints - 1) / kMaxFramePoints);
  for (int64_t i = 0; i < total; i += stride) {
    const bool test = i >= data.train.size;
    const Split& s = test ? data.test : data.train;
    const int64_t row = test ? i - data.train.size : i;
    f.points.push_back({s.feature(2 * row), s.feature(2 * row + 1), s.labels[row], test});
  }
  return f;
}

std::vector<uint8_t> take_frame(Model& model, const std::vector<Binding>& bindings,
                                const DecisionFrames& f) {
  const Split grid = grid_split({f.x_min, f.x_max, f.y_min, f.y_max, f.grid, f.grid});
  std::vector<uint8_t> cells;
  const Value& predict = model.values()[model.predict_value()];
  infer_split(model, bindings, grid, f.classes, [&](int64_t, int64_t count) {
    const int64_t k = predict.data.sample_size();
    for (int64_t r = 0; r < count; ++r) {
      const int32_t label = std::clamp<int32_t>(predicted_class(model, r), 0, 15);
      const double strength = confidence(predict.data.data() + r * k, k);
      cells.push_back(static_cast<uint8_t>(label * 16 + std::lround(strength * 15)));
    }
  });
  return cells;
}

}  // namespace report
}  // namespace gradflow
