// The op-author API: derive from gradflow::Op, describe the op in a static schema(), and list
// the op classes once with GRADFLOW_PLUGIN. Everything here compiles into the plugin itself;
// only the C structs of <gradflow/plugin_abi.h> cross the library boundary, and every
// exception an op throws is caught here and returned to the host as an error value.
#pragma once

#include <gradflow/plugin_abi.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace gradflow {

using Shape = std::vector<int64_t>;

inline Shape to_shape(const gf_shape& s) {
  return Shape(s.dims, s.dims + s.rank);
}
inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// A tensor as an op sees it: `rows` samples of `cols` floats each, row-major. Unbatched
// tensors (parameters, loss scalars) have rows == 1 and batch == 0.
struct View {
  float* data = nullptr;
  int64_t batch = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  gf_shape shape{};

  Shape shape_dims() const { return to_shape(shape); }

  int64_t size() const { return rows * cols; }
  float* row(int64_t r) const { return data + r * cols; }
  float& operator[](int64_t i) const { return data[i]; }
  explicit operator bool() const { return data != nullptr; }
};

inline View view_of(const gf_tensor& t) {
  View v;
  v.data = t.data;
  v.batch = t.batch;
  v.shape = t.shape;
  v.cols = 1;
  for (uint32_t i = 0; i < t.shape.rank; ++i) v.cols *= t.shape.dims[i];
  v.rows = t.batch > 0 ? t.batch : 1;
  return v;
}

// Thrown by an op for bad attributes or shapes; the host prefixes the node and file.
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct AttrSpec {
  std::string name;
  gf_attr_type type = GF_ATTR_FLOAT;
  std::optional<std::string> default_text;  // YAML text; nullopt = required
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string doc;
};

struct OpSchema {
  std::string name;
  std::string doc;
  std::vector<std::string> inputs;
  std::vector<AttrSpec> attrs;
  bool differentiable = true;
  bool loss = false;  // output is a batch-mean scalar usable in `loss:`
};

// Attribute values after the host checked types, ranges and filled defaults.
class Attrs {
 public:
  Attrs(const gf_attr_value* values, uint32_t n) : values_(values, n) {}
  int64_t integer(const char* name) const { return find(name, GF_ATTR_INT).i; }
  double real(const char* name) const { return find(name, GF_ATTR_FLOAT).f; }
  bool boolean(const char* name) const { return find(name, GF_ATTR_BOOL).i != 0; }
  std::string text(const char* name) const { return find(name, GF_ATTR_STRING).s; }
  gf_init init(const char* name) const { return find(name, GF_ATTR_INIT).init; }

 private:
  const gf_attr_value& find(const char* name, uint32_t type) const {
    for (const auto& v : values_)
      if (std::strcmp(v.name, name) == 0 && v.type == type) return v;
    throw OpError(std::string("attribute '") + name + "' was not declared in the op's schema");
  }
  std::span<const gf_attr_value> values_;
};

// What create() learns about the node and declares back: output shape and parameters.
class NodeSetup {
 public:
  NodeSetup(const gf_shape* in, uint32_t n, gf_node_info* info) : info_(info) {
    for (uint32_t i = 0; i < n; ++i) inputs_.push_back(to_shape(in[i]));
  }
  const std::vector<Shape>& input_shapes() const { return inputs_; }
  const Shape& input_shape(size_t i) const { return inputs_.at(i); }

  void set_output(const Shape& shape, bool batched = true) {
    info_->out_shape = pack(shape);
    info_->out_batched = batched ? 1u : 0u;
  }
  void add_param(const std::string& name, const Shape& shape, gf_init init) {
    if (info_->n_params >= GF_MAX_PARAMS) throw OpError("too many parameters");
    if (name.size() >= sizeof(gf_param_decl::name)) throw OpError("parameter name too long");
    gf_param_decl& p = info_->params[info_->n_params++];
    std::memset(&p, 0, sizeof p);
    std::memcpy(p.name, name.c_str(), name.size());
    p.shape = pack(shape);
    p.init = init;
  }

 private:
  static gf_shape pack(const Shape& s) {
    if (s.size() > GF_MAX_RANK) throw OpError("rank above " + std::to_string(GF_MAX_RANK));
    gf_shape out{};
    out.rank = static_cast<uint32_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) out.dims[i] = s[i];
    return out;
  }
  std::vector<Shape> inputs_;
  gf_node_info* info_;
};

// Base class of every op instance (one per graph node). forward and backward run inside the
// training step and must not allocate: size scratch buffers in reserve().
class Op {
 public:
  virtual ~Op() = default;
  virtual void reserve(int64_t /*max_batch*/) {}
  virtual void forward(std::span<const View> in, std::span<const View> params, const View& out) = 0;
  // Adds into in_grads[i] (skip those whose data is null) and into param_grads.
  virtual void backward(std::span<const View> /*in*/, std::span<const View> /*params*/,
                        const View& /*out*/, const View& /*out_grad*/,
                        std::span<const View> /*in_grads*/, std::span<const View> /*param_grads*/) {
    throw OpError("op is not differentiable");
  }
};

