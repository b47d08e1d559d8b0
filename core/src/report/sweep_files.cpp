// sweep.csv and sweep.html.
#include <gradflow/atomic_file.hpp>
#include <gradflow/sweep_report.hpp>

#include "report/report_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradflow {
namespace {

// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v, const char* format = "{:.6f}") {
  return std::isfinite(v) ? fmt::format(fmt::runtime(format), v) : "";
}

std::string percent(double v) {
  return std::isfinite(v) ? fmt::format("{:.2f} %", 100 * v) : "–";
}

struct SummaryRow {
  std::vector<std::string> values;
  std::vector<double> accuracy, train_accuracy, loss, seconds, epochs_to_target;
  size_t runs = 0;
};

std::vector<SummaryRow> summarise(const SweepResults& s) {
  std::vector<SummaryRow> rows;
  for (const auto& run : s.runs) {
    if (rows.empty() || rows.back().values != run.values)
      rows.push_back({run.values, {}, {}, {}, {}, {}, 0});
    SummaryRow& row = rows.back();
    ++row.runs;
    if (!run.record) continue;
    row.accuracy.push_back(run.record->final_metrics.test_accuracy);
    row.train_accuracy.push_back(run.record->final_metrics.train_accuracy);
    row.loss.push_back(run.record->final_metrics.test_loss);
    row.seconds.push_back(run.record->seconds);
    if (s.target)
      if (auto e = epochs_to_target(run.history, *s.target))
        row.epochs_to_target.push_back(static_cast<double>(*e));
  }
  return rows;
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? NAN : sum / static_cast<double>(v.size());
}

// The summary's cells after the swept values, as text.
std::vector<std::string> summary_cells(const SweepResults& s, const SummaryRow& row) {
  std::vector<std::string> cells{fmt::format("{}/{}", row.accuracy.size(), row.runs)};
  if (row.accuracy.empty()) return cells;
  const auto [lo, hi] = std::minmax_element(row.accuracy.begin(), row.accuracy.end());
  cells.push_back(percent(mean(row.train_accuracy)));
  cells.push_back(percent(mean(row.accuracy)));
  cells.push_back(fmt::format("{:.1f}–{:.1f} %", 100 * *lo, 100 * *hi));
  cells.push_back(fmt::format("{:.4f}", mean(row.loss)));
  if (s.target)
    cells.push_back(row.epochs_to_target.empty()
                        ? "never"
                        : fmt::format("{:.0f} ({}/{})", mean(row.epochs_to_target),
                                      row.epochs_to_target.size(), row.accuracy.size()));
  cells.push_back(fmt::format("{:.2f}", mean(row.seconds)));
  return cells;
}

std::vector<std::string> summary_header(const SweepResults& s) {
  std::vector<std::string> header = s.keys;
  for (const char* h : {"runs", "train accuracy (mean)", "test accuracy (mean)",
                        "test accuracy range over seeds", "test loss (mean)"})
    header.push_back(h);
  if (s.target) header.push_back(fmt::format("epochs to {:.1f} % (runs)", 100 * *s.target));
  header.push_back("seconds (mean)");
  return header;
}

