#include <gradflow/plots.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "plots/svg_writer.hpp"

namespace gradflow {
namespace {

constexpr double kWidth = 960, kHeight = 420;
constexpr double kPlotTop = 84, kPlotHeight = 262;
constexpr double kPlotWidth = 370, kFirstPanelLeft = 80, kPanelPitch = 470;
constexpr const char* kTrainColour = "#1f77b4";
constexpr const char* kTestColour = "#d62728";
// Beyond this many epochs markers would merge into a smear; lines alone read better.
constexpr size_t kMaxMarkedEpochs = 40;

struct Series {
  const char* colour;
  std::vector<std::pair<double, double>> points;  // (epoch, value), NaN where missing
};

struct Panel {
  const char* name;
  Series train, test;
  bool unit_range;  // accuracy: always show 0..1 so panels of different runs compare
};

void draw_panel(svg::Writer& svg, const Panel& panel, double left, const svg::Axis& x_axis) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const Series* s : {&panel.train, &panel.test}) {
    for (const auto& [epoch, value] : s->points) {
      if (!std::isfinite(value)) continue;
      lo = std::min(lo, value);
      hi = std::max(hi, value);
    }
  }
  const bool has_data = lo <= hi;
  if (!has_data) lo = 0, hi = 1;
  // Losses and accuracies are non-negative; anchoring the axis at zero shows their real size.
  lo = std::min(lo, 0.0);
  if (panel.unit_range) hi = std::max(hi, 1.0);
  const svg::Axis y_axis = svg::nice_axis(lo, hi, 5, true);

  const double bottom = kPlotTop + kPlotHeight;
  auto px = [&](double x) { return left + (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * kPlotWidth; };
  auto py = [&](double y) {
    y = std::clamp(y, y_axis.lo, y_axis.hi);
    return bottom - (y - y_axis.lo) / (y_axis.hi - y_axis.lo) * kPlotHeight;
  };

  svg.rect(left, kPlotTop, kPlotWidth, kPlotHeight, "fill=\"#ffffff\" stroke=\"#888888\"");
  for (double t : y_axis.ticks) {
    const double y = py(t);
    svg.line(left, y, left + kPlotWidth, y, "stroke=\"#e5e5e5\"");
    svg.line(left - 5, y, left, y, "stroke=\"#444444\"");
    svg.text(left - 8, y + 4, svg::tick_label(t, y_axis.decimals), "end", 11);
  }
  for (double t : x_axis.ticks) {
    const double x = px(t);
    svg.line(x, bottom, x, bottom + 5, "stroke=\"#444444\"");
    svg.text(x, bottom + 18, svg::tick_label(t, x_axis.decimals), "middle", 11);
  }
  svg.text(left + kPlotWidth / 2, bottom + 40, "epoch", "middle", 13);
  svg.text(left - 52, kPlotTop + kPlotHeight / 2, panel.name, "middle", 13, -90);
  if (!has_data) {
    svg.text(left + kPlotWidth / 2, kPlotTop + kPlotHeight / 2, "no data", "middle", 13);
    return;
  }

  for (const Series* s : {&panel.train, &panel.test}) {
    const std::string stroke = fmt::format("stroke=\"{}\" stroke-width=\"2\"", s->colour);
    const std::string fill = fmt::format("fill=\"{}\"", s->colour);
    const bool mark_all = s->points.size() <= kMaxMarkedEpochs;
    // Non-finite values break the line instead of dragging it to an axis edge.
    std::vector<std::pair<double, double>> run;
    auto flush = [&] {
      if (run.size() > 1) svg.polyline(run, stroke);
      if (mark_all || run.size() == 1) {
        for (const auto& [x, y] : run) svg.circle(x, y, 3, fill);
      }
      run.clear();
    };
    for (const auto& [epoch, value] : s->points) {
      if (std::isfinite(value)) {
        run.emplace_back(px(epoch), py(value));
      } else {
        flush();
      }
    }
    flush();
  }
}

void draw_legend(svg::Writer& svg) {
  const double y = 50;
  double x = kWidth / 2 - 80;
  for (auto [label, colour] : {std::pair{"train", kTrainColour}, std::pair{"test", kTestColour}}) {
    svg.line(x, y, x + 24, y, fmt::format("stroke=\"{}\" stroke-width=\"2\"", colour));
    svg.circle(x + 12, y, 3, fmt::format("fill=\"{}\"", colour));
    svg.text(x + 30, y + 4, label, "start", 12);
    x += 100;
  }
}

}  // namespace

std::string render_curves_svg(const std::vector<EpochMetrics>& history, const std::string& title) {
  Panel loss{"loss", {kTrainColour, {}}, {kTestColour, {}}, false};
  Panel accuracy{"accuracy", {kTrainColour, {}}, {kTestColour, {}}, true};
  double first_epoch = 0, last_epoch = 1;
  if (!history.empty()) {
    first_epoch = last_epoch = static_cast<double>(history.front().epoch);
  }
  for (const EpochMetrics& m : history) {
    const auto e = static_cast<double>(m.epoch);
    first_epoch = std::min(first_epoch, e);
    last_epoch = std::max(last_epoch, e);
    loss.train.points.emplace_back(e, m.train_loss);
    loss.test.points.emplace_back(e, m.test_loss);
    accuracy.train.points.emplace_back(e, m.train_accuracy);
    accuracy.test.points.emplace_back(e, m.test_accuracy);
  }
  const svg::Axis x_axis = svg::nice_axis(first_epoch, last_epoch, 6, true, true);

  svg::Writer svg(kWidth, kHeight);
  svg.rect(0, 0, kWidth, kHeight, "fill=\"#ffffff\"");
  svg.text(kWidth / 2, 26, title, "middle", 16);
  draw_legend(svg);
  draw_panel(svg, loss, kFirstPanelLeft, x_axis);
  draw_panel(svg, accuracy, kFirstPanelLeft + kPanelPitch, x_axis);
  return svg.finish();
}

}  // namespace gradflow
