// The graph run forward over a whole split, batch by batch: the one loop behind evaluation,
// decision maps and report frames.
#pragma once

#include <gradflow/binding.hpp>

#include <cstdint>
#include <functional>

namespace gradflow {

// The batch the buffers are planned for when a split of `rows` samples is run forward: whole,
// up to 1,000 samples (more would cost memory and gain no speed).
inline int64_t inference_batch(int64_t rows) {
  return rows < 1 ? 1 : rows < 1000 ? rows : 1000;
}

// After each batch, visit(first, count) reads rows [0, count) of the outputs: samples
// first .. first + count - 1 of `split`, in order. Batches are the model's max batch.
using BatchVisitor = std::function<void(int64_t first, int64_t count)>;
void infer_split(Model& model, const std::vector<Binding>& bindings, const Split& split,
                 int64_t classes, const BatchVisitor& visit);
// The same over samples first .. first + count - 1 only (one process's shard of a split).
void infer_rows(Model& model, const std::vector<Binding>& bindings, const Split& split,
                int64_t classes, int64_t first, int64_t count, const BatchVisitor& visit);

// The 2-D area a decision map covers, cut into cells_x × cells_y cells.
struct GridArea {
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  int64_t cells_x = 1, cells_y = 1;
};

// The cells' centres as a split of 2-D points, row by row from y_min, so that the graph
// classifies the plane like any data.
Split grid_split(const GridArea& area);

}  // namespace gradflow