std::string summary_html(const SweepResults& s) {
  std::string out = "<table><tr>";
  for (const auto& h : summary_header(s)) out += "<th>" + report::html(h) + "</th>";
  out += "</tr>\n";
  for (const auto& row : summarise(s)) {
    out += "<tr>";
    for (const auto& v : row.values) out += "<td class=\"text\">" + report::html(v) + "</td>";
    for (const auto& c : summary_cells(s, row)) out += "<td>" + report::html(c) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string runs_table(const SweepResults& s) {
  std::string out = "<table><tr>";
  for (const auto& key : s.keys) out += "<th class=\"text\">" + report::html(key) + "</th>";
  out +=
      "<th>seed</th><th class=\"text\">status</th><th>train loss</th><th>train acc</th>"
      "<th>test loss</th><th>test acc</th>";
  if (s.target) out += fmt::format("<th>epochs to {:.1f} %</th>", 100 * *s.target);
  out += "<th>seconds</th><th class=\"text\">report</th></tr>\n";
  for (const auto& run : s.runs) {
    out += "<tr>";
    for (const auto& v : run.values) out += "<td class=\"text\">" + report::html(v) + "</td>";
    out += fmt::format("<td>{}</td><td class=\"text\">{}</td>", run.seed, report::html(run.status));
    if (run.record) {
      const EpochMetrics& m = run.record->final_metrics;
      out += fmt::format("<td>{:.4f}</td><td>{}</td><td>{:.4f}</td><td>{}</td>", m.train_loss,
                         percent(m.train_accuracy), m.test_loss, percent(m.test_accuracy));
      if (s.target) {
        auto reached = epochs_to_target(run.history, *s.target);
        out += "<td>" + (reached ? std::to_string(*reached) : std::string("–")) + "</td>";
      }
      out += fmt::format("<td>{:.2f}</td><td class=\"text\"><a href=\"{}/report.html\">{}</a></td>",
                         run.record->seconds, report::html(run.dir), report::html(run.dir));
    } else {
      for (int i = 0; i < (s.target ? 6 : 5); ++i) out += "<td>–</td>";
      out += "<td></td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::optional<int64_t> epochs_to_target(const std::vector<EpochMetrics>& history, double target) {
  for (const auto& m : history)
    if (std::isfinite(m.test_accuracy) && m.test_accuracy >= target) return m.epoch;
  return std::nullopt;
}

std::string sweep_csv(const SweepResults& s) {
  std::string text;
  for (const auto& key : s.keys) text += csv_field(key) + ",";
  text += "seed,status,epochs,train_loss,train_accuracy,test_loss,test_accuracy,";
  text += "epochs_to_target,seconds,dir\n";
  for (const auto& run : s.runs) {
    for (const auto& v : run.values) text += csv_field(v) + ",";
    text += fmt::format("{},{},", run.seed, csv_field(run.status));
    if (run.record) {
      const EpochMetrics& m = run.record->final_metrics;
      std::string reached;
      if (s.target)
        if (auto e = epochs_to_target(run.history, *s.target)) reached = std::to_string(*e);
      text += fmt::format("{},{},{},{},{},{},{},", m.epoch, number(m.train_loss),
                          number(m.train_accuracy), number(m.test_loss), number(m.test_accuracy),
                          reached, number(run.record->seconds, "{:.3f}"));
    } else {
      text += ",,,,,,,";
    }
    text += csv_field(run.dir) + "\n";
  }
  return text;
}

std::string sweep_summary_markdown(const SweepResults& s) {
  const std::vector<std::string> header = summary_header(s);
  std::string out = "|";
  for (const auto& h : header) out += " " + h + " |";
  out += "\n|";
  for (size_t i = 0; i < header.size(); ++i) out += i < s.keys.size() ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : summarise(s)) {
    out += "|";
    for (const auto& v : row.values) out += " " + v + " |";
    for (const auto& c : summary_cells(s, row)) out += " " + c + " |";
    out += "\n";
  }
  return out;
}

std::string render_sweep_html(const SweepResults& s, const std::string& svg) {
  size_t finished = 0;
  for (const auto& run : s.runs) finished += run.record ? 1 : 0;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sweep of {0}"
      "</title>\n<style>{1}</style></head>\n<body>\n<h1>Sweep of {0}</h1>\n<p class=\"sub\">{2} "
      "of {3} runs finished. Reproduce with:</p>\n<pre class=\"formula\">{4}</pre>\n",
      report::html(s.graph_path), report::kReportCss, finished, s.runs.size(),
      report::html(s.command));
  out += "<h2>Results</h2>\n<div class=\"figure\">" + svg + "</div>\n";
  out += "<h2>Summary over seeds</h2>\n" + summary_html(s);
  out +=
      "<h2>Runs</h2>\n<p class=\"sub\">One row per run; sweep.csv holds the same numbers. "
      "Each run's folder has its own report.html.</p>\n" +
      runs_table(s);
  return out + "</body></html>\n";
}

void write_sweep_files(const std::string& dir, const SweepResults& sweep) {
  const std::string svg = render_sweep_svg(sweep);
  write_file_atomically(dir + "/sweep.csv", sweep_csv(sweep));
  write_file_atomically(dir + "/sweep.svg", svg);
  write_file_atomically(dir + "/sweep.html", render_sweep_html(sweep, svg));
}

}  // namespace gradflow
