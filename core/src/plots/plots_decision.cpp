#include <gradflow/plots.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "plots/svg_writer.hpp"

namespace gradflow {
namespace {

constexpr double kWidth = 640, kHeight = 560;
constexpr double kLeft = 70, kTop = 50, kSize = 440;
constexpr double kLegendLeft = kLeft + kSize + 24;
constexpr size_t kLegendClasses = 10;
constexpr size_t kMaxDrawnPoints = 20000;

// Pale region colours with a matching strong colour per class, so a point of class k stands
// out on its own region and on every other one.
constexpr std::array<const char*, 10> kLight = {"#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                                "#c5b0d5", "#c49c94", "#f7b6d2", "#d9d9d9",
                                                "#dbdb8d", "#9edae5"};
constexpr std::array<const char*, 10> kDark = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                               "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                               "#bcbd22", "#17becf"};
// Labels below zero are no class at all (e.g. "unknown"); they get a neutral grey.
constexpr const char* kNoClassLight = "#f0f0f0";
constexpr const char* kNoClassDark = "#404040";

const char* light(int64_t label) {
  return label < 0 ? kNoClassLight : kLight[label % 10];
}
const char* dark(int64_t label) {
  return label < 0 ? kNoClassDark : kDark[label % 10];
}

// Cell edges are rounded once, so neighbouring rectangles share an edge exactly and the picture
// shows no hairline seams.
double snap(double v) {
  return std::round(v * 100) / 100;
}

void draw_grid(svg::Writer& svg, const DecisionPlot& plot) {
  if (plot.grid_w == 0 || plot.grid_h == 0) return;
  const double cell_w = kSize / static_cast<double>(plot.grid_w);
  const double cell_h = kSize / static_cast<double>(plot.grid_h);
  svg.raw("<g shape-rendering=\"crispEdges\">\n");
  for (int64_t row = 0; row < plot.grid_h; ++row) {
    // Row 0 is y_min, which sits at the bottom of the picture.
    const double y0 = snap(kTop + kSize - static_cast<double>(row + 1) * cell_h);
    const double y1 = snap(kTop + kSize - static_cast<double>(row) * cell_h);
    const int32_t* labels = plot.grid_labels.data() + row * plot.grid_w;
    int64_t start = 0;
    // One rectangle per run of equal cells keeps a 100x100 grid to a few hundred elements.
    for (int64_t col = 1; col <= plot.grid_w; ++col) {
      if (col < plot.grid_w && labels[col] == labels[start]) continue;
      const double x0 = snap(kLeft + static_cast<double>(start) * cell_w);
      const double x1 = snap(kLeft + static_cast<double>(col) * cell_w);
      svg.rect(x0, y0, x1 - x0, y1 - y0, fmt::format("fill=\"{}\"", light(labels[start])));
      start = col;
    }
  }
  svg.raw("</g>\n");
}

void draw_legend(svg::Writer& svg, int64_t classes) {
  double y = kTop + 10;
  const auto shown = static_cast<int64_t>(
      std::min<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(classes, 0)), kLegendClasses));
  for (int64_t c = 0; c < shown; ++c) {
    svg.rect(kLegendLeft, y - 8, 16, 16, fmt::format("fill=\"{}\"", light(c)));
    svg.circle(kLegendLeft + 8, y, 4, fmt::format("fill=\"{}\"", dark(c)));
    svg.text(kLegendLeft + 24, y + 4, fmt::format("class {}", c), "start", 12);
    y += 22;
  }
  if (classes > shown) {
    svg.text(kLegendLeft, y + 4, "(colours repeat)", "start", 11);
    y += 22;
  }
  y += 10;
  svg.circle(kLegendLeft + 8, y, 4, "fill=\"#404040\" stroke=\"#ffffff\" stroke-width=\"0.8\"");
  svg.text(kLegendLeft + 24, y + 4, "train", "start", 12);
  y += 22;
  svg.circle(kLegendLeft + 8, y, 4, "fill=\"none\" stroke=\"#404040\" stroke-width=\"1.6\"");
  svg.text(kLegendLeft + 24, y + 4, "test", "start", 12);
}

}  // namespace

