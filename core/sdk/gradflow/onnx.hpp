// ONNX mappings in the op layer. An op class that defines
//   void onnx_export(OnnxExport& ex) const      writes the ONNX nodes that compute the node
//   static bool onnx_import(OnnxImport& im)     takes an ONNX node (and maybe the ones after
//                                                it) as a node of this op; false: not mine
// gets them wired into its gf_op_def by <gradflow/op.hpp>. Both run outside training; throw
// OpError for a problem (a configuration ONNX cannot express, a node this op cannot take
// although it should): the host adds the node and the file. Part of <gradflow/op.hpp>.
//
//   void onnx_export(OnnxExport& ex) const { ex.add("Tanh", {ex.input(0)}, {ex.output()}); }
//   static bool onnx_import(OnnxImport& im) { return im.take_same("Tanh"); }
#pragma once

#include <gradflow/onnx_abi.h>
#include <gradflow/op_view.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow {

// One attribute of an ONNX node an op writes: {"transB", 1}, {"axis", -1},
// {"kernel_shape", {5, 5}}, {"auto_pad", "NOTSET"}.
class OnnxAttr {
 public:
  OnnxAttr(const char* name, int64_t value) : name_(name), type_(GF_ONNX_ATTR_INT), i_(value) {}
  OnnxAttr(const char* name, int value) : OnnxAttr(name, int64_t{value}) {}
  OnnxAttr(const char* name, double value) : name_(name), type_(GF_ONNX_ATTR_FLOAT), f_(value) {}
  OnnxAttr(const char* name, float value) : OnnxAttr(name, double{value}) {}
  OnnxAttr(const char* name, const char* text)
      : name_(name), type_(GF_ONNX_ATTR_STRING), text_(text) {}
  OnnxAttr(const char* name, std::vector<int64_t> values)
      : name_(name), type_(GF_ONNX_ATTR_INTS), ints_(std::move(values)) {}
  OnnxAttr(const char* name, std::initializer_list<int64_t> values)
      : OnnxAttr(name, std::vector<int64_t>(values)) {}

  // The C view; valid while this object lives and is not moved.
  gf_onnx_attr c() const {
    gf_onnx_attr a{};
    a.name = name_.c_str();
    a.type = type_;
    a.i = i_;
    a.f = f_;
    a.s = text_.c_str();
    a.ints = ints_.data();
    a.n = static_cast<uint32_t>(ints_.size());
    return a;
  }

 private:
  std::string name_;
  uint32_t type_;
  int64_t i_ = 0;
  double f_ = 0;
  std::string text_;
  std::vector<int64_t> ints_;
};

namespace detail {
inline void throw_if_failed(int rc, const gf_error& err, const char* what) {
  if (rc == GF_OK) return;
  throw OpError(err.message[0] ? std::string(err.message) : std::string(what) + " failed");
}
}  // namespace detail

// What onnx_export sees: the node, its ONNX inputs and output, and the host's writers.
class OnnxExport {
 public:
  explicit OnnxExport(gf_onnx_export* ex) : ex_(ex) {}

  std::string node() const { return ex_->node; }
  int64_t opset() const { return ex_->opset; }
  size_t input_count() const { return ex_->n_inputs; }
  std::string input(size_t i) const {
    if (i >= ex_->n_inputs) throw OpError("ONNX export: no input " + std::to_string(i));
    return ex_->inputs[i];
  }
  Shape input_shape(size_t i) const {
    if (i >= ex_->n_inputs) throw OpError("ONNX export: no input " + std::to_string(i));
    return to_shape(ex_->in_shapes[i]);
  }
  Shape output_shape() const { return to_shape(ex_->out_shape); }
  // The value the op's last ONNX node must write.
  std::string output() const { return ex_->output; }

