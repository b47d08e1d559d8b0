// The host side of gf_onnx_import: what an op's importer may look at and say. Every callback
// checks its arguments (a plugin is untrusted) and never lets an exception cross into the
// plugin's code.
#include "onnx/onnx_import.hpp"

#include <gradflow/detail/error_guard.hpp>
#include <gradflow/graph_spec.hpp>

#include <yaml-cpp/yaml.h>

#include <cstring>

namespace gradflow {
namespace {

constexpr uint32_t kMaxChain = 16;
constexpr size_t kMaxYamlText = 4096;

OnnxImporter& self(void* host) {
  return *static_cast<OnnxImporter*>(host);
}

bool plain_key(const char* key) {
  if (!key || !*key || std::strlen(key) > 64) return false;
  for (const char* c = key; *c; ++c)
    if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '_')) return false;
  return std::strcmp(key, "name") != 0 && std::strcmp(key, "op") != 0 &&
         std::strcmp(key, "inputs") != 0;
}

// YAML text in flow style, so that it fits on the node's line whatever the op wrote.
std::string flow_yaml(const char* text) {
  if (!text || std::strlen(text) > kMaxYamlText) throw std::runtime_error("missing or long YAML");
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception&) {
    throw std::runtime_error(std::string("'") + text + "' is not YAML");
  }
  if (!value.IsDefined() || value.IsNull()) throw std::runtime_error("an empty attribute value");
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

ImportClaim& claimed(void* host) {
  ImportClaim& c = self(host).claim();
  if (c.count == 0) throw std::runtime_error("claim() must come first");
  return c;
}

int host_node(void* host, uint32_t at, const char** op_type, const char** domain, const char** name,
              uint32_t* n_inputs, uint32_t* n_outputs) {
  try {
    const int index = self(host).node_at(at);
    if (index < 0) return 0;
    const onnx::NodeProto& n = self(host).node(index);
    if (op_type) *op_type = n.op_type().c_str();
    if (domain) *domain = n.domain() == "ai.onnx" ? "" : n.domain().c_str();
    if (name) *name = n.name().c_str();
    if (n_inputs) *n_inputs = static_cast<uint32_t>(n.input_size());
    if (n_outputs) *n_outputs = static_cast<uint32_t>(n.output_size());
    return 1;
  } catch (...) {
    return 0;
  }
}

uint32_t attr_type(const onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      return GF_ONNX_ATTR_INT;
    case onnx::AttributeProto::FLOAT:
      return GF_ONNX_ATTR_FLOAT;
    case onnx::AttributeProto::STRING:
      return GF_ONNX_ATTR_STRING;
    case onnx::AttributeProto::INTS:
      return GF_ONNX_ATTR_INTS;
    case onnx::AttributeProto::FLOATS:
      return GF_ONNX_ATTR_FLOATS;
    default:
      return GF_ONNX_ATTR_OTHER;
  }
}

int host_attr(void* host, uint32_t at, const char* name, gf_onnx_attr* out) {
  try {
    const int index = self(host).node_at(at);
    if (index < 0 || !name || !out) return 0;
    for (const auto& a : self(host).node(index).attribute()) {
      if (a.name() != name) continue;
      *out = gf_onnx_attr{};
      out->name = a.name().c_str();
      out->type = attr_type(a);
      out->i = a.i();
      out->f = a.f();
      out->s = a.s().c_str();
      if (out->type == GF_ONNX_ATTR_INTS) {
        out->ints = a.ints().data();
        out->n = static_cast<uint32_t>(a.ints_size());
      } else if (out->type == GF_ONNX_ATTR_FLOATS) {
        out->floats = a.floats().data();
        out->n = static_cast<uint32_t>(a.floats_size());
      }
      return 1;
    }
    return 0;
  } catch (...) {
    return 0;
  }
}

int host_input(void* host, uint32_t at, uint32_t i, gf_onnx_value* out) {
  try {
    const int index = self(host).node_at(at);
    if (index < 0 || !out) return 0;
    *out = gf_onnx_value{};
    const onnx::NodeProto& n = self(host).node(index);
    if (i >= static_cast<uint32_t>(n.input_size()) || n.input(static_cast<int>(i)).empty()) {
      out->kind = GF_ONNX_ABSENT;
      return 1;
    }
    const std::string& name = n.input(static_cast<int>(i));
    const ImportValue* v = self(host).value(name);
    out->name = name.c_str();
    if (!v) {
      // The output of an earlier node of the chain: computed, its shape not known yet.
      if (!self(host).chain_output(name, at)) return 0;
      out->kind = GF_ONNX_RUNTIME;
      out->shape.rank = GF_ONNX_UNKNOWN_RANK;
      return 1;
    }
    out->kind = v->kind;
    if (v->kind == GF_ONNX_CONSTANT) {
      out->constant = v->constant.view();
    } else if (!v->shape_known) {
      out->shape.rank = GF_ONNX_UNKNOWN_RANK;
    } else {
      out->shape.rank = static_cast<uint32_t>(v->shape.size());
      for (size_t d = 0; d < v->shape.size() && d < GF_MAX_RANK; ++d)
        out->shape.dims[d] = v->shape[d];
    }
    return 1;
  } catch (...) {
    return 0;
  }
}