namespace detail {

constexpr uint32_t kMaxPorts = 16;

inline void set_error(gf_error* err, const char* message) {
  if (!err) return;
  std::strncpy(err->message, message, GF_ERROR_CAPACITY - 1);
  err->message[GF_ERROR_CAPACITY - 1] = '\0';
}

template <class F>
int guarded(gf_error* err, F&& body) {
  try {
    body();
    return GF_OK;
  } catch (const std::exception& e) {
    set_error(err, e.what());
  } catch (...) {
    set_error(err, "unknown exception");
  }
  return GF_FAIL;
}

template <size_t N>
std::span<const View> views(std::array<View, N>& store, const gf_tensor* t, uint32_t n) {
  if (n > N) throw OpError("too many tensors for one op call");
  for (uint32_t i = 0; i < n; ++i) store[i] = view_of(t[i]);
  return {store.data(), n};
}

// Owns the C structs describing one op class; built once, after the ABI check.
template <class T>
struct OpDefinition {
  OpSchema schema = T::schema();
  std::vector<const char*> input_names;
  std::vector<gf_attr_spec> attr_specs;
  gf_op_def def{};

  OpDefinition() {
    for (const auto& in : schema.inputs) input_names.push_back(in.c_str());
    for (const auto& a : schema.attrs)
      attr_specs.push_back(gf_attr_spec{a.name.c_str(), static_cast<uint32_t>(a.type),
                                        a.default_text ? a.default_text->c_str() : nullptr, a.min,
                                        a.max, a.doc.c_str()});
    def.struct_size = sizeof(gf_op_def);
    def.name = schema.name.c_str();
    def.doc = schema.doc.c_str();
    def.n_inputs = static_cast<uint32_t>(input_names.size());
    def.input_names = input_names.data();
    def.n_attrs = static_cast<uint32_t>(attr_specs.size());
    def.attrs = attr_specs.data();
    def.flags = schema.loss ? static_cast<uint32_t>(GF_OP_LOSS) : 0u;
    def.create = &create;
    def.reserve = &reserve;
    def.forward = &forward;
    def.backward = schema.differentiable ? &backward : nullptr;
    def.destroy = &destroy;
  }

  static int create(const gf_attr_value* attrs, uint32_t n_attrs, const gf_shape* in_shapes,
                    uint32_t n_in, gf_node_info* info, void** instance, gf_error* err) {
    return guarded(err, [&] {
      NodeSetup setup(in_shapes, n_in, info);
      std::unique_ptr<T> op = T::create(Attrs(attrs, n_attrs), setup);
      *instance = op.release();
    });
  }
  static int reserve(void* instance, int64_t max_batch, gf_error* err) {
    return guarded(err, [&] { static_cast<T*>(instance)->reserve(max_batch); });
  }
  static int forward(void* instance, const gf_tensor* inputs, uint32_t n_in,
                     const gf_tensor* params, uint32_t n_params, gf_tensor* out, gf_error* err) {
    return guarded(err, [&] {
      std::array<View, kMaxPorts> in_store, param_store;
      static_cast<T*>(instance)->forward(views(in_store, inputs, n_in),
                                         views(param_store, params, n_params), view_of(*out));
    });
  }
  static int backward(void* instance, const gf_tensor* inputs, uint32_t n_in,
                      const gf_tensor* params, uint32_t n_params, const gf_tensor* out,
                      const gf_tensor* out_grad, gf_tensor* in_grads, gf_tensor* param_grads,
                      gf_error* err) {
    return guarded(err, [&] {
      std::array<View, kMaxPorts> in_store, param_store, in_grad_store, param_grad_store;
      static_cast<T*>(instance)->backward(views(in_store, inputs, n_in),
                                          views(param_store, params, n_params), view_of(*out),
                                          view_of(*out_grad), views(in_grad_store, in_grads, n_in),
                                          views(param_grad_store, param_grads, n_params));
    });
  }
  static void destroy(void* instance) { delete static_cast<T*>(instance); }
};

template <class... Ops>
const gf_op_def* const* op_table(uint32_t* n_ops) {
  // Built on first call, i.e. after the host accepted the ABI version.
  static const auto* definitions = new std::tuple<OpDefinition<Ops>...>();
  static const std::array<const gf_op_def*, sizeof...(Ops)> table = std::apply(
      [](const auto&... d) { return std::array<const gf_op_def*, sizeof...(Ops)>{&d.def...}; },
      *definitions);
  *n_ops = static_cast<uint32_t>(table.size());
  return table.data();
}

}  // namespace detail
}  // namespace gradflow

// Defines the plugin's one exported entry point. The returned struct is constant data, so the
// host can check its ABI version before any C++ code of the plugin runs.
#define GRADFLOW_PLUGIN(plugin_name, ...)                                                          \
  extern "C" __attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) {       \
    static constexpr gf_plugin kPlugin{sizeof(gf_plugin), GF_ABI_MAJOR, GF_ABI_MINOR, plugin_name, \
                                       &::gradflow::detail::op_table<__VA_ARGS__>};                \
    return &kPlugin;                                                                               \
  }
