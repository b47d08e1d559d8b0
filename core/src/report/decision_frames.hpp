// Taking the report's decision-boundary frames (see DecisionFrames in run_report.hpp).
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/run_report.hpp>

#include <cstdint>
#include <vector>

namespace gradflow::report {

// The plane (the data's bounding box plus a margin), the grid size and the points to draw,
// without frames yet. `data` has 2-D features.
DecisionFrames frame_plane(const Dataset& data);

// The model's predictions on the grid of `f`: one byte per cell, class * 16 + confidence
// (0..15); classes above 15 are drawn as 15. Runs the model in evaluation mode.
std::vector<uint8_t> take_frame(Model& model, const std::vector<Binding>& bindings,
                                const DecisionFrames& f);

}  // namespace gradflow::report
