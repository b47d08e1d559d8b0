// graph-runner report DIR, and the last step of train: report.html from the folder's files.
#include <gradflow/atomic_file.hpp>
#include <gradflow/run_report.hpp>

#include "io/run_files.hpp"
#include "report/graph_svg.hpp"
#include "report/report_page.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace gradflow {
namespace {

constexpr off_t kMaxReportInput = 64 << 20;

// A report input if the folder has it; files are checked for size before they are read.
std::optional<std::string> optional_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  if (!S_ISREG(info.st_mode)) throw InputError(path + ": not a regular file");
  if (info.st_size > kMaxReportInput)
    throw InputError(path + ": larger than " + std::to_string(kMaxReportInput >> 20) +
                     " MiB, not a file train wrote");
  return read_file(path);
}

}  // namespace

void write_report(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) throw InputError(dir + ": no such run folder");
  report::ReportPage page;
  const std::string run_path = dir + "/run.json";
  auto run = optional_file(run_path);
  if (!run)
    throw InputError(run_path +
                     ": missing; the folder holds no finished run (train writes run.json last)");
  page.run = report::parse_run_json(*run, run_path);
  if (auto metrics = optional_file(dir + "/metrics.csv"))
    page.history = parse_metrics_csv(*metrics, dir + "/metrics.csv");
  // Frames are only the page's when this run had 2-D inputs (an older run may have left some).
  if (page.run.settings.feature_shape == std::vector<int64_t>{2})
    if (auto frames = optional_file(dir + "/frames.json"))
      page.frames = report::parse_frames_json(*frames, dir + "/frames.json");
  if (auto evaluation = optional_file(dir + "/evaluation.json"))
    page.evaluation = report::parse_evaluation_json(*evaluation, dir + "/evaluation.json");
  if (auto explanation = optional_file(dir + "/explain.json"))
    page.explanation = parse_explain_json(*explanation, dir + "/explain.json");
  if (auto dot = optional_file(dir + "/graph.dot"))
    page.graph_svg = report::graph_svg(dir + "/graph.dot", *dot, &page.graphviz);
  write_file_atomically(dir + "/report.html", report::render_report_html(page));
}

}  // namespace gradflow
