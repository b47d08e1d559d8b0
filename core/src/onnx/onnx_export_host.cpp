// The host side of gf_onnx_export: what an op may write into the ONNX graph. Arguments come
// from a plugin, so each is checked; no exception crosses into the plugin's code.
#include "onnx/onnx_export.hpp"

#include <gradflow/detail/error_guard.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/onnx_convert.hpp>

#include <cctype>
#include <cstring>
#include <stdexcept>

namespace gradflow {
namespace {

constexpr const char* kNoName = nullptr;  // a callback's failure value
constexpr uint32_t kMaxPorts = 64;
constexpr uint32_t kMaxAttrs = 64;
constexpr uint32_t kMaxAttrElements = 1u << 20;

OnnxExporter& self(void* host) {
  return *static_cast<OnnxExporter*>(host);
}

// Letters, digits and a few marks, at most 64: for hints and op types.
std::string plain(const char* text, const char* what) {
  if (!text || !*text || std::strlen(text) > 64)
    throw std::runtime_error(std::string(what) + " must have 1 to 64 characters");
  for (const char* c = text; *c; ++c)
    if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '_' || *c == '-' || *c == '.'))
      throw std::runtime_error(std::string(what) + " '" + text +
                               "' may only use letters, digits, '_', '-' and '.'");
  return text;
}

void add_initializer(onnx::GraphProto* graph, const std::string& name,
                     const std::vector<int64_t>& dims, const gf_onnx_constant& c) {
  onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  for (int64_t d : dims) t->add_dims(d);
  const bool floats = c.dtype == GF_ONNX_FLOAT32;
  t->set_data_type(floats ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT64);
  const size_t bytes = static_cast<size_t>(c.count) * (floats ? sizeof(float) : sizeof(int64_t));
  const void* data = floats ? static_cast<const void*>(c.floats) : static_cast<const void*>(c.ints);
  t->set_raw_data(data, bytes);
}

void copy_attr(onnx::NodeProto* node, const gf_onnx_attr& a) {
  onnx::AttributeProto* out = node->add_attribute();
  out->set_name(plain(a.name, "an attribute name"));
  if ((a.type == GF_ONNX_ATTR_INTS || a.type == GF_ONNX_ATTR_FLOATS) &&
      (a.n > kMaxAttrElements ||
       (a.n > 0 && !(a.type == GF_ONNX_ATTR_INTS ? (const void*)a.ints : (const void*)a.floats))))
    throw std::runtime_error(std::string("attribute '") + a.name + "': missing or too many values");
  switch (a.type) {
    case GF_ONNX_ATTR_INT:
      out->set_type(onnx::AttributeProto::INT);
      out->set_i(a.i);
      break;
    case GF_ONNX_ATTR_FLOAT:
      out->set_type(onnx::AttributeProto::FLOAT);
      out->set_f(static_cast<float>(a.f));
      break;
    case GF_ONNX_ATTR_STRING:
      if (!a.s) throw std::runtime_error(std::string("attribute '") + a.name + "' has no text");
      out->set_type(onnx::AttributeProto::STRING);
      out->set_s(a.s);
      break;
    case GF_ONNX_ATTR_INTS:
      out->set_type(onnx::AttributeProto::INTS);
      for (uint32_t i = 0; i < a.n; ++i) out->add_ints(a.ints[i]);
      break;
    case GF_ONNX_ATTR_FLOATS:
      out->set_type(onnx::AttributeProto::FLOATS);
      for (uint32_t i = 0; i < a.n; ++i) out->add_floats(a.floats[i]);
      break;
    default:
      throw std::runtime_error(std::string("attribute '") + a.name + "' has an unknown type");
  }
}

const char* host_tensor(void* host, const char* local_name, gf_error* err) {
  return detail::guarded_value(err, kNoName, [&] { return self(host).tensor(local_name); });
}
const char* host_constant(void* host, const char* hint, const gf_onnx_constant* value,
                          gf_error* err) {
  return detail::guarded_value(err, kNoName, [&]() -> const char* {
    if (!value) throw std::runtime_error("constant() without a value");
    return self(host).constant(hint, *value);
  });
}
const char* host_temp(void* host, const char* hint) {
  gf_error ignored{};
  return detail::guarded_value(&ignored, kNoName, [&] { return self(host).temp(hint); });
}
int host_add_node(void* host, const char* op_type, const char* const* inputs, uint32_t n_inputs,
                  const char* const* outputs, uint32_t n_outputs, const gf_onnx_attr* attrs,
                  uint32_t n_attrs, gf_error* err) {
  return detail::guarded(err, [&] {
    self(host).add_node(op_type, inputs, n_inputs, outputs, n_outputs, attrs, n_attrs);
  });
}

}  // namespace

gf_onnx_export OnnxExporter::host_struct(const PlannedNode& node, std::vector<const char*>& inputs,
                                         std::vector<gf_shape>& shapes) {
  for (int v : node.inputs) {
    const Value& value = model_.values()[static_cast<size_t>(v)];
    inputs.push_back(value.name.c_str());
    shapes.push_back(to_gf_shape(value.shape));
  }
  const Value& out = model_.values()[static_cast<size_t>(node.output)];
  gf_onnx_export ex{};
  ex.struct_size = sizeof ex;
  ex.host = this;
  ex.opset = kOnnxExportOpset;
  ex.node = node.spec->name.c_str();
  ex.n_inputs = static_cast<uint32_t>(inputs.size());
  ex.inputs = inputs.data();
  ex.in_shapes = shapes.data();
  ex.out_shape = to_gf_shape(out.shape);
  ex.output = out.name.c_str();
  ex.tensor = &host_tensor;
  ex.constant = &host_constant;
  ex.temp = &host_temp;
  ex.add_node = &host_add_node;
  return ex;
}