  // The initializer holding this node's parameter or state tensor `local_name`.
  std::string tensor(const char* local_name) const {
    gf_error err{};
    const char* name = ex_->tensor(ex_->host, local_name, &err);
    if (!name) detail::throw_if_failed(GF_FAIL, err, "tensor()");
    return name;
  }
  // An initializer with the op's own values: floats of shape `dims`, or int64s (a shape).
  std::string constant(const char* hint, const Shape& dims, std::span<const float> values) const {
    gf_onnx_constant c = pack(dims, static_cast<int64_t>(values.size()), GF_ONNX_FLOAT32);
    c.floats = values.data();
    return add_constant(hint, c);
  }
  std::string constant_ints(const char* hint, std::span<const int64_t> values) const {
    return constant_ints(hint, {static_cast<int64_t>(values.size())}, values);
  }
  std::string constant_ints(const char* hint, const Shape& dims,
                            std::span<const int64_t> values) const {
    gf_onnx_constant c = pack(dims, static_cast<int64_t>(values.size()), GF_ONNX_INT64);
    c.ints = values.data();
    return add_constant(hint, c);
  }
  // A fresh name for an intermediate value.
  std::string temp(const char* hint) const { return ex_->temp(ex_->host, hint); }

  void add(const char* op_type, const std::vector<std::string>& inputs,
           const std::vector<std::string>& outputs, std::initializer_list<OnnxAttr> attrs = {}) {
    add(op_type, inputs, outputs, std::vector<OnnxAttr>(attrs));
  }
  // The same with attributes built up in code (shared by several ops, or conditional).
  void add(const char* op_type, const std::vector<std::string>& inputs,
           const std::vector<std::string>& outputs, const std::vector<OnnxAttr>& attrs) {
    std::vector<const char*> in, out;
    for (const auto& s : inputs) in.push_back(s.c_str());
    for (const auto& s : outputs) out.push_back(s.c_str());
    std::vector<gf_onnx_attr> a;
    for (const auto& attr : attrs) a.push_back(attr.c());
    gf_error err{};
    int rc = ex_->add_node(ex_->host, op_type, in.data(), static_cast<uint32_t>(in.size()),
                           out.data(), static_cast<uint32_t>(out.size()), a.data(),
                           static_cast<uint32_t>(a.size()), &err);
    detail::throw_if_failed(rc, err, "add_node()");
  }

 private:
  static gf_onnx_constant pack(const Shape& dims, int64_t count, uint32_t dtype) {
    if (dims.size() > GF_ONNX_MAX_RANK) throw OpError("ONNX constant of rank above 8");
    gf_onnx_constant c{};
    c.dtype = dtype;
    c.rank = static_cast<uint32_t>(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) c.dims[i] = dims[i];
    c.count = count;
    return c;
  }
  std::string add_constant(const char* hint, const gf_onnx_constant& c) const {
    gf_error err{};
    const char* name = ex_->constant(ex_->host, hint, &c, &err);
    if (!name) detail::throw_if_failed(GF_FAIL, err, "constant()");
    return name;
  }
  gf_onnx_export* ex_;
};

// An input of an ONNX node as an importing op sees it.
struct OnnxValue {
  std::string name;
  uint32_t kind = GF_ONNX_ABSENT;
  Shape shape;              // runtime values: per sample
  bool shape_known = true;  // false downstream of a node gradflow cannot import
  Shape dims;               // constants: all dimensions
  std::vector<float> floats;
  std::vector<int64_t> ints;

  bool absent() const { return kind == GF_ONNX_ABSENT; }
  bool runtime() const { return kind == GF_ONNX_RUNTIME; }
  bool constant() const { return kind == GF_ONNX_CONSTANT; }
  // A float32 constant whose values are all here.
  bool float_constant() const {
    return constant() && ints.empty() && numel(dims) == static_cast<int64_t>(floats.size());
  }
  // The per-sample shape, which an op needs to decide (a Reshape's -1).
  const Shape& known_shape() const {
    if (!shape_known) throw OpError("the shape of '" + name + "' is unknown");
    return shape;
  }
};

// What onnx_import sees: the ONNX nodes from the one offered on, and the host's claim calls.
class OnnxImport {
 public:
  OnnxImport(gf_onnx_import* im, const char* own_op) : im_(im), own_op_(own_op) {}

