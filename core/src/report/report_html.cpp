// report.html: the page's sections as HTML, inline SVG and one JSON blob for its script.
#include "report/report_page.hpp"

#include "plots/svg_writer.hpp"
#include "report/report_files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace gradflow::report {
namespace {

using nlohmann::json;

constexpr int64_t kMaxConfusionClasses = 30;

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

std::string percent(double v) {
  return std::isfinite(v) ? fmt::format("{:.2f} %", 100 * v) : "n/a";
}

std::string batch_text(const RunSettings& s) {
  if (s.full_batch) return fmt::format("full ({} samples: classic gradient descent)", s.batch);
  if (s.batch == 1) return "1 (online SGD)";
  return fmt::format("{} (mini-batch SGD)", s.batch);
}

std::string class_name(const EvaluationRecord& e, int64_t k) {
  const std::string number = std::to_string(k);
  const bool named = k >= 0 && static_cast<size_t>(k) < e.class_names.size() &&
                     !e.class_names[k].empty() && e.class_names[k] != number;
  return named ? number + " " + e.class_names[k] : number;
}

std::string summary(const ReportPage& p) {
  const RunRecord& r = p.run;
  const EpochMetrics& m = r.final_metrics;
  std::string out = "<div class=\"cards\">";
  auto card = [&](const std::string& name, const std::string& value) {
    out += fmt::format("<div class=\"card\">{}<b>{}</b></div>", html(name), html(value));
  };
  card("test accuracy", percent(m.test_accuracy));
  card("train accuracy", percent(m.train_accuracy));
  card("test loss", fmt::format("{:.4f}", m.test_loss));
  card("train loss", fmt::format("{:.4f}", m.train_loss));
  card("epochs", std::to_string(m.epoch));
  card("training time", fmt::format("{:.2f} s", r.seconds));
  return out + "</div>\n";
}

std::string settings_table(const RunSettings& s) {
  std::string rows;
  auto row = [&](const std::string& key, const std::string& value) {
    rows += fmt::format("<tr><th class=\"text\">{}</th><td class=\"text\">{}</td></tr>", html(key),
                        html(value));
  };
  row("graph file", s.graph_path);
  row("data set", fmt::format("{}: {} train / {} test samples, {} classes", s.dataset, s.train_size,
                              s.test_size, s.classes));
  row("batch size", batch_text(s));
  row("epochs", std::to_string(s.epochs));
  row("optimizer", fmt::format("{}, learning rate {}", s.optimizer, s.lr));
  row("seed", std::to_string(s.seed));
  row("threads", std::to_string(s.threads));
  row("trainable values", std::to_string(s.parameters));
  for (const auto& o : s.overrides) row("--set", o);
  return "<table>" + rows + "</table>\n";
}

std::string decision_section(const DecisionFrames& f) {
  std::string legend;
  for (int64_t k = 0; k < std::min<int64_t>(f.classes, 10); ++k) {
    static const char* kDark[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    legend += fmt::format("<span style=\"background:{}\"></span>class {} &nbsp; ", kDark[k], k);
  }
  return fmt::format(
      "<h2>Decision boundary</h2>\n<p class=\"sub\">The predicted class on a {0}×{0} grid over "
      "the plane, at {1} epochs from 0 (before training) to the last; the deeper the colour, "
      "the surer the network. Filled dots: training points; rings: test points.</p>\n"
      "<div id=\"decision-box\"><div><canvas id=\"decision\" width=\"440\" height=\"440\">"
      "</canvas>\n<div class=\"controls\"><button id=\"frame-play\" type=\"button\">▶ Play"
      "</button><input id=\"frame-slider\" type=\"range\" min=\"0\" max=\"0\" value=\"0\" "
      "aria-label=\"epoch\"></div>\n<div id=\"frame-label\" class=\"muted\"></div></div>\n"
      "<div class=\"legend\">{2}<br>x from {3:.3g} to {4:.3g}, y from {5:.3g} to {6:.3g}</div>"
      "</div>\n",
      f.grid, f.epochs.size(), legend, f.x_min, f.x_max, f.y_min, f.y_max);
}

std::string confusion_section(const EvaluationRecord& e) {
  if (e.confusion.empty()) return "";
  if (e.classes > kMaxConfusionClasses)
    return fmt::format(
        "<h2>Confusion matrix</h2><p class=\"muted\">{} classes: too many to show "
        "(graph-runner eval prints it).</p>\n",
        e.classes);
  std::string out =
      "<h2>Confusion matrix</h2>\n<p class=\"sub\">Test split, final weights. Rows: true "
      "class; columns: predicted class.</p>\n<table><tr><th class=\"text\">true \\ predicted</th>";
  for (int64_t c = 0; c < e.classes; ++c) out += "<th>" + html(class_name(e, c)) + "</th>";
  out += "<th>accuracy</th></tr>\n";
  for (int64_t r = 0; r < e.classes; ++r) {
    int64_t total = 0;
    for (int64_t c = 0; c < e.classes; ++c) total += e.confusion[r * e.classes + c];
    out += "<tr><th class=\"text\">" + html(class_name(e, r)) + "</th>";
    for (int64_t c = 0; c < e.classes; ++c) {
      const int64_t n = e.confusion[r * e.classes + c];
      const double share = total > 0 ? static_cast<double>(n) / static_cast<double>(total) : 0;
      const char* tint = r == c ? "44,160,44" : "214,39,40";
      out += fmt::format("<td style=\"background:rgba({},{:.2f})\">{}</td>", tint,
                         n > 0 ? 0.1 + 0.6 * share : 0.0, n);
    }
    const double accuracy =
        total > 0 ? static_cast<double>(e.confusion[r * e.classes + r]) / total : NAN;
    out += "<td>" + percent(accuracy) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string formulas_section(const std::vector<NodeExplanation>& nodes) {
  if (nodes.empty()) return "";
  std::string out =
      "<h2>Formulas</h2>\n<p class=\"sub\">Each node in execution order: what forward computes "
      "and what backward adds to each gradient (B is the batch size, ∂L/∂v the gradient of the "
      "loss with respect to v). From <code>graph-runner explain</code>.</p>\n";
  for (const auto& n : nodes) {
    out += fmt::format("<div class=\"node\"><b>{}</b> ({})", html(n.node), html(n.op));
    if (!n.shapes.empty()) {
      std::string shapes;
      for (const auto& [name, shape] : n.shapes)
        shapes += (shapes.empty() ? "" : ", ") + name + " " + shape;
      out += "<div class=\"shapes\">" + html(shapes) + "</div>";
    }
    out += "<div class=\"formula\">forward:  " + html(n.forward) + "</div>";
    for (const auto& g : n.backward)
      out += "<div class=\"formula\">backward: " + html(g.text) + "</div>";
    for (const auto& note : n.notes) out += "<div class=\"muted\">" + html(note) + "</div>";
    out += "</div>\n";
  }
  return out;
}

json page_data(const ReportPage& p) {
  json data;
  json metrics = json::array();
  for (const auto& m : p.history)
    metrics.push_back({m.epoch, number_or_null(m.train_loss), number_or_null(m.train_accuracy),
                       number_or_null(m.test_loss), number_or_null(m.test_accuracy)});
  data["metrics"] = metrics;
  data["frames"] = p.frames ? json::parse(frames_json(*p.frames)) : json(nullptr);
  data["images"] = nullptr;
  if (p.evaluation && !p.evaluation->misclassified.empty()) {
    const EvaluationRecord& e = *p.evaluation;
    json items = json::array();
    for (const auto& m : e.misclassified)
      items.push_back({{"truth", class_name(e, m.truth)},
                       {"guess", class_name(e, m.guess)},
                       {"pixels", base64_encode(m.pixels)}});
    data["images"] = {
        {"channels", e.channels}, {"height", e.height}, {"width", e.width}, {"items", items}};
  }
  return data;
}

}  // namespace

std::string render_report_html(const ReportPage& p) {
  const RunSettings& s = p.run.settings;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{0} — gradflow "
      "run</title>\n<style>{1}</style></head>\n<body>\n<h1>{0}</h1>\n<p class=\"sub\">{2}</p>\n",
      html(s.graph_name), kReportCss, html(s.description));
  out += summary(p);
  out += "<h2>Settings</h2>\n" + settings_table(s);
  out += "<h2>Learning curves</h2>\n<div class=\"figure\">" +
         render_curves_svg(p.history, s.graph_name) + "</div>\n";
  if (p.frames) out += decision_section(*p.frames);
  if (p.evaluation) out += confusion_section(*p.evaluation);
  if (p.evaluation && !p.evaluation->misclassified.empty())
    out += fmt::format(
        "<h2>Misclassified test images</h2>\n<p class=\"sub\">The first {} mistakes of the test "
        "split, with true and predicted class.</p>\n<div id=\"mistakes\" class=\"mistakes\">"
        "</div>\n",
        p.evaluation->misclassified.size());
  out += fmt::format("<h2>Graph</h2>\n<p class=\"sub\">{}</p>\n<div class=\"figure\">{}</div>\n",
                     p.graphviz ? "Drawn by Graphviz from graph.dot."
                                : "Graphviz's dot is not installed: a plain drawing of graph.dot.",
                     p.graph_svg);
  out += formulas_section(p.explanation);
  out += "<script type=\"application/json\" id=\"report-data\">" +
         script_json(page_data(p).dump()) + "</script>\n<script>" + kReportScript +
         "</script>\n</body></html>\n";
  return out;
}

}  // namespace gradflow::report
