#include <gradflow/evaluation.hpp>
#include <gradflow/inference.hpp>

#include <algorithm>
#include <limits>
#include <vector>

namespace gradflow {

int32_t predicted_class(const Model& model, int64_t row) {
  const Value& v = model.values()[model.predict_value()];
  int64_t k = v.data.sample_size();
  const float* p = v.data.data() + row * k;
  return static_cast<int32_t>(std::max_element(p, p + k) - p);
}

EvaluationSums evaluate_rows(Model& model, const std::vector<Binding>& bindings, const Split& split,
                             int64_t classes, int64_t first, int64_t count,
                             std::vector<int64_t>* confusion) {
  EvaluationSums sums;
  const bool has_predict = model.predict_value() >= 0;
  infer_rows(model, bindings, split, classes, first, count, [&](int64_t at, int64_t rows) {
    sums.loss += model.loss() * static_cast<double>(rows);
    if (!has_predict) return;
    for (int64_t r = 0; r < rows; ++r) {
      const int32_t guess = predicted_class(model, r);
      const int32_t truth = split.labels[at + r];
      sums.correct += guess == truth;
      if (confusion && guess < classes) (*confusion)[truth * classes + guess]++;
    }
  });
  return sums;
}

Evaluation evaluate(Model& model, const std::vector<Binding>& bindings, const Split& split,
                    int64_t classes, bool with_confusion) {
  std::vector<int64_t> confusion;
  if (with_confusion) confusion.assign(static_cast<size_t>(classes * classes), 0);
  EvaluationSums sums = evaluate_rows(model, bindings, split, classes, 0, split.size,
                                      with_confusion ? &confusion : nullptr);
  Evaluation e = finish_evaluation(model, sums, split.size);
  e.confusion = std::move(confusion);
  return e;
}

Evaluation finish_evaluation(const Model& model, const EvaluationSums& sums, int64_t rows) {
  Evaluation e;
  double n = static_cast<double>(std::max<int64_t>(rows, 1));
  e.loss = sums.loss / n;
  e.accuracy = model.predict_value() >= 0 ? static_cast<double>(sums.correct) / n
                                          : std::numeric_limits<double>::quiet_NaN();
  return e;
}

}  // namespace gradflow