  int64_t opset() const { return im_->opset; }
  bool exists(uint32_t at) const { return describe(at, nullptr, nullptr); }
  // The op type of node `at` in the default domain; "" for another domain or no node.
  std::string op_type(uint32_t at = 0) const {
    std::string type;
    return describe(at, &type, nullptr) ? type : std::string();
  }
  bool is(std::string_view type, uint32_t at = 0) const { return op_type(at) == type; }
  uint32_t input_count(uint32_t at = 0) const { return ports(at).first; }
  uint32_t output_count(uint32_t at = 0) const { return ports(at).second; }

  bool has_attr(const char* name, uint32_t at = 0) const {
    gf_onnx_attr a{};
    return im_->attr(im_->host, at, name, &a) != 0;
  }
  // An attribute of node `at`, or nothing when the node does not have it.
  std::optional<int64_t> find_int(const char* name, uint32_t at = 0) const;
  std::optional<double> find_float(const char* name, uint32_t at = 0) const;
  std::optional<std::string> find_string(const char* name, uint32_t at = 0) const;
  std::optional<std::vector<int64_t>> find_ints(const char* name, uint32_t at = 0) const;
  // The same with ONNX's default for an absent attribute.
  int64_t attr_int(const char* name, int64_t fallback, uint32_t at = 0) const {
    return find_int(name, at).value_or(fallback);
  }
  double attr_float(const char* name, double fallback, uint32_t at = 0) const {
    return find_float(name, at).value_or(fallback);
  }
  std::string attr_string(const char* name, const std::string& fallback, uint32_t at = 0) const {
    return find_string(name, at).value_or(fallback);
  }
  std::vector<int64_t> attr_ints(const char* name, const std::vector<int64_t>& fallback,
                                 uint32_t at = 0) const {
    return find_ints(name, at).value_or(fallback);
  }
  OnnxValue input(uint32_t i, uint32_t at = 0) const;

  // Nodes [0, count) become one node of this op (or of `op`).
  void claim(uint32_t count = 1) { claim(count, own_op_); }
  void claim(uint32_t count, const char* op) {
    gf_error err{};
    detail::throw_if_failed(im_->claim(im_->host, count, op, &err), err, "claim()");
  }
  void set(const char* key, const std::string& yaml) {
    gf_error err{};
    detail::throw_if_failed(im_->set_attr(im_->host, key, yaml.c_str(), &err), err, "set_attr()");
  }
  void set(const char* key, int64_t value) { set(key, std::to_string(value)); }
  void set(const char* key, bool value) { set(key, std::string(value ? "true" : "false")); }
  void set(const char* key, double value);
  // A float32 read from the ONNX file, in the fewest digits that read back as the same float32
  // ("1e-05" rather than 9.99999974737875e-06, which would also differ as a double).
  void set_float32(const char* key, float value);
  void set(const char* key, const std::vector<int64_t>& values) { set(key, shape_text(values)); }
  void add_input(uint32_t i, uint32_t at = 0) {
    gf_error err{};
    detail::throw_if_failed(im_->add_input(im_->host, at, i, &err), err, "add_input()");
  }
  void tensor(const char* local_name, std::span<const float> values) {
    gf_error err{};
    int rc = im_->set_tensor(im_->host, local_name, values.data(),
                             static_cast<int64_t>(values.size()), &err);
    detail::throw_if_failed(rc, err, "set_tensor()");
  }
  void alias(uint32_t i = 0) {
    gf_error err{};
    detail::throw_if_failed(im_->alias(im_->host, i, &err), err, "alias()");
  }

  // The usual one-to-one case: node 0 is `onnx_type` with one runtime input; it becomes a node
  // of this op with no attributes. False (nothing claimed) for any other node.
  bool take_same(std::string_view onnx_type) {
    if (!is(onnx_type) || !input(0).runtime()) return false;
    claim(1);
    add_input(0);
    return true;
  }

