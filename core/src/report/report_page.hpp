// Everything report.html shows, read from a run folder, and the page built from it.
#pragma once

#include <gradflow/explain.hpp>
#include <gradflow/run_report.hpp>

#include "report/report_files.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gradflow::report {

struct ReportPage {
  RunRecord run;
  std::vector<EpochMetrics> history;
  std::optional<DecisionFrames> frames;
  std::optional<EvaluationRecord> evaluation;
  std::vector<NodeExplanation> explanation;
  std::string graph_svg;
  bool graphviz = false;
};

std::string render_report_html(const ReportPage& page);

// The page's style sheet and script, shared with sweep.html.
extern const char* const kReportCss;
extern const char* const kReportScript;

// JSON text that is safe inside <script type="application/json">: no "</script".
std::string script_json(const std::string& json_text);

// Text for HTML element content and attribute values.
std::string html(const std::string& text);

}  // namespace gradflow::report