std::string render_decision_svg(const DecisionPlot& plot) {
  uint64_t cells = 0;
  if (plot.grid_w < 0 || plot.grid_h < 0 ||
      __builtin_mul_overflow(static_cast<uint64_t>(plot.grid_w), static_cast<uint64_t>(plot.grid_h),
                             &cells) ||
      cells != plot.grid_labels.size()) {
    throw std::invalid_argument(
        fmt::format("decision plot: grid {}x{} does not match its {} labels", plot.grid_w,
                    plot.grid_h, plot.grid_labels.size()));
  }
  // Without expansion the axes span exactly the sampled plane (only degenerate ranges change).
  const svg::Axis x_axis = svg::nice_axis(plot.x_min, plot.x_max, 6, false);
  const svg::Axis y_axis = svg::nice_axis(plot.y_min, plot.y_max, 6, false);
  const double bottom = kTop + kSize;
  auto px = [&](double x) { return kLeft + (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * kSize; };
  auto py = [&](double y) { return bottom - (y - y_axis.lo) / (y_axis.hi - y_axis.lo) * kSize; };

  svg::Writer svg(kWidth, kHeight);
  svg.rect(0, 0, kWidth, kHeight, "fill=\"#ffffff\"");
  svg.text(kLeft + kSize / 2, 30, plot.title, "middle", 16);
  svg.raw(fmt::format(
      "<defs><clipPath id=\"plot-area\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>"
      "</clipPath></defs>\n",
      svg::num(kLeft), svg::num(kTop), svg::num(kSize), svg::num(kSize)));
  draw_grid(svg, plot);

  // Points outside the plane are clipped rather than dropped. Beyond kMaxDrawnPoints every
  // stride-th point is drawn, and the picture says so: millions of circles would make a file
  // of gigabytes that no viewer opens, and hide the regions anyway.
  const size_t stride = (plot.points.size() + kMaxDrawnPoints - 1) / kMaxDrawnPoints;
  svg.raw("<g clip-path=\"url(#plot-area)\">\n");
  for (size_t i = 0; i < plot.points.size(); i += std::max<size_t>(stride, 1)) {
    const PlotPoint& p = plot.points[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const char* colour = dark(p.label);
    // Far-away points are clipped anyway; clamping keeps their coordinates short.
    const double x = std::clamp(px(p.x), -1e4, 1e4), y = std::clamp(py(p.y), -1e4, 1e4);
    svg.circle(x, y, 4,
               p.test ? fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"", colour)
                      : fmt::format("fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.8\"", colour));
  }
  svg.raw("</g>\n");

  svg.rect(kLeft, kTop, kSize, kSize, "fill=\"none\" stroke=\"#444444\"");
  for (double t : x_axis.ticks) {
    svg.line(px(t), bottom, px(t), bottom + 5, "stroke=\"#444444\"");
    svg.text(px(t), bottom + 18, svg::tick_label(t, x_axis.decimals), "middle", 11);
  }
  for (double t : y_axis.ticks) {
    svg.line(kLeft - 5, py(t), kLeft, py(t), "stroke=\"#444444\"");
    svg.text(kLeft - 8, py(t) + 4, svg::tick_label(t, y_axis.decimals), "end", 11);
  }
  svg.text(kLeft + kSize / 2, bottom + 40, "x", "middle", 13);
  svg.text(kLeft - 48, kTop + kSize / 2, "y", "middle", 13, -90);
  draw_legend(svg, plot.classes);
  if (stride > 1)
    svg.text(kLeft + kSize, kHeight - 8,
             fmt::format("points: 1 in {} of {} drawn", stride, plot.points.size()), "end", 11);
  return svg.finish();
}

}  // namespace gradflow
