// Attribute values for an op under test, checked the way graph-runner checks a graph file's:
// the declared type and range, the declared defaults for the rest. Part of
// <gradflow/testing.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/op_schema.hpp>
#include <gradflow/testing/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

namespace gradflow::testing {

// One attribute a test sets: {"out_features", 3}, {"slope", 0.1}, {"bias", false},
// {"mode", "mean"}, {"init", gradflow::init::normal(0.3)}, {"kernel", {3, 3}}.
struct Attr {
  enum class Kind { integer, real, boolean, text, initialiser, ints };
  std::string name;
  Kind kind = Kind::integer;
  double number = 0;  // integer, real, boolean
  std::string text_value;
  gf_init init_value{};
  std::vector<int64_t> list;

  Attr(std::string n, int v) : name(std::move(n)), number(v) {}
  Attr(std::string n, int64_t v) : name(std::move(n)), number(static_cast<double>(v)) {}
  Attr(std::string n, double v) : name(std::move(n)), kind(Kind::real), number(v) {}
  Attr(std::string n, bool v) : name(std::move(n)), kind(Kind::boolean), number(v ? 1 : 0) {}
  Attr(std::string n, const char* v) : name(std::move(n)), kind(Kind::text), text_value(v) {}
  Attr(std::string n, std::string v) : name(std::move(n)), kind(Kind::text), text_value(v) {}
  Attr(std::string n, gf_init v) : name(std::move(n)), kind(Kind::initialiser), init_value(v) {}
  Attr(std::string n, std::initializer_list<int64_t> v)
      : name(std::move(n)), kind(Kind::ints), list(v) {}
};

namespace detail {

inline std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

inline bool whole_number(const std::string& text, double* out) {
  char* end = nullptr;
  const std::string t = trimmed(text);
  *out = std::strtod(t.c_str(), &end);
  return !t.empty() && *end == '\0' && std::isfinite(*out);
}

inline bool parse_init_text(const std::string& text, gf_init* out) {
  const std::string t = trimmed(text);
  if (t == "xavier") return *out = {GF_INIT_XAVIER, 0}, true;
  if (t == "he") return *out = {GF_INIT_HE, 0}, true;
  if (t == "zeros") return *out = {GF_INIT_ZEROS, 0}, true;
  if (t == "ones") return *out = {GF_INIT_CONSTANT, 1}, true;
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') return false;
  const auto colon = t.find(':');
  if (colon == std::string::npos) return false;
  const std::string kind = trimmed(t.substr(1, colon - 1));
  double value = 0;
  if (!whole_number(t.substr(colon + 1, t.size() - colon - 2), &value)) return false;
  if (kind == "normal") return *out = {GF_INIT_NORMAL, value}, true;
  if (kind == "uniform") return *out = {GF_INIT_UNIFORM, value}, true;
  if (kind == "constant") return *out = {GF_INIT_CONSTANT, value}, true;
  return false;
}

inline bool parse_ints_text(const std::string& text, std::vector<int64_t>* out) {
  std::string t = trimmed(text);
  if (!t.empty() && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  size_t start = 0;
  while (start <= t.size()) {
    const size_t comma = std::min(t.find(',', start), t.size());
    double v = 0;
    if (!whole_number(t.substr(start, comma - start), &v) || v != std::floor(v)) return false;
    out->push_back(static_cast<int64_t>(v));
    start = comma + 1;
  }
  return !out->empty();
}

// The default text of a spec as the Attr a test would have written; the subset of YAML that
// defaults use (numbers, true/false, names, {kind: value}, [a, b]).
inline Attr default_attr(const gf_attr_spec& spec) {
  const std::string text = spec.default_text;
  const std::string why = "cannot read the default '" + text + "' of attribute '" + spec.name +
                          "': set it explicitly in the test";
  double v = 0;
  switch (spec.type) {
    case GF_ATTR_INT:
    case GF_ATTR_FLOAT:
      if (!whole_number(text, &v)) throw TestError(why);
      return spec.type == GF_ATTR_INT ? Attr(spec.name, static_cast<int64_t>(v))
                                      : Attr(spec.name, v);
    case GF_ATTR_BOOL: {
      const std::string t = trimmed(text);
      if (t != "true" && t != "false" && t != "True" && t != "False") throw TestError(why);
      return Attr(spec.name, t == "true" || t == "True");
    }
    case GF_ATTR_STRING: {
      std::string t = trimmed(text);
      if (t.size() >= 2 && (t.front() == '"' || t.front() == '\'') && t.back() == t.front())
        t = t.substr(1, t.size() - 2);
      return Attr(spec.name, t);
    }
    case GF_ATTR_INIT: {
      gf_init init{};
      if (!parse_init_text(text, &init)) throw TestError(why);
      return Attr(spec.name, init);
    }
    default: {
      Attr a(spec.name, std::initializer_list<int64_t>{});
      if (!parse_ints_text(text, &a.list)) throw TestError(why);
      return a;
    }
  }
}

inline std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

inline void check_range(const gf_attr_spec& spec, double v) {
  if (v < spec.min || v > spec.max)
    throw TestError("attribute '" + std::string(spec.name) + "' is " + number_text(v) +
                    ", outside the op's range [" + number_text(spec.min) + ", " +
                    number_text(spec.max) + "]");
}

inline TestError wrong_type(const gf_attr_spec& spec) {
  return TestError("attribute '" + std::string(spec.name) + "' is declared as " +
                   attr_type_word(spec.type) + "; the test gives it a value of another type");
}

}  // namespace detail

// What create() receives: the test's values converted to the declared types and checked
// against the declared ranges, and the declared defaults for every attribute the test leaves
// out, in the order of the op's schema.
class AttrValues {
 public:
  // check_ranges = false passes out-of-range values through, to test an op's own checks of
  // values that graph-runner would already reject.
  AttrValues(const gf_op_def& def, const std::vector<Attr>& given, bool check_ranges = true)
      : check_ranges_(check_ranges) {
    for (const Attr& a : given) {
      bool known = false;
      for (uint32_t i = 0; i < def.n_attrs; ++i) known = known || a.name == def.attrs[i].name;
      if (!known)
        throw TestError("op " + std::string(def.name) + " has no attribute '" + a.name + "'");
    }
    for (uint32_t i = 0; i < def.n_attrs; ++i) {
      const gf_attr_spec& spec = def.attrs[i];
      const Attr* chosen = nullptr;
      for (const Attr& a : given)
        if (a.name == spec.name) chosen = &a;
      if (chosen) {
        add(spec, *chosen);
      } else if (spec.default_text) {
        add(spec, detail::default_attr(spec));
      } else {
        throw TestError("op " + std::string(def.name) + " requires attribute '" + spec.name + "'");
      }
    }
  }
  AttrValues(const AttrValues&) = delete;
  AttrValues& operator=(const AttrValues&) = delete;

