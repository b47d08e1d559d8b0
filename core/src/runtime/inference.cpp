#include <gradflow/inference.hpp>

#include <algorithm>
#include <numeric>

namespace gradflow {

void infer_rows(Model& model, const std::vector<Binding>& bindings, const Split& split,
                int64_t classes, int64_t first, int64_t count, const BatchVisitor& visit) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), first);
  for (int64_t begin = 0; begin < count; begin += model.max_batch()) {
    const int64_t rows = std::min(model.max_batch(), count - begin);
    load_batch(model, bindings, split, classes, order.data() + begin, rows);
    model.forward(rows);
    visit(first + begin, rows);
  }
}

void infer_split(Model& model, const std::vector<Binding>& bindings, const Split& split,
                 int64_t classes, const BatchVisitor& visit) {
  infer_rows(model, bindings, split, classes, 0, split.size, visit);
}

Split grid_split(const GridArea& a) {
  Split grid;
  grid.feature_shape = {2};
  grid.size = a.cells_x * a.cells_y;
  grid.labels.assign(static_cast<size_t>(grid.size), 0);
  grid.x.reserve(static_cast<size_t>(2 * grid.size));
  for (int64_t r = 0; r < a.cells_y; ++r)
    for (int64_t c = 0; c < a.cells_x; ++c) {
      grid.x.push_back(static_cast<float>(a.x_min + (c + 0.5) * (a.x_max - a.x_min) / a.cells_x));
      grid.x.push_back(static_cast<float>(a.y_min + (r + 0.5) * (a.y_max - a.y_min) / a.cells_y));
    }
  return grid;
}

}  // namespace gradflow
