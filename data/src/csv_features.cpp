// Feature tables for prediction: the data set's CSV reader, with the header made optional
// and decided by an explicit rule instead of a guess at the first character.
#include "csv_reader.hpp"
#include "data_internal.hpp"

#include <gradflow/datasets.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace gradflow {
namespace {

using data_detail::CsvErrors;
using data_detail::CsvField;
using data_detail::CsvRowKind;

// The first cell of `fields` that is (or is not) a name, for the message about a mixed row.
std::string first_cell(const std::vector<CsvField>& fields, bool name) {
  for (const auto& f : fields) {
    bool is_name = data_detail::classify_csv_row({f}) == CsvRowKind::names;
    if (is_name == name)
      return f.text.empty() ? "an empty cell" : data_detail::csv_cell_text(f.text);
  }
  return "";
}

bool is_header(const std::vector<CsvField>& fields, int line, CsvHeader rule, CsvErrors& errors) {
  if (rule != CsvHeader::automatic) return rule == CsvHeader::yes;
  CsvRowKind kind = data_detail::classify_csv_row(fields);
  if (kind == CsvRowKind::mixed) {
    errors.add(line, 1,
               "cannot tell whether the first row is a header: it mixes names (" +
                   first_cell(fields, true) + ") with numbers or empty cells (" +
                   first_cell(fields, false) + "); say which with --header yes or --header no");
    errors.throw_if_any();
  }
  return kind == CsvRowKind::names;
}

struct Layout {
  size_t fields = 0;            // cells per row
  std::optional<size_t> label;  // a header's `label` column, skipped
  bool header = false;
};

// Reads the header (if there is one) and settles how many cells a row has.
Layout read_layout(const std::vector<CsvField>& fields, int line, const FeatureCsvOptions& options,
                   CsvErrors& errors) {
  const int64_t expected_columns = options.expected_columns;
  Layout layout;
  layout.header = is_header(fields, line, options.header, errors);
  if (!layout.header) {
    layout.fields = expected_columns > 0 ? static_cast<size_t>(expected_columns) : fields.size();
    return layout;
  }
  std::vector<std::string> names = data_detail::csv_header_names(fields, line, errors);
  if (auto it = std::find(names.begin(), names.end(), options.label_column); it != names.end())
    layout.label = static_cast<size_t>(it - names.begin());
  layout.fields = fields.size();
  int64_t features = static_cast<int64_t>(fields.size()) - (layout.label ? 1 : 0);
  if (features == 0)
    errors.add(line, 1, "no feature columns: the header has only '" + options.label_column + "'");
  if (expected_columns > 0 && features > 0 && features != expected_columns)
    errors.add(line, 1,
               fmt::format("the header names {} feature columns, but the model takes {}", features,
                           expected_columns));
  errors.throw_if_any();
  return layout;
}

void read_row(const std::vector<CsvField>& fields, int line, const Layout& layout, FeatureRows& out,
              CsvErrors& errors) {
  size_t row_start = out.x.size();
  bool row_ok = true;
  for (size_t c = 0; c < fields.size(); ++c) {
    if (layout.label && c == *layout.label) continue;
    auto value = data_detail::csv_number(fields[c], line, errors);
    row_ok = row_ok && value;
    out.x.push_back(value.value_or(0.0f));
  }
  if (!row_ok) {
    out.x.resize(row_start);
    return;
  }
  ++out.rows;
}

}  // namespace

FeatureRows parse_feature_csv(const std::string& text, const std::string& name,
                              const FeatureCsvOptions& options) {
  CsvErrors errors(name);
  data_detail::CsvRecords records(text, errors);
  std::vector<CsvField> fields;
  if (!records.next(fields)) {
    errors.add(0, 0, "file is empty: expected rows of features");
    errors.throw_if_any();
  }
  Layout layout = read_layout(fields, records.line(), options, errors);
  FeatureRows out;
  out.columns = static_cast<int64_t>(layout.fields) - (layout.label ? 1 : 0);
  bool have_row = !layout.header || records.next(fields);
  std::string expected = layout.header ? fmt::format("the header has {} columns", layout.fields)
                         : options.expected_columns > 0
                             ? fmt::format("the model takes {} features", layout.fields)
                             : fmt::format("the first row has {}", layout.fields);
  for (; have_row; have_row = records.next(fields))
    if (records.has_width(fields, layout.fields, expected))
      read_row(fields, records.line(), layout, out, errors);
  if (out.rows == 0 && errors.empty())
    errors.add(records.line(), 0, layout.header ? "no data rows after the header" : "no data rows");
  errors.throw_if_any();
  return out;
}

FeatureRows load_feature_csv(const std::string& path, const FeatureCsvOptions& options) {
  return parse_feature_csv(data_detail::read_regular_file(path), path, options);
}

}  // namespace gradflow