  const gf_attr_value* data() const { return values_.data(); }
  const gf_attr_list* lists() const { return lists_.data(); }
  uint32_t size() const { return static_cast<uint32_t>(values_.size()); }

 private:
  void add(const gf_attr_spec& spec, const Attr& a) {
    using Kind = Attr::Kind;
    gf_attr_value v{};
    gf_attr_list list{};
    v.name = spec.name;
    v.type = spec.type;
    const bool integral = a.kind == Kind::integer;
    switch (spec.type) {
      case GF_ATTR_INT:
        if (!integral) throw detail::wrong_type(spec);
        if (check_ranges_) detail::check_range(spec, a.number);
        v.i = static_cast<int64_t>(a.number);
        break;
      case GF_ATTR_FLOAT:
        if (!integral && a.kind != Kind::real) throw detail::wrong_type(spec);
        if (check_ranges_) detail::check_range(spec, a.number);
        v.f = a.number;
        break;
      case GF_ATTR_BOOL:
        if (a.kind != Kind::boolean) throw detail::wrong_type(spec);
        v.i = a.number != 0 ? 1 : 0;
        break;
      case GF_ATTR_STRING:
        if (a.kind != Kind::text) throw detail::wrong_type(spec);
        v.s = strings_.emplace_back(a.text_value).c_str();
        break;
      case GF_ATTR_INIT:
        v.init = init_of(spec, a);
        break;
      default:
        list = list_of(spec, a);
        v.i = list.n;
    }
    values_.push_back(v);
    lists_.push_back(list);
  }
  static gf_init init_of(const gf_attr_spec& spec, const Attr& a) {
    gf_init init = a.init_value;
    if (a.kind == Attr::Kind::text && !detail::parse_init_text(a.text_value, &init))
      throw TestError("attribute '" + std::string(spec.name) + "': '" + a.text_value +
                      "' is not an initialiser");
    if (a.kind != Attr::Kind::text && a.kind != Attr::Kind::initialiser)
      throw detail::wrong_type(spec);
    return init;
  }
  gf_attr_list list_of(const gf_attr_spec& spec, const Attr& a) const {
    std::vector<int64_t> items = a.list;
    if (a.kind == Attr::Kind::integer) items = {static_cast<int64_t>(a.number)};
    if (a.kind != Attr::Kind::integer && a.kind != Attr::Kind::ints) throw detail::wrong_type(spec);
    if (items.empty() || items.size() > GF_MAX_LIST)
      throw TestError("attribute '" + std::string(spec.name) + "' needs 1 to " +
                      std::to_string(GF_MAX_LIST) + " integers");
    gf_attr_list list{};
    list.n = static_cast<uint32_t>(items.size());
    for (size_t k = 0; k < items.size(); ++k) {
      if (check_ranges_) detail::check_range(spec, static_cast<double>(items[k]));
      list.values[k] = items[k];
    }
    return list;
  }

  std::vector<gf_attr_value> values_;
  std::vector<gf_attr_list> lists_;
  std::deque<std::string> strings_;  // stable addresses for values_[i].s
  bool check_ranges_ = true;
};

}  // namespace gradflow::testing
