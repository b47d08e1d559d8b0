#include "csv_reader.hpp"

#include "data_internal.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

namespace gradflow::data_detail {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// One double-quoted field starting at line[i] == '"'; "" stands for a quote. Leaves `i` after
// the closing quote, or returns an error message.
std::optional<std::string> read_quoted(std::string_view line, size_t& i, std::string& text) {
  size_t quote = i++;
  while (i < line.size()) {
    if (line[i] != '"') {
      text += line[i++];
    } else if (i + 1 < line.size() && line[i + 1] == '"') {
      text += '"';
      i += 2;
    } else {
      ++i;
      return std::nullopt;
    }
  }
  i = quote;
  return std::string("unterminated quoted field");
}

// Splits one line at commas. Returns an error message (and its column) if it cannot.
std::optional<std::string> split_line(std::string_view line, std::vector<CsvField>& fields,
                                      int& error_column) {
  fields.clear();
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < line.size() && is_blank(line[i])) ++i;
    CsvField f{{}, static_cast<int>(i) + 1};
    if (i < line.size() && line[i] == '"') {
      if (auto error = read_quoted(line, i, f.text)) {
        error_column = static_cast<int>(i) + 1;
        return error;
      }
      while (i < line.size() && is_blank(line[i])) ++i;
      if (i < line.size() && line[i] != ',') {
        error_column = static_cast<int>(i) + 1;
        return std::string("unexpected text after a quoted field");
      }
    } else {
      size_t end = std::min(line.find(',', start), line.size());
      f.text = std::string(trim(line.substr(start, end - start)));
      i = end;
    }
    fields.push_back(std::move(f));
    if (i >= line.size()) return std::nullopt;
    ++i;  // the comma
  }
}

// Text that from_chars reads whole as a number, "+" allowed; nan, inf and values beyond the
// range of float included (they are numbers, only not usable ones).
bool is_number_spelling(std::string_view s) {
  s = trim(s);  // a quoted number may still have spaces: " 0.25"
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ptr == s.data() + s.size() && (ec == std::errc() || ec == std::errc::result_out_of_range);
}

}  // namespace

void CsvErrors::add(int line, int column, std::string message) {
  if (list_.items().size() >= kMaxErrors) {
    list_.error({name_, line, 0}, "too many errors; stopping here");
    list_.throw_if_any();
  }
  list_.error({name_, line, column}, std::move(message));
}

CsvRecords::CsvRecords(std::string_view text, CsvErrors& errors) : rest_(text), errors_(errors) {
  // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first cell.
  if (rest_.substr(0, 3) == "\xEF\xBB\xBF") rest_.remove_prefix(3);
}

bool CsvRecords::next(std::vector<CsvField>& fields) {
  while (!rest_.empty()) {
    size_t end = std::min(rest_.find_first_of("\r\n"), rest_.size());
    std::string_view line = rest_.substr(0, end);
    size_t skip = end < rest_.size() && rest_.substr(end, 2) == "\r\n" ? 2 : 1;
    rest_.remove_prefix(std::min(end + skip, rest_.size()));
    ++line_;
    line_length_ = static_cast<int>(line.size());
    if (size_t nul = line.find('\0'); nul != std::string_view::npos) {
      errors_.add(line_, static_cast<int>(nul) + 1, "binary data (a NUL byte) in a CSV file");
      errors_.throw_if_any();
    }
    if (trim(line).empty()) continue;  // blank lines (often a trailing one) carry no data
    if (++records_ > kMaxSamples + 1) {
      errors_.add(line_, 0, fmt::format("more than {} rows are not supported", kMaxSamples));
      errors_.throw_if_any();
    }
    int error_column = 0;
    if (auto error = split_line(line, fields, error_column)) {
      errors_.add(line_, error_column, *error);
      continue;
    }
    return true;
  }
  return false;
}

bool CsvRecords::has_width(const std::vector<CsvField>& fields, size_t width,
                           const std::string& expected) {
  if (fields.size() == width) return true;
  int column = fields.size() > width ? fields[width].column : line_length_ + 1;
  errors_.add(line_, column, fmt::format("{} fields, but {}", fields.size(), expected));
  return false;
}

std::string csv_cell_text(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  size_t cut = kMax;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("'{}...' ({} characters)", text.substr(0, cut), text.size());
}

std::optional<float> csv_number(const CsvField& field, int line, CsvErrors& errors) {
  std::string_view s = trim(field.text);
  if (s.empty()) {
    errors.add(line, field.column, "empty cell: expected a number");
    return std::nullopt;
  }
  if (!is_number_spelling(s)) {
    errors.add(line, field.column, csv_cell_text(s) + " is not a number");
    return std::nullopt;
  }
  if (s.front() == '+') s.remove_prefix(1);
  float value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // Too small for float is as good as zero; too large is not a value we can train on.
    double wide = std::strtod(std::string(s).c_str(), nullptr);
    if (std::fabs(wide) < 1.0) return 0.0f;
    errors.add(line, field.column,
               csv_cell_text(field.text) + " is beyond the range of a 32-bit float (about 3.4e38)");
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    errors.add(line, field.column, csv_cell_text(field.text) + " is not a finite number");
    return std::nullopt;
  }
  return value;
}

CsvRowKind classify_csv_row(const std::vector<CsvField>& fields) {
  size_t names = 0;
  for (const auto& f : fields)
    if (!trim(f.text).empty() && !is_number_spelling(f.text)) ++names;
  if (names == fields.size()) return CsvRowKind::names;
  return names == 0 ? CsvRowKind::numbers : CsvRowKind::mixed;
}

std::vector<std::string> csv_header_names(const std::vector<CsvField>& fields, int line,
                                          CsvErrors& errors) {
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (const auto& f : fields) {
    if (!seen.insert(f.text).second)
      errors.add(line, f.column, "duplicate column name " + csv_cell_text(f.text));
    names.push_back(f.text);
  }
  return names;
}

}  // namespace gradflow::data_detail
