// sweep.svg: for each swept key, the final test accuracy against its values (mean over seeds,
// bar from the lowest to the highest seed), one line per combination of the other keys; below,
// the training loss of every run against the epoch.
#include <gradflow/sweep_report.hpp>

#include "plots/svg_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

namespace gradflow {
namespace {

constexpr double kWidth = 960, kPanelH = 220, kPanelGap = 70;
constexpr double kTop = 60, kLeft = 70, kCurvesH = 260;
constexpr size_t kMaxCurvePoints = 250;
constexpr size_t kPanelsPerRow = 3, kMaxLegend = 12, kMaxPanelLegend = 6;
constexpr std::array<const char*, 10> kColours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf"};

struct Box {
  double left, top, width, height;
};

// Final test accuracy, or the final test loss when the graph predicts no class.
bool use_accuracy(const SweepResults& s) {
  for (const auto& run : s.runs)
    if (run.record && std::isfinite(run.record->final_metrics.test_accuracy)) return true;
  return false;
}

double outcome(const SweepRun& run, bool accuracy) {
  if (!run.record) return NAN;
  return accuracy ? run.record->final_metrics.test_accuracy : run.record->final_metrics.test_loss;
}

// "key=value, key=value" of every key but `skip`, identifying a line of a panel.
std::string combination(const SweepResults& s, const SweepRun& run, size_t skip) {
  std::string label;
  for (size_t k = 0; k < s.keys.size(); ++k)
    if (k != skip) label += (label.empty() ? "" : ", ") + s.keys[k] + "=" + run.values[k];
  return label.empty() ? "mean over seeds" : label;
}

void y_ticks(svg::Writer& svg, const Box& b, const svg::Axis& y, const std::string& name) {
  svg.rect(b.left, b.top, b.width, b.height, "fill=\"#ffffff\" stroke=\"#888888\"");
  for (double t : y.ticks) {
    const double py = b.top + b.height - (t - y.lo) / (y.hi - y.lo) * b.height;
    svg.line(b.left, py, b.left + b.width, py, "stroke=\"#e5e5e5\"");
    svg.text(b.left - 6, py + 4, svg::tick_label(t, y.decimals), "end", 11);
  }
  svg.text(b.left - 48, b.top + b.height / 2, name, "middle", 12, -90);
}

void key_panel(svg::Writer& svg, const SweepResults& s, size_t key, const Box& b, bool accuracy,
               const svg::Axis& y) {
  const auto& values = s.values[key];
  y_ticks(svg, b, y, accuracy ? "final test accuracy" : "final test loss");
  auto px = [&](size_t i) {
    return b.left + (static_cast<double>(i) + 0.5) * b.width / values.size();
  };
  auto py = [&](double v) {
    return b.top + b.height - (std::clamp(v, y.lo, y.hi) - y.lo) / (y.hi - y.lo) * b.height;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    svg.line(px(i), b.top + b.height, px(i), b.top + b.height + 4, "stroke=\"#444444\"");
    svg.text(px(i), b.top + b.height + 17, values[i], "middle", 11);
  }
  svg.text(b.left + b.width / 2, b.top + b.height + 36, s.keys[key], "middle", 12);
  std::map<std::string, std::vector<std::vector<double>>> lines;  // combination -> per value
  std::vector<std::string> order;
  for (const auto& run : s.runs) {
    const std::string label = combination(s, run, key);
    auto [it, fresh] = lines.try_emplace(label, values.size());
    if (fresh) order.push_back(label);
    const size_t at = std::find(values.begin(), values.end(), run.values[key]) - values.begin();
    const double v = outcome(run, accuracy);
    if (at < values.size() && std::isfinite(v)) it->second[at].push_back(v);
  }
  for (size_t l = 0; l < order.size(); ++l) {
    const char* colour = kColours[l % kColours.size()];
    std::vector<std::pair<double, double>> means;
    const auto& per_value = lines[order[l]];
    for (size_t i = 0; i < per_value.size(); ++i) {
      if (per_value[i].empty()) continue;
      const auto [lo, hi] = std::minmax_element(per_value[i].begin(), per_value[i].end());
      double mean = 0;
      for (double v : per_value[i]) mean += v / static_cast<double>(per_value[i].size());
      svg.line(px(i), py(*lo), px(i), py(*hi),
               fmt::format("stroke=\"{}\" stroke-width=\"1.5\"", colour));
      svg.circle(px(i), py(mean), 3.5, fmt::format("fill=\"{}\"", colour));
      means.emplace_back(px(i), py(mean));
    }
    if (means.size() > 1)
      svg.polyline(means, fmt::format("stroke=\"{}\" stroke-width=\"2\"", colour));
    if (order.size() > 1 && l < kMaxPanelLegend) {
      const double ly = b.top + b.height + 52 + 14 * static_cast<double>(l);
      svg.line(b.left, ly, b.left + 16, ly,
               fmt::format("stroke=\"{}\" stroke-width=\"2\"", colour));
      svg.text(b.left + 22, ly + 4, order[l], "start", 10);
    }
  }
}

// The training loss of every run; runs of one combination of values share a colour.
double curves_panel(svg::Writer& svg, const SweepResults& s, double top) {
  const Box b{kLeft, top, kWidth - kLeft - 260, kCurvesH};
  double last_epoch = 1;
  std::vector<std::string> labels;
  std::vector<double> losses;
  for (const auto& run : s.runs) {
    if (!run.history.empty())
      last_epoch = std::max<double>(last_epoch, static_cast<double>(run.history.back().epoch));
    for (const auto& m : run.history)
      if (std::isfinite(m.train_loss)) losses.push_back(m.train_loss);
    const std::string label = combination(s, run, s.keys.size());
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }
  // The scale covers most values, so that the spikes of a run at a too large learning rate
  // (drawn clipped at the top) do not flatten every other line.
  double hi = 1;
  if (!losses.empty()) {
    const size_t at = losses.size() * 95 / 100;
    std::nth_element(losses.begin(), losses.begin() + static_cast<std::ptrdiff_t>(at),
                     losses.end());
    hi = 1.15 * losses[at];
  }
  const svg::Axis x = svg::nice_axis(0, last_epoch, 8, true, true);
  const svg::Axis y = svg::nice_axis(0, hi > 0 ? hi : 1, 5, true);
  y_ticks(svg, b, y, "training loss");
  for (double t : x.ticks) {
    const double px = b.left + (t - x.lo) / (x.hi - x.lo) * b.width;
    svg.text(px, b.top + b.height + 17, svg::tick_label(t, x.decimals), "middle", 11);
  }
  svg.text(b.left + b.width / 2, b.top + b.height + 36, "epoch", "middle", 12);
  for (const auto& run : s.runs) {
    const size_t c = std::find(labels.begin(), labels.end(), combination(s, run, s.keys.size())) -
                     labels.begin();
    std::vector<std::pair<double, double>> points;
    // A few hundred points per line are as much as the picture can show.
    const size_t stride =
        std::max<size_t>(1, (run.history.size() + kMaxCurvePoints - 1) / kMaxCurvePoints);
    for (size_t i = 0; i < run.history.size(); ++i) {
      const EpochMetrics& m = run.history[i];
      if (!std::isfinite(m.train_loss)) break;
      if (i % stride != 0 && i + 1 != run.history.size()) continue;
      const double v = std::clamp(m.train_loss, y.lo, y.hi);
      points.emplace_back(b.left + (static_cast<double>(m.epoch) - x.lo) / (x.hi - x.lo) * b.width,
                          b.top + b.height - (v - y.lo) / (y.hi - y.lo) * b.height);
    }
    if (points.size() > 1)
      svg.polyline(points, fmt::format("stroke=\"{}\" stroke-width=\"1.2\" opacity=\"0.8\"",
                                       kColours[c % kColours.size()]));
  }
  for (size_t i = 0; i < labels.size() && i < kMaxLegend; ++i) {
    const double ly = b.top + 10 + 18 * static_cast<double>(i);
    svg.line(b.left + b.width + 16, ly, b.left + b.width + 36, ly,
             fmt::format("stroke=\"{}\" stroke-width=\"2\"", kColours[i % kColours.size()]));
    svg.text(b.left + b.width + 42, ly + 4, labels[i], "start", 11);
  }
  return b.top + b.height + 50;
}

}  // namespace

std::string render_sweep_svg(const SweepResults& s) {
  const bool accuracy = use_accuracy(s);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& run : s.runs) {
    const double v = outcome(run, accuracy);
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  const svg::Axis y =
      accuracy ? svg::nice_axis(std::min(lo, 0.5), 1.0, 5, true) : svg::nice_axis(0, hi, 5, true);
  // One to three panels a row, sharing its width; room below each for its legend.
  const size_t per_row = std::min(kPanelsPerRow, std::max<size_t>(1, s.keys.size()));
  const double pitch = (kWidth - kLeft) / static_cast<double>(per_row);
  size_t most_lines = 1;
  for (size_t k = 0; k < s.keys.size(); ++k) {
    size_t lines = 1;
    for (size_t j = 0; j < s.keys.size(); ++j) lines *= j == k ? 1 : s.values[j].size();
    most_lines = std::max(most_lines, lines);
  }
  const double legend =
      most_lines > 1 ? 14.0 * static_cast<double>(std::min(most_lines, kMaxPanelLegend)) + 10 : 0;
  const double row_height = kPanelH + 50 + legend;
  const size_t rows = (s.keys.size() + per_row - 1) / per_row;
  const double height = kTop + static_cast<double>(rows) * row_height + kCurvesH + 60;
  svg::Writer svg(kWidth, height);
  svg.rect(0, 0, kWidth, height, "fill=\"#ffffff\"");
  svg.text(kWidth / 2, 28, "sweep of " + s.graph_path, "middle", 16);
  for (size_t k = 0; k < s.keys.size(); ++k) {
    const Box b{kLeft + pitch * static_cast<double>(k % per_row),
                kTop + static_cast<double>(k / per_row) * row_height, pitch - kPanelGap, kPanelH};
    key_panel(svg, s, k, b, accuracy, y);
  }
  curves_panel(svg, s, kTop + static_cast<double>(rows) * row_height);
  return svg.finish();
}

}  // namespace gradflow
