// The one CSV reader behind both CSV consumers: the `csv` data set (header, label column) and
// `graph-runner predict --input` (features, optional header). Both get the same quoting,
// spaces, line ends, number spellings and the same located, length-capped messages.
#pragma once

#include <gradflow/diagnostics.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow::data_detail {

struct CsvField {
  std::string text;  // unquoted, surrounding spaces and tabs removed
  int column = 0;    // 1-based byte column where the field starts
};

// The problems of one CSV file. After kMaxErrors we stop: the user has the pattern, and a
// wrong file of a million rows must not produce a million lines of errors.
class CsvErrors {
 public:
  static constexpr size_t kMaxErrors = 20;
  explicit CsvErrors(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  void add(int line, int column, std::string message);
  void throw_if_any() const { list_.throw_if_any(); }
  bool empty() const { return list_.empty(); }

 private:
  std::string name_;
  DiagnosticList list_;
};

// The records of a CSV text, one per non-blank line: a leading UTF-8 byte-order mark is
// skipped; lines end at \n, \r\n or a lone \r; fields are split at commas; a double-quoted
// field may hold commas and "" for a quote. A NUL byte, or more records than a data set may
// have (kMaxSamples and a header), stop the file with an error; a line that cannot be split
// (unterminated quote) is reported and skipped.
class CsvRecords {
 public:
  CsvRecords(std::string_view text, CsvErrors& errors);
  bool next(std::vector<CsvField>& fields);  // false at the end of the text
  int line() const { return line_; }         // of the record next() returned last

  // Whether the record just read has `width` fields. If not, it is reported at its first
  // extra field (or the end of its line) as "N fields, but <expected>".
  bool has_width(const std::vector<CsvField>& fields, size_t width, const std::string& expected);

 private:
  std::string_view rest_;
  CsvErrors& errors_;
  int line_ = 0;
  int line_length_ = 0;
  int64_t records_ = 0;
};

// A user's cell text for a message: quoted, and cut short if long.
std::string csv_cell_text(std::string_view text);

// A feature cell as a finite float. Empty cells, text, nan/inf and values beyond float's
// range are reported at the cell's position and give nullopt.
std::optional<float> csv_number(const CsvField& field, int line, CsvErrors& errors);

// Whether a row reads as column names (no cell is a number or empty), as numbers (every
// cell is a number spelling, nan and inf included, or empty) or as a mix of both.
enum class CsvRowKind { names, numbers, mixed };
CsvRowKind classify_csv_row(const std::vector<CsvField>& fields);

// The names of a header row; duplicate names are reported.
std::vector<std::string> csv_header_names(const std::vector<CsvField>& fields, int line,
                                          CsvErrors& errors);

}  // namespace gradflow::data_detail
