#include <gradflow/binding.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gradflow {

std::string data_field(const std::map<std::string, std::string>& bind, const std::string& input) {
  auto it = bind.find(input);
  return it != bind.end() ? it->second : input;
}

std::vector<Binding> bind_inputs(const Model& model, const Dataset& data,
                                 const std::map<std::string, std::string>& bind) {
  DiagnosticList diags;
  std::vector<Binding> out;
  const GraphSpec& spec = model.spec();
  for (const auto& input : spec.inputs) {
    const std::string field = data_field(bind, input.name);
    Binding b;
    b.value = model.input_value(input.name);
    std::vector<int64_t> expected;
    if (field == "x") {
      b.field = Field::kFeatures;
      expected = data.train.feature_shape;
    } else if (field == "y") {
      b.field = Field::kOneHot;
      expected = {data.classes};
    } else if (field == "label") {
      b.field = Field::kLabel;
      expected = {1};
    } else {
      diags.error(input.where, "graph input '" + input.name + "' has no data field to read: " +
                                   "name it x, y or label, or map it with train.data.bind");
      continue;
    }
    auto total = [](const std::vector<int64_t>& s) {
      return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
    };
    if (total(expected) != total(input.shape) ||
        (input.shape.size() == expected.size() && input.shape != expected)) {
      diags.error(input.where, "graph input '" + input.name + "' has shape " +
                                   shape_to_string(input.shape) + " but data set '" + data.name +
                                   "' gives " + field + " of shape " + shape_to_string(expected));
      continue;
    }
    out.push_back(b);
  }
  diags.throw_if_any();
  return out;
}

void load_batch(Model& model, const std::vector<Binding>& bindings, const Split& split,
                int64_t classes, const int64_t* order, int64_t count) {
  const int64_t features = split.feature_size();
  bool consecutive = true;
  for (int64_t i = 1; i < count && consecutive; ++i) consecutive = order[i] == order[0] + i;
  for (const Binding& b : bindings) {
    Value& v = model.values()[b.value];
    v.external = nullptr;
    float* dst = v.data.data();
    switch (b.field) {
      case Field::kFeatures:
        // Consecutive float rows are read in place; byte rows always need converting.
        if (consecutive && split.has_float_features()) {
          v.external = split.x.data() + order[0] * features;
          break;
        }
        split.gather_features(order, count, dst);
        break;
      case Field::kOneHot:
        std::fill_n(dst, count * classes, 0.0f);
        for (int64_t i = 0; i < count; ++i) dst[i * classes + split.labels[order[i]]] = 1.0f;
        break;
      case Field::kLabel:
        for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(split.labels[order[i]]);
        break;
    }
  }
}

}  // namespace gradflow
