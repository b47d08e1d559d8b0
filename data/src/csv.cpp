// CSV tables: a header row, numeric feature columns and one integer label column.
#include "csv_reader.hpp"
#include "data_internal.hpp"

#include <gradflow/atomic_file.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace gradflow {
namespace {

using data_detail::CsvErrors;
using data_detail::CsvField;
using data_detail::CsvRecords;

// Labels become one-hot rows `classes` wide, so a stray huge label would make the trainer
// allocate rows x label floats; this bound is far above any real class count.
constexpr int64_t kMaxLabel = 99'999;

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

bool parse_label(std::string_view s, int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<int32_t> read_label(const CsvField& f, int line, CsvErrors& errors) {
  int64_t label = 0;
  if (!parse_label(f.text, label) || label < 0) {
    errors.add(line, f.column,
               "label " + data_detail::csv_cell_text(f.text) + " is not a non-negative integer");
    return std::nullopt;
  }
  if (label > kMaxLabel) {
    errors.add(line, f.column, fmt::format("label {} is too large (at most {})", label, kMaxLabel));
    return std::nullopt;
  }
  return static_cast<int32_t>(label);
}

// The header row of a data set: the label column must be there, and one feature at least.
size_t read_header(const std::vector<CsvField>& fields, int line, const std::string& label_column,
                   CsvErrors& errors) {
  std::vector<std::string> names = data_detail::csv_header_names(fields, line, errors);
  auto it = std::find(names.begin(), names.end(), label_column);
  if (it == names.end()) {
    std::string hint = closest_match(label_column, names);
    // Clip what we echo: the "header" may be a megabyte-long line of something else.
    std::string columns = join(names);
    if (columns.size() > 200) columns = columns.substr(0, 200) + "...";
    bool data_row = data_detail::classify_csv_row(fields) == data_detail::CsvRowKind::numbers;
    errors.add(line, 1,
               "no label column '" + label_column + "' in the header" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                   "; columns: " + columns +
                   (data_row ? " (this row looks like data: the first row of a CSV "
                               "data set must name the columns)"
                             : ""));
    errors.throw_if_any();
  }
  if (names.size() < 2) {
    errors.add(line, 1, "no feature columns: the header has only the label column");
    errors.throw_if_any();
  }
  errors.throw_if_any();
  return static_cast<size_t>(it - names.begin());
}

// One data row into `split`, or nothing if any of its cells is bad (each is reported).
void read_row(const std::vector<CsvField>& fields, int line, size_t label_index, Split& split,
              CsvErrors& errors) {
  bool row_ok = true;
  int32_t label = 0;
  size_t row_start = split.x.size();
  for (size_t c = 0; c < fields.size(); ++c) {
    if (c == label_index) {
      auto value = read_label(fields[c], line, errors);
      row_ok = row_ok && value;
      label = value.value_or(0);
    } else {
      auto value = data_detail::csv_number(fields[c], line, errors);
      row_ok = row_ok && value;
      split.x.push_back(value.value_or(0.0f));
    }
  }
  if (!row_ok) {
    split.x.resize(row_start);
    return;
  }
  split.labels.push_back(label);
  ++split.size;
}

}  // namespace

Split parse_csv(const std::string& text, const std::string& name, const std::string& label_column) {
  CsvErrors errors(name);
  CsvRecords records(text, errors);
  std::vector<CsvField> fields;
  Split split;
  if (!records.next(fields)) {
    errors.add(0, 0, "file is empty: expected a header row and data rows");
    errors.throw_if_any();
  }
  size_t label_index = read_header(fields, records.line(), label_column, errors);
  size_t columns = fields.size();
  split.feature_shape = {static_cast<int64_t>(columns - 1)};
  std::string expected = fmt::format("the header has {} columns", columns);
  while (records.next(fields))
    if (records.has_width(fields, columns, expected))
      read_row(fields, records.line(), label_index, split, errors);
  if (split.size == 0 && errors.empty())
    errors.add(records.line(), 0, "no data rows after the header");
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
  finish_pair(d, limits, [&] {
    return InputError(SourceLocation{*test, 1, 0},
                      fmt::format("{} feature columns, but the training file '{}' has {}",
                                  d.test.feature_size(), *train, d.train.feature_size()));
  });
  return d;
}

}  // namespace data_detail
}  // namespace gradflow