const char* OnnxExporter::keep(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back().c_str();
}

std::string OnnxExporter::fresh(const std::string& base) {
  std::string name = base;
  for (int k = 2; names_.count(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

const char* OnnxExporter::tensor(const char* local_name) {
  const std::string node = current_->spec->name;
  const std::string full = node + "." + plain(local_name, "a tensor name");
  auto find = [&](const auto& list, const std::vector<int>& indices) -> const Tensor* {
    for (int i : indices)
      if (list[static_cast<size_t>(i)].name == full) return &list[static_cast<size_t>(i)].value;
    return nullptr;
  };
  const Tensor* value = find(model_.parameters(), current_->params);
  if (!value) value = find(model_.states(), current_->states);
  if (!value) throw std::runtime_error("node '" + node + "' has no tensor '" + local_name + "'");
  auto known = tensors_.find(full);
  if (known == tensors_.end()) {
    // A node may be called "hidden.weight" too; its name was reserved first.
    const std::string name = fresh(full);
    gf_onnx_constant c{};
    c.dtype = GF_ONNX_FLOAT32;
    c.count = value->size();
    c.floats = value->data();
    add_initializer(graph_, name, value->shape(), c);
    defined_.insert(name);
    known = tensors_.emplace(full, name).first;
  }
  return keep(known->second);
}

const char* OnnxExporter::constant(const char* hint, const gf_onnx_constant& c) {
  if (c.dtype != GF_ONNX_FLOAT32 && c.dtype != GF_ONNX_INT64)
    throw std::runtime_error("constant(): dtype must be float32 or int64");
  if (c.rank > GF_ONNX_MAX_RANK) throw std::runtime_error("constant(): rank above 8");
  int64_t count = 1;
  std::vector<int64_t> dims;
  for (uint32_t i = 0; i < c.rank; ++i) {
    if (c.dims[i] < 0 || (c.dims[i] > 0 && count > kMaxSampleElements / c.dims[i]))
      throw std::runtime_error("constant(): bad or too large dimensions");
    count *= c.dims[i];
    dims.push_back(c.dims[i]);
  }
  const void* data = c.dtype == GF_ONNX_FLOAT32 ? static_cast<const void*>(c.floats) : c.ints;
  if (count != c.count || (count > 0 && !data))
    throw std::runtime_error("constant(): the count does not match the dimensions");
  const std::string name = fresh(current_->spec->name + "/" + plain(hint, "a constant's hint"));
  add_initializer(graph_, name, dims, c);
  defined_.insert(name);
  return keep(name);
}

const char* OnnxExporter::temp(const char* hint) {
  const std::string name = fresh(current_->spec->name + "/" + plain(hint, "a value's hint"));
  temps_.insert(name);
  return keep(name);
}

void OnnxExporter::add_node(const char* op_type, const char* const* inputs, uint32_t n_inputs,
                            const char* const* outputs, uint32_t n_outputs,
                            const gf_onnx_attr* attrs, uint32_t n_attrs) {
  const std::string type = plain(op_type, "an ONNX op type");
  if (n_inputs > kMaxPorts || n_outputs == 0 || n_outputs > kMaxPorts || n_attrs > kMaxAttrs ||
      (n_inputs && !inputs) || !outputs || (n_attrs && !attrs))
    throw std::runtime_error("add_node(" + type + "): bad counts of inputs, outputs or attributes");
  onnx::NodeProto* node = graph_->add_node();
  const std::string base = current_->spec->name;
  std::string name = emitted_++ == 0 ? base : base + "/" + type;
  for (int k = 2; node_names_.count(name); ++k) name = base + "/" + type + "_" + std::to_string(k);
  node_names_.insert(name);
  node->set_name(name);
  node->set_op_type(type);
  for (uint32_t i = 0; i < n_inputs; ++i) {
    if (!inputs[i]) throw std::runtime_error("add_node(" + type + "): a null input name");
    if (*inputs[i] && !defined_.count(inputs[i]))
      throw std::runtime_error("add_node(" + type + "): input '" + inputs[i] +
                               "' is not defined yet");
    node->add_input(inputs[i]);
  }
  for (uint32_t i = 0; i < n_outputs; ++i) {
    const char* own = model_.values()[static_cast<size_t>(current_->output)].name.c_str();
    if (!outputs[i] || (std::strcmp(outputs[i], own) != 0 && !temps_.count(outputs[i])) ||
        defined_.count(outputs[i]))
      throw std::runtime_error("add_node(" + type +
                               "): an output must be the node's output or "
                               "a name from temp(), written once");
    node->add_output(outputs[i]);
    names_.insert(outputs[i]);
    defined_.insert(outputs[i]);
  }
  for (uint32_t i = 0; i < n_attrs; ++i) copy_attr(node, attrs[i]);
}

}  // namespace gradflow
