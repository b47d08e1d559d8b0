// The run folder's report files as JSON, written by RunRecorder and read back by
// write_report. Everything read is checked: a run folder is user data like any other.
#pragma once

#include <gradflow/run_report.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow::report {

struct MisclassifiedImage {
  int64_t index = 0;  // in the test split
  int32_t truth = 0, guess = 0;
  std::vector<uint8_t> pixels;  // channels * height * width, 0 = black
};

// The final model on the test split: confusion matrix and, for images, some mistakes.
struct EvaluationRecord {
  int64_t classes = 0;
  std::vector<std::string> class_names;
  std::vector<int64_t> confusion;               // classes x classes, row = true class
  int64_t channels = 0, height = 0, width = 0;  // 0: not image data
  std::vector<MisclassifiedImage> misclassified;
};

std::string base64_encode(const std::vector<uint8_t>& bytes);
// Throws InputError naming `source` for text that is not base64.
std::vector<uint8_t> base64_decode(std::string_view text, const std::string& source);

std::string frames_json(const DecisionFrames& frames);
DecisionFrames parse_frames_json(const std::string& text, const std::string& source);

std::string evaluation_json(const EvaluationRecord& e);
EvaluationRecord parse_evaluation_json(const std::string& text, const std::string& source);

std::string run_json(const RunRecord& record);
RunRecord parse_run_json(const std::string& text, const std::string& source);

}  // namespace gradflow::report
