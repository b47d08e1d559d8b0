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

// The data field ("x", "y", "label") a graph input reads: its train.data.bind entry, else its
// own name.
std::string data_field(const std::map<std::string, std::string>& bind, const std::string& input);

// Matches every graph input to "x", "y" or "label" (by name, or through train.data.bind) and
// checks shapes. Throws InputError naming the input, the field and both shapes.
std::vector<Binding> bind_inputs(const Model& model, const Dataset& data,
                                 const std::map<std::string, std::string>& bind);

// Fills the bound inputs with the samples order[begin, begin + count) of `split`. When the
// rows are consecutive in the data set, features are read in place without a copy.
void load_batch(Model& model, const std::vector<Binding>& bindings, const Split& split,
                int64_t classes, const int64_t* order, int64_t count);

}  // namespace gradflow
