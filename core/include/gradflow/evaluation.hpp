// A graph's loss and accuracy over a split of its data set, batch by batch.
#pragma once

#include <gradflow/binding.hpp>

#include <cstdint>
#include <vector>

namespace gradflow {

struct Evaluation {
  double loss = 0;
  double accuracy = 0;             // in [0, 1]; NaN when the graph has no `predict`
  std::vector<int64_t> confusion;  // classes x classes, row = true class
};

// Loss and accuracy over a whole split, in batches of the model's max batch.
Evaluation evaluate(Model& model, const std::vector<Binding>& bindings, const Split& split,
                    int64_t classes, bool with_confusion = false);

// The sums evaluate() divides, over the rows [first, first + count) of `split` only, so that
// processes can evaluate a split in shards and add their sums.
struct EvaluationSums {
  double loss = 0;  // sum over the rows of each row's loss
  int64_t correct = 0;
};
EvaluationSums evaluate_rows(Model& model, const std::vector<Binding>& bindings, const Split& split,
                             int64_t classes, int64_t first, int64_t count,
                             std::vector<int64_t>* confusion = nullptr);
// Mean loss and accuracy from the sums over `rows` rows (NaN accuracy without `predict`).
Evaluation finish_evaluation(const Model& model, const EvaluationSums& sums, int64_t rows);

// The predicted class of row r of the predict output (argmax).
int32_t predicted_class(const Model& model, int64_t row);

}  // namespace gradflow
