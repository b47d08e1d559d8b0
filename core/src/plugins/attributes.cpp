#include "plugins/attributes.hpp"

#include <gradflow/numbers.hpp>

#include <algorithm>
#include <cstring>
#include <optional>

namespace gradflow {
namespace {

std::optional<gf_init> named_init(const std::string& s) {
  if (s == "xavier") return gf_init{GF_INIT_XAVIER, 0.0};
  if (s == "he") return gf_init{GF_INIT_HE, 0.0};
  if (s == "zeros") return gf_init{GF_INIT_ZEROS, 0.0};
  if (s == "ones") return gf_init{GF_INIT_CONSTANT, 1.0};
  return std::nullopt;
}

const char* const kInitForms =
    "{normal: std}, {uniform: a}, {constant: c}, xavier, he, zeros, ones";

uint32_t init_code(const std::string& kind) {
  if (kind == "normal") return GF_INIT_NORMAL;
  if (kind == "uniform") return GF_INIT_UNIFORM;
  if (kind == "constant") return GF_INIT_CONSTANT;
  return UINT32_MAX;
}

std::optional<gf_init> parse_init(const YAML::Node& node, std::string* problem) {
  if (node.IsScalar()) {
    if (auto init = named_init(node.Scalar())) return init;
    *problem = "unknown init '" + node.Scalar() + "' (known: " + kInitForms + ")";
    return std::nullopt;
  }
  if (!node.IsMap() || node.size() != 1) {
    *problem = std::string("init must be one of ") + kInitForms;
    return std::nullopt;
  }
  auto entry = node.begin();
  std::string kind = entry->first.IsScalar() ? entry->first.Scalar() : "";
  auto value = entry->second.IsScalar() ? parse_number(entry->second.Scalar()) : std::nullopt;
  const uint32_t code = init_code(kind);
  if (code == UINT32_MAX) {
    *problem = "unknown init '" + kind + "' (known: " + kInitForms + ")";
    return std::nullopt;
  }
  const double low = code == GF_INIT_CONSTANT ? -1e6 : 0;
  if (!value || *value < low || *value > 1e6) {
    *problem = "init " + kind + " needs a number in [" + (low < 0 ? "-1e6" : "0") + ", 1e6]";
    return std::nullopt;
  }
  return gf_init{code, *value};
}

bool in_range(double v, const gf_attr_spec& spec) {
  return v >= spec.min && v <= spec.max;
}

// An INT (or one element of an INTS): a message for non-integers, and for numbers out of range
// written as reals (1e12), which the user means as integers.
std::optional<int64_t> integer_in_range(const YAML::Node& value, const gf_attr_spec& spec,
                                        std::string* problem) {
  std::string text = value.IsScalar() ? value.Scalar() : std::string();
  auto i = value.IsScalar() ? parse_integer(text) : std::nullopt;
  auto real = value.IsScalar() ? parse_number(text) : std::nullopt;
  if ((i && !in_range(static_cast<double>(*i), spec)) || (!i && real && !in_range(*real, spec))) {
    *problem = "is " + text + ", outside " + attribute_range_text(spec);
    return std::nullopt;
  }
  if (!i) *problem = "must be an integer, got '" + (value.IsScalar() ? text : "a collection") + "'";
  return i;
}

bool convert_ints(const YAML::Node& value, const gf_attr_spec& spec, gf_attr_list* list,
                  std::string* problem) {
  std::vector<YAML::Node> items;
  if (value.IsSequence())
    for (const auto& item : value) items.push_back(item);
  else
    items.push_back(value);
  if (items.empty() || items.size() > GF_MAX_LIST) {
    *problem = "must be an integer or a list of 1 to " + std::to_string(GF_MAX_LIST) + " integers";
    return false;
  }
  list->n = static_cast<uint32_t>(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    std::string why;
    auto i = integer_in_range(items[k], spec, &why);
    if (!i) {
      *problem = (items.size() > 1 ? "element " + std::to_string(k) + " " : "") + why;
      return false;
    }
    list->values[k] = *i;
  }
  return true;
}

bool convert_float(const std::string& text, bool scalar, const gf_attr_spec& spec, double* out,
                   std::string* problem) {
  auto f = scalar ? parse_number(text) : std::nullopt;
  if (!f) {
    *problem = "must be a finite number";
    return false;
  }
  if (!in_range(*f, spec)) {
    *problem = "is " + text + ", outside " + attribute_range_text(spec);
    return false;
  }
  *out = *f;
  return true;
}

}  // namespace

bool convert_attribute(const YAML::Node& value, const gf_attr_spec& spec, ConvertedAttr* out,
                       std::string* problem) {
  out->value = gf_attr_value{};
  out->value.name = spec.name;
  out->value.type = spec.type;
  const std::string text = value.IsScalar() ? value.Scalar() : std::string();
  switch (spec.type) {
    case GF_ATTR_INT: {
      auto i = integer_in_range(value, spec, problem);
      out->value.i = i.value_or(0);
      return i.has_value();
    }
    case GF_ATTR_FLOAT:
      return convert_float(text, value.IsScalar(), spec, &out->value.f, problem);
    case GF_ATTR_BOOL: {
      auto b = value.IsScalar() ? parse_bool(text) : std::nullopt;
      if (!b) *problem = "must be true or false";
      out->value.i = b.value_or(false) ? 1 : 0;
      return b.has_value();
    }
    case GF_ATTR_STRING:
      if (!value.IsScalar()) *problem = "must be text";
      out->text = text;
      return value.IsScalar();
    case GF_ATTR_INIT: {
      auto init = parse_init(value, problem);
      if (init) out->value.init = *init;
      return init.has_value();
    }
    case GF_ATTR_INTS:
      if (!convert_ints(value, spec, &out->list, problem)) return false;
      out->value.i = out->list.n;
      return true;
  }
  *problem = "has an unknown attribute type " + std::to_string(spec.type);
  return false;
}

namespace {

// Unknown keys, each with a suggestion; returns the attributes a suggestion named, so that a
// typo of a required attribute is not reported a second time as "missing".
std::vector<std::string> report_unknown_keys(const NodeSpec& node, const gf_op_def& def,
                                             const std::string& label, DiagnosticList& diags) {
  std::vector<std::string> known, suggested;
  for (uint32_t i = 0; i < def.n_attrs; ++i) known.push_back(def.attrs[i].name);
  for (const auto& attr : node.attrs) {
    if (std::find(known.begin(), known.end(), attr.key) != known.end()) continue;
    std::string message = label + ": " + def.name + " has no attribute '" + attr.key + "'";
    std::string guess = closest_match(attr.key, known);
    if (!guess.empty()) {
      suggested.push_back(guess);
      message += " (did you mean '" + guess + "'?)";
    } else if (known.empty()) {
      message += " (it takes none)";
    } else {
      message += " (it has:";
      for (const auto& k : known) message += " " + k;
      message += ")";
    }
    diags.error(attr.where, message);
  }
  return suggested;
}

// The YAML value of one attribute: the file's, else the op's default (checked against the
// op's own schema when its plugin was loaded). False when a required attribute is missing.
bool attribute_source(const NodeSpec& node, const gf_attr_spec& spec, const std::string& file,
                      YAML::Node* value, SourceLocation* where) {
  *where = node.where;
  for (const auto& attr : node.attrs) {
    if (attr.key != spec.name) continue;
    *value = attr.value;
    if (value->Mark().line >= 0) *where = {file, value->Mark().line + 1, value->Mark().column + 1};
    return true;
  }
  if (!spec.default_text) return false;
  *value = YAML::Load(spec.default_text);
  return true;
}

}  // namespace

void CheckedAttrs::add(const ConvertedAttr& attr) {
  values.push_back(attr.value);
  lists.push_back(attr.list);
  if (attr.value.type == GF_ATTR_STRING) {
    strings.push_back(attr.text);
    values.back().s = strings.back().c_str();
  }
}

CheckedAttrs check_attributes(const NodeSpec& node, const gf_op_def& def, const std::string& file,
                              DiagnosticList& diags) {
  CheckedAttrs out;
  const std::string label = "nodes[" + std::to_string(node.index) + "] '" + node.name + "'";
  const std::vector<std::string> suggested = report_unknown_keys(node, def, label, diags);
  for (uint32_t i = 0; i < def.n_attrs; ++i) {
    const gf_attr_spec& spec = def.attrs[i];
    YAML::Node value;
    SourceLocation where;
    if (!attribute_source(node, spec, file, &value, &where)) {
      if (std::find(suggested.begin(), suggested.end(), spec.name) != suggested.end()) continue;
      diags.error(where, label + ": " + def.name + " needs attribute '" + spec.name + "' (" +
                             attr_type_name(spec.type) +
                             (spec.doc ? std::string(", ") + spec.doc : "") + ")");
      continue;
    }
    ConvertedAttr converted;
    std::string problem;
    if (!convert_attribute(value, spec, &converted, &problem)) {
      diags.error(where, label + ": attribute '" + spec.name + "' " + problem);
      continue;
    }
    out.add(converted);
  }
  return out;
}

}  // namespace gradflow
