#include "graph/attribute_check.hpp"

#include "graph/yaml_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

namespace gradflow {
namespace {

std::optional<gf_init> parse_init(const YAML::Node& node, std::string* problem) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "xavier") return gf_init{GF_INIT_XAVIER, 0.0};
    if (s == "zeros") return gf_init{GF_INIT_ZEROS, 0.0};
    *problem = "unknown init '" + s + "'";
    return std::nullopt;
  }
  if (node.IsMap() && node.size() == 1) {
    auto entry = node.begin();
    std::string kind = entry->first.IsScalar() ? entry->first.Scalar() : "";
    auto value = entry->second.IsScalar() ? parse_number(entry->second.Scalar()) : std::nullopt;
    if (kind != "normal" && kind != "uniform") {
      *problem = "unknown init '" + kind + "'";
      return std::nullopt;
    }
    if (!value || *value < 0 || *value > 1e6) {
      *problem = "init " + kind + " needs a number in [0, 1e6]";
      return std::nullopt;
    }
    return gf_init{kind == "normal" ? uint32_t{GF_INIT_NORMAL} : uint32_t{GF_INIT_UNIFORM}, *value};
  }
  *problem = "init must be one of {normal: std}, {uniform: a}, xavier, zeros";
  return std::nullopt;
}

std::string range_text(const gf_attr_spec& spec) {
  auto num = [](double v) {
    if (v == std::numeric_limits<double>::infinity()) return std::string("inf");
    if (v == -std::numeric_limits<double>::infinity()) return std::string("-inf");
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return "[" + num(spec.min) + ", " + num(spec.max) + "]";
}

}  // namespace

const char* attr_type_name(uint32_t type) {
  switch (type) {
    case GF_ATTR_INT:
      return "int";
    case GF_ATTR_FLOAT:
      return "float";
    case GF_ATTR_BOOL:
      return "bool";
    case GF_ATTR_STRING:
      return "string";
    case GF_ATTR_INIT:
      return "init";
  }
  return "?";
}

std::string describe_init(const gf_init& init) {
  switch (init.kind) {
    case GF_INIT_ZEROS:
      return "zeros";
    case GF_INIT_XAVIER:
      return "xavier";
    case GF_INIT_NORMAL:
      return "{normal: " + YAML::Dump(YAML::Node(init.value)) + "}";
    case GF_INIT_UNIFORM:
      return "{uniform: " + YAML::Dump(YAML::Node(init.value)) + "}";
  }
  return "?";
}

CheckedAttrs check_attributes(const NodeSpec& node, const gf_op_def& def, const std::string& file,
                              DiagnosticList& diags) {
  CheckedAttrs out;
  std::string label = "nodes[" + std::to_string(node.index) + "] '" + node.name + "'";
  std::vector<std::string> known;
  for (uint32_t i = 0; i < def.n_attrs; ++i) known.push_back(def.attrs[i].name);

  // Required attributes that a misspelt key was taken for: "did you mean" already covers
  // them, and a second message about the same typo would only send the user looking twice.
  std::vector<std::string> suggested;
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

  for (uint32_t i = 0; i < def.n_attrs; ++i) {
    const gf_attr_spec& spec = def.attrs[i];
    const NodeAttr* given = nullptr;
    for (const auto& attr : node.attrs)
      if (attr.key == spec.name) given = &attr;

    YAML::Node value;
    SourceLocation where = node.where;
    if (given) {
      value = given->value;
      if (value.Mark().line >= 0) where = {file, value.Mark().line + 1, value.Mark().column + 1};
    } else if (spec.default_text) {
      try {
        value = YAML::Load(spec.default_text);
      } catch (const YAML::Exception&) {
        diags.error(where,
                    label + ": op " + def.name + " declares a bad default for '" + spec.name + "'");
        continue;
      }
    } else {
      if (std::find(suggested.begin(), suggested.end(), spec.name) != suggested.end()) continue;
      diags.error(where, label + ": " + def.name + " needs attribute '" + spec.name + "' (" +
                             attr_type_name(spec.type) +
                             (spec.doc ? std::string(", ") + spec.doc : "") + ")");
      continue;
    }

    gf_attr_value v{};
    v.name = spec.name;
    v.type = spec.type;
    std::string what = label + ": attribute '" + std::string(spec.name) + "'";
    std::string text = value.IsScalar() ? value.Scalar() : std::string();
    switch (spec.type) {
      case GF_ATTR_INT: {
        auto i = value.IsScalar() ? parse_integer(text) : std::nullopt;
        if (!i) {
          auto real = value.IsScalar() ? parse_number(text) : std::nullopt;
          if (real && (*real < spec.min || *real > spec.max))
            diags.error(where, what + " is " + text + ", outside " + range_text(spec));
          else
            diags.error(where, what + " must be an integer, got '" +
                                   (value.IsScalar() ? text : std::string("a collection")) + "'");
          continue;
        }
        if (static_cast<double>(*i) < spec.min || static_cast<double>(*i) > spec.max) {
          diags.error(where, what + " is " + text + ", outside " + range_text(spec));
          continue;
        }
        v.i = *i;
        break;
      }
      case GF_ATTR_FLOAT: {
        auto f = value.IsScalar() ? parse_number(text) : std::nullopt;
        if (!f) {
          diags.error(where, what + " must be a finite number");
          continue;
        }
        if (*f < spec.min || *f > spec.max) {
          diags.error(where, what + " is " + text + ", outside " + range_text(spec));
          continue;
        }
        v.f = *f;
        break;
      }
      case GF_ATTR_BOOL: {
        auto b = value.IsScalar() ? parse_bool(text) : std::nullopt;
        if (!b) {
          diags.error(where, what + " must be true or false");
          continue;
        }
        v.i = *b ? 1 : 0;
        break;
      }
      case GF_ATTR_STRING: {
        if (!value.IsScalar()) {
          diags.error(where, what + " must be text");
          continue;
        }
        out.strings.push_back(text);
        v.s = out.strings.back().c_str();
        break;
      }
      case GF_ATTR_INIT: {
        std::string problem;
        auto init = parse_init(value, &problem);
        if (!init) {
          diags.error(where, what + ": " + problem);
          continue;
        }
        v.init = *init;
        break;
      }
      default:
        diags.error(where, what + ": op declares an unknown attribute type");
        continue;
    }
    out.values.push_back(v);
  }
  return out;
}

}  // namespace gradflow
