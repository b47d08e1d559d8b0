// Binds a data set's fields to a graph's inputs and copies batches of samples into them.
#pragma once

#include <gradflow/model.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gradflow {

enum class Field { kFeatures, kOneHot, kLabel };

struct Binding {
  int value = -1;  // graph input value index
  Field field = Field::kFeatures;
};

// Matches every graph input to "x", "y" or "label" (by name, or through train.data.bind) and
// checks shapes. Throws InputError naming the input, the field and both shapes.
std::vector<Binding> bind_inputs(const Model& model, const Dataset& data,
                                 const std::map<std::string, std::string>& bind);

// Fills the bound inputs with the samples order[begin, begin + count) of `split`. When the
// rows are consecutive in the data set, features are read in place without a copy.
void load_batch(Model& model, const std::vector<Binding>& bindings, const Split& split,
                int64_t classes, const int64_t* order, int64_t count);

struct Evaluation {
  double loss = 0;
  double accuracy = 0;             // in [0, 1]; NaN when the graph has no `predict`
  std::vector<int64_t> confusion;  // classes x classes, row = true class
};

// Loss and accuracy over a whole split, in batches of the model's max batch.
Evaluation evaluate(Model& model, const std::vector<Binding>& bindings, const Split& split,
                    int64_t classes, bool with_confusion = false);

// The predicted class of row r of the predict output (argmax).
int32_t predicted_class(const Model& model, int64_t row);

}  // namespace gradflow
