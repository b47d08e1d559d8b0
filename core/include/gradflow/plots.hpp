// SVG pictures written after training: learning curves and the practical's decision-boundary
// grid plot. Self-contained SVG text, no external fonts or scripts.
#pragma once

#include <gradflow/epoch_metrics.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

// Two panels: loss (train and test) and accuracy (train and test) against epoch, with axes,
// tick labels and a legend.
std::string render_curves_svg(const std::vector<EpochMetrics>& history, const std::string& title);

struct PlotPoint {
  float x = 0, y = 0;
  int32_t label = 0;
  bool test = false;  // drawn hollow
};

// The plane [x_min,x_max] x [y_min,y_max] sampled on a grid_w x grid_h grid; grid_labels holds
// the predicted class of each cell, row-major from y_min upwards. Points are drawn on top: all
// of them up to 20,000, beyond that every k-th (a note in the picture says so).
struct DecisionPlot {
  double x_min = -1, x_max = 1, y_min = -1, y_max = 1;
  int64_t grid_w = 0, grid_h = 0;
  std::vector<int32_t> grid_labels;
  std::vector<PlotPoint> points;
  int64_t classes = 2;
  std::string title;
};

std::string render_decision_svg(const DecisionPlot& plot);

}  // namespace gradflow