 private:
  bool describe(uint32_t at, std::string* type, std::pair<uint32_t, uint32_t>* ports) const {
    const char *t = nullptr, *domain = nullptr, *name = nullptr;
    uint32_t n_in = 0, n_out = 0;
    if (!im_->node(im_->host, at, &t, &domain, &name, &n_in, &n_out)) return false;
    if (type) *type = (domain && *domain) ? std::string() : std::string(t ? t : "");
    if (ports) *ports = {n_in, n_out};
    return true;
  }
  std::pair<uint32_t, uint32_t> ports(uint32_t at) const {
    std::pair<uint32_t, uint32_t> p{0, 0};
    describe(at, nullptr, &p);
    return p;
  }
  bool read(const char* name, uint32_t at, uint32_t type, gf_onnx_attr* out) const {
    if (!im_->attr(im_->host, at, name, out)) return false;
    if (out->type != type)
      throw OpError("ONNX attribute '" + std::string(name) + "' of " + op_type(at) +
                    " has an unexpected type");
    return true;
  }

  gf_onnx_import* im_;
  const char* own_op_;
};

inline std::optional<int64_t> OnnxImport::find_int(const char* name, uint32_t at) const {
  gf_onnx_attr a{};
  if (!read(name, at, GF_ONNX_ATTR_INT, &a)) return std::nullopt;
  return a.i;
}
inline std::optional<double> OnnxImport::find_float(const char* name, uint32_t at) const {
  gf_onnx_attr a{};
  if (!read(name, at, GF_ONNX_ATTR_FLOAT, &a)) return std::nullopt;
  return a.f;
}
inline std::optional<std::string> OnnxImport::find_string(const char* name, uint32_t at) const {
  gf_onnx_attr a{};
  if (!read(name, at, GF_ONNX_ATTR_STRING, &a)) return std::nullopt;
  return std::string(a.s ? a.s : "");
}
inline std::optional<std::vector<int64_t>> OnnxImport::find_ints(const char* name,
                                                                 uint32_t at) const {
  gf_onnx_attr a{};
  if (!read(name, at, GF_ONNX_ATTR_INTS, &a)) return std::nullopt;
  if (a.n > 0 && !a.ints) throw OpError("ONNX attribute '" + std::string(name) + "' has no data");
  return std::vector<int64_t>(a.ints, a.ints + a.n);
}

inline OnnxValue OnnxImport::input(uint32_t i, uint32_t at) const {
  gf_onnx_value v{};
  OnnxValue out;
  if (!im_->input(im_->host, at, i, &v)) return out;
  out.name = v.name ? v.name : "";
  out.kind = v.kind;
  if (v.kind == GF_ONNX_RUNTIME) {
    out.shape_known = v.shape.rank != GF_ONNX_UNKNOWN_RANK;
    if (out.shape_known) out.shape = to_shape(v.shape);
  } else if (v.kind == GF_ONNX_CONSTANT) {
    const gf_onnx_constant& c = v.constant;
    out.dims.assign(c.dims, c.dims + std::min<uint32_t>(c.rank, GF_ONNX_MAX_RANK));
    if (c.dtype == GF_ONNX_FLOAT32 && c.floats) out.floats.assign(c.floats, c.floats + c.count);
    if (c.dtype == GF_ONNX_INT64 && c.ints) out.ints.assign(c.ints, c.ints + c.count);
  }
  return out;
}

inline void OnnxImport::set(const char* key, double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  set(key, std::string(text));
}

// The shortest decimal text of `value` (up to 17 significant digits) whose double d satisfies
// same(d); the 17-digit text when none shorter does.
template <class Same>
std::string shortest_decimal(double value, Same&& same) {
  char text[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (same(std::strtod(text, nullptr))) break;
  }
  return text;
}

// The shortest decimal text that reads back as exactly `value` (0.25, 1e-05), for messages and
// formulas.
inline std::string shortest_decimal(double value) {
  return shortest_decimal(value, [value](double d) { return d == value; });
}

inline void OnnxImport::set_float32(const char* key, float value) {
  set(key, shortest_decimal(value, [value](double d) { return static_cast<float>(d) == value; }));
}

}  // namespace gradflow