int host_claim(void* host, uint32_t count, const char* op, gf_error* err) {
  return detail::guarded(err, [&] {
    ImportClaim& c = self(host).claim();
    if (c.count > 0 || c.alias) throw std::runtime_error("claim() or alias() was already called");
    if (count == 0 || count > kMaxChain || self(host).node_at(count - 1) < 0)
      throw std::runtime_error("claim(" + std::to_string(count) +
                               "): there is no such chain of nodes here");
    if (!op || !*op) throw std::runtime_error("claim() without an op name");
    c.count = count;
    c.op = op;
  });
}

int host_set_attr(void* host, const char* key, const char* yaml, gf_error* err) {
  return detail::guarded(err, [&] {
    ImportClaim& c = claimed(host);
    if (!plain_key(key)) throw std::runtime_error("set_attr(): bad attribute name");
    for (const auto& [k, v] : c.attrs)
      if (k == key) throw std::runtime_error(std::string("attribute '") + key + "' set twice");
    if (c.attrs.size() >= 64) throw std::runtime_error("more than 64 attributes");
    c.attrs.emplace_back(key, flow_yaml(yaml));
  });
}

int host_add_input(void* host, uint32_t at, uint32_t i, gf_error* err) {
  return detail::guarded(err, [&] {
    ImportClaim& c = claimed(host);
    const int index = at < c.count ? self(host).node_at(at) : -1;
    if (index < 0)
      throw std::runtime_error("add_input(): node " + std::to_string(at) +
                               " is not among the claimed nodes");
    const onnx::NodeProto& n = self(host).node(index);
    if (i >= static_cast<uint32_t>(n.input_size()) || n.input(static_cast<int>(i)).empty())
      throw std::runtime_error("add_input(): the node has no input " + std::to_string(i));
    const ImportValue* v = self(host).value(n.input(static_cast<int>(i)));
    if (!v || v->kind != GF_ONNX_RUNTIME)
      throw std::runtime_error("add_input(): input '" + n.input(static_cast<int>(i)) +
                               "' is a constant; hand constants over as tensors or attributes");
    if (c.inputs.size() >= 16) throw std::runtime_error("more than 16 inputs");
    c.inputs.push_back(n.input(static_cast<int>(i)));
  });
}

int host_set_tensor(void* host, const char* name, const float* data, int64_t count, gf_error* err) {
  return detail::guarded(err, [&] {
    ImportClaim& c = claimed(host);
    if (!name || !*name || std::strlen(name) > 31)
      throw std::runtime_error("set_tensor(): a tensor name has 1 to 31 characters");
    if (count < 0 || count > kMaxSampleElements || (count > 0 && !data))
      throw std::runtime_error("set_tensor('" + std::string(name) + "'): bad data");
    if (c.tensors.count(name))
      throw std::runtime_error("tensor '" + std::string(name) + "' set twice");
    if (c.tensors.size() >= GF_MAX_PARAMS + GF_MAX_STATE)
      throw std::runtime_error("too many tensors");
    std::vector<float> values(data, data + count);
    require_finite(values, std::string("tensor '") + name + "'");
    c.tensors[name] = std::move(values);
  });
}

int host_alias(void* host, uint32_t i, gf_error* err) {
  return detail::guarded(err, [&] {
    ImportClaim& c = self(host).claim();
    if (c.count > 0 || c.alias) throw std::runtime_error("claim() or alias() was already called");
    const onnx::NodeProto& n = self(host).node(self(host).node_at(0));
    if (i >= static_cast<uint32_t>(n.input_size()) || n.input(static_cast<int>(i)).empty())
      throw std::runtime_error("alias(): the node has no input " + std::to_string(i));
    const ImportValue* v = self(host).value(n.input(static_cast<int>(i)));
    if (!v || v->kind != GF_ONNX_RUNTIME)
      throw std::runtime_error("alias(): input " + std::to_string(i) + " is a constant");
    c.alias = i;
  });
}

}  // namespace

gf_onnx_import OnnxImporter::host_struct() {
  gf_onnx_import im{};
  im.struct_size = sizeof im;
  im.host = this;
  im.opset = opset_;
  im.node = &host_node;
  im.attr = &host_attr;
  im.input = &host_input;
  im.claim = &host_claim;
  im.set_attr = &host_set_attr;
  im.add_input = &host_add_input;
  im.set_tensor = &host_set_tensor;
  im.alias = &host_alias;
  return im;
}

}  // namespace gradflow
