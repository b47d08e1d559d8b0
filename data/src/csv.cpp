// CSV tables: a header row, numeric feature columns and one integer label column.
#include "data_internal.hpp"

#include <gradflow/atomic_file.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string_view>

namespace gradflow {
namespace {

// Labels become one-hot rows `classes` wide, so a stray huge label would make the trainer
// allocate rows x label floats; this bound is far above any real class count.
constexpr int64_t kMaxLabel = 99'999;
// After this many bad cells we stop: the user has the pattern, and a wrong file of a million
// rows must not produce a million lines of errors.
constexpr size_t kMaxErrors = 20;

struct Field {
  std::string text;
  int column;  // 1-based byte column where the field starts
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one line at commas; double-quoted fields may hold commas and "" for a quote.
// Returns false (with `error` set) for an unterminated quote.
bool split_line(std::string_view line, std::vector<Field>& fields, std::string& error,
                int& error_column) {
  fields.clear();
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    Field f{{}, static_cast<int>(i) + 1};
    if (i < line.size() && line[i] == '"') {
      size_t quote = i++;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        f.text += line[i++];
      }
      if (!closed) {
        error = "unterminated quoted field";
        error_column = static_cast<int>(quote) + 1;
        return false;
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        error = "unexpected text after a quoted field";
        error_column = static_cast<int>(i) + 1;
        return false;
      }
    } else {
      size_t end = line.find(',', start);
      if (end == std::string_view::npos) end = line.size();
      f.text = std::string(trim(line.substr(start, end - start)));
      i = end;
    }
    fields.push_back(std::move(f));
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

// The header's names for a message: at most the first kMaxListedColumns, each shortened.
std::string join(const std::vector<std::string>& names) {
  constexpr size_t kMaxListedColumns = 20;
  std::string s;
  for (size_t i = 0; i < names.size() && i < kMaxListedColumns; ++i)
    s += (i ? ", " : "") + quoted_excerpt(names[i], 30);
  if (names.size() > kMaxListedColumns) s += ", ... (" + std::to_string(names.size()) + " columns)";
  return s;
}

// "" and the value, or what is wrong with the cell. A value beyond float's range gets its
// own message: "3.5e38 is not a number" would send the user looking for a typo.
std::string float_problem(std::string_view s, float& out) {
  const std::string_view cell = s;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return cell.empty() ? "empty cell: expected a number" : "'+' is not a number";
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    // Too small for a float is (nearly) zero, a value like any other; too large is not.
    double wide = 0;
    auto [wide_end, wide_ec] = std::from_chars(s.data(), end, wide);
    if (wide_ec == std::errc() && wide_end == end && std::fabs(wide) < 1.0) {
      out = static_cast<float>(wide);
      return "";
    }
    return quoted_excerpt(cell) +
           " is out of the range of a 32-bit float (at most about 3.4e38 in magnitude)";
  }
  if (ec != std::errc() || ptr != end) return quoted_excerpt(cell) + " is not a number";
  if (!std::isfinite(out)) return quoted_excerpt(cell) + " is not a finite number";
  return "";
}

bool parse_label(std::string_view s, int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

class Errors {
 public:
  explicit Errors(std::string name) : name_(std::move(name)) {}
  void add(int line, int column, std::string message) {
    if (list_.items().size() >= kMaxErrors) {
      list_.error({name_, line, 0}, "too many errors; stopping here");
      list_.throw_if_any();
    }
    list_.error({name_, line, column}, std::move(message));
  }
  void throw_if_any() const { list_.throw_if_any(); }
  bool empty() const { return list_.empty(); }

 private:
  std::string name_;
  DiagnosticList list_;
};

// Lines are split at '\n' only: a file of classic Mac line endings would be one line of
// megabytes, quoted whole in the first error.
void refuse_cr_line_endings(std::string_view text, Errors& errors) {
  if (text.find('\n') != std::string_view::npos || text.find('\r') == std::string_view::npos)
    return;
  errors.add(1, 0,
             "the file uses CR line endings (classic Mac OS) and has no line feed: save it with "
             "LF or CRLF line endings");
  errors.throw_if_any();
}

}  // namespace

Split parse_csv(const std::string& text, const std::string& name, const std::string& label_column) {
  std::string_view rest = text;
  // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first column's name.
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  Errors errors(name);
  refuse_cr_line_endings(rest, errors);
  std::vector<Field> fields;
  std::string split_error;
  int split_column = 0;

  Split split;
  size_t columns = 0;
  size_t label_index = 0;
  bool have_header = false;
  int line_number = 0;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;  // blank lines (often a trailing one) carry no data
    if (line.find('\0') != std::string_view::npos) {
      errors.add(line_number, 0, "binary data (a NUL byte) in a CSV file");
      errors.throw_if_any();
    }
    if (!split_line(line, fields, split_error, split_column)) {
      errors.add(line_number, split_column, split_error);
      continue;
    }
    if (!have_header) {
      have_header = true;
      std::set<std::string> seen;
      std::vector<std::string> names;
      for (const auto& f : fields) {
        if (!seen.insert(f.text).second) {
          errors.add(line_number, f.column, "duplicate column name " + quoted_excerpt(f.text));
        }
        names.push_back(f.text);
      }
      auto it = std::find(names.begin(), names.end(), label_column);
      if (it == names.end()) {
        std::string hint = closest_match(label_column, names);
        errors.add(line_number, 1,
                   "no label column " + quoted_excerpt(label_column) + " in the header" +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                       "; columns: " + join(names));
        errors.throw_if_any();
      }
      if (names.size() < 2) {
        errors.add(line_number, 1, "no feature columns: the header has only the label column");
        errors.throw_if_any();
      }
      columns = names.size();
      label_index = static_cast<size_t>(it - names.begin());
      split.feature_shape = {static_cast<int64_t>(columns - 1)};
      errors.throw_if_any();
      continue;
    }
    if (fields.size() != columns) {
      int column =
          fields.size() > columns ? fields[columns].column : static_cast<int>(line.size()) + 1;
      errors.add(line_number, column,
                 fmt::format("{} fields, but the header has {} columns", fields.size(), columns));
      continue;
    }
    if (split.size >= data_detail::kMaxSamples) {
      errors.add(line_number, 0,
                 fmt::format("more than {} rows are not supported", data_detail::kMaxSamples));
      errors.throw_if_any();
    }
    bool row_ok = true;
    int64_t label = 0;
    size_t row_start = split.x.size();
    for (size_t c = 0; c < columns; ++c) {
      const Field& f = fields[c];
      if (c == label_index) {
        if (!parse_label(f.text, label) || label < 0) {
          errors.add(line_number, f.column,
                     "label " + quoted_excerpt(f.text) + " is not a non-negative integer");
          row_ok = false;
        } else if (label > kMaxLabel) {
          errors.add(line_number, f.column,
                     fmt::format("label {} is too large (at most {})", label, kMaxLabel));
          row_ok = false;
        }
        continue;
      }
      float value = 0;
      if (std::string problem = float_problem(f.text, value); !problem.empty()) {
        errors.add(line_number, f.column, problem);
        row_ok = false;
      }
      split.x.push_back(value);
    }
    if (!row_ok) {
      split.x.resize(row_start);
      continue;
    }
    split.labels.push_back(static_cast<int32_t>(label));
    ++split.size;
  }
  if (!have_header) {
    errors.add(0, 0, "file is empty: expected a header row and data rows");
  } else if (split.size == 0 && errors.empty()) {
    errors.add(line_number, 0, "no data rows after the header");
  }
  errors.throw_if_any();
  return split;
}

Split load_csv(const std::string& path, const std::string& label_column) {
  return parse_csv(data_detail::read_regular_file(path), path, label_column);
}

void write_csv(const Split& split, const std::string& path) {
  int64_t width = split.feature_size();
  auto cells = data_detail::checked_mul(split.size, width);
  if (split.size < 0 || !cells || split.feature_count() != static_cast<size_t>(*cells) ||
      split.labels.size() != static_cast<size_t>(split.size)) {
    throw std::invalid_argument("write_csv: split sizes are inconsistent");
  }
  std::string out;
  for (int64_t j = 0; j < width; ++j) out += fmt::format("x{},", j);
  out += "label\n";
  size_t cell = 0;
  for (int64_t i = 0; i < split.size; ++i) {
    for (int64_t j = 0; j < width; ++j)
      fmt::format_to(std::back_inserter(out), "{:.9g},", split.feature(cell++));
    fmt::format_to(std::back_inserter(out), "{}\n", split.labels[static_cast<size_t>(i)]);
  }
  write_file_atomically(path, out);
}

namespace data_detail {

Dataset load_csv_spec(const YAML::Node& spec, const std::string& base_dir,
                      const std::string& source) {
  DiagnosticList errors;
  auto train = yaml_input_path(spec, "train", base_dir, source, errors);
  auto test = yaml_input_path(spec, "test", base_dir, source, errors);
  std::string label = "label";
  if (YAML::Node node = spec["label"]) {
    if (auto v = yaml_string(node, "label", source, errors)) label = *v;
  }
  Limits limits = read_limits(spec, source, errors);
  errors.throw_if_any();
  Dataset d;
  d.name = "csv";
  d.train = load_csv(*train, label);
  d.test = load_csv(*test, label);
  if (d.train.feature_shape != d.test.feature_shape) {
    throw InputError(SourceLocation{*test, 1, 0},
                     fmt::format("{} feature columns, but the training file '{}' has {}",
                                 d.test.feature_size(), *train, d.train.feature_size()));
  }
  d.classes = max_label_plus_one(d.train, d.test);
  apply_limit(d.train, limits.train);
  apply_limit(d.test, limits.test);
  return d;
}

}  // namespace data_detail
}  // namespace gradflow
