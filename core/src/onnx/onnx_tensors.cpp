#include "onnx/onnx_proto.hpp"

#include <gradflow/diagnostics.hpp>
#include <gradflow/graph_spec.hpp>

#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>

namespace gradflow {
namespace {

static_assert(std::endian::native == std::endian::little,
              "ONNX raw_data is little-endian; this reader copies it as it is");

const char* dtype_name(int32_t type) {
  static const char* const names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                      "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                      "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                      "COMPLEX128", "BFLOAT16"};
  return type >= 0 && type < 17 ? names[type] : "an unknown type";
}

int64_t element_count(const onnx::TensorProto& t, const std::string& where) {
  if (t.dims_size() > GF_ONNX_MAX_RANK)
    throw InputError(where + ": rank " + std::to_string(t.dims_size()) + " is above " +
                     std::to_string(GF_ONNX_MAX_RANK));
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw InputError(where + ": negative dimension " + std::to_string(d));
    if (d > 0 && count > kMaxSampleElements / d)
      throw InputError(where + ": more than " + std::to_string(kMaxSampleElements) +
                       " elements, above gradflow's limit for one tensor");
    count *= d;
  }
  return count;
}

template <class T, class Repeated>
std::vector<T> read_values(const onnx::TensorProto& t, const Repeated& typed, int64_t count,
                           const std::string& where) {
  std::vector<T> out;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<size_t>(count) * sizeof(T))
      throw InputError(where + ": raw_data holds " + std::to_string(t.raw_data().size()) +
                       " bytes but the dims need " + std::to_string(count * sizeof(T)));
    out.resize(static_cast<size_t>(count));
    if (count > 0) std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
    return out;
  }
  if (typed.size() != count)
    throw InputError(where + ": holds " + std::to_string(typed.size()) +
                     " values but the dims need " + std::to_string(count));
  out.assign(typed.begin(), typed.end());
  return out;
}

}  // namespace

void require_finite(const std::vector<float>& values, const std::string& where) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw InputError(where + ": element " + std::to_string(i) + " is " +
                       (std::isnan(values[i]) ? "NaN" : "infinite") +
                       "; weights must be finite numbers");
}

gf_onnx_constant OnnxConstant::view() const {
  gf_onnx_constant c{};
  c.dtype = dtype;
  c.rank = static_cast<uint32_t>(dims.size());
  for (size_t i = 0; i < dims.size() && i < GF_ONNX_MAX_RANK; ++i) c.dims[i] = dims[i];
  c.count = static_cast<int64_t>(dtype == GF_ONNX_FLOAT32 ? floats.size() : ints.size());
  c.floats = dtype == GF_ONNX_FLOAT32 ? floats.data() : nullptr;
  c.ints = dtype == GF_ONNX_INT64 ? ints.data() : nullptr;
  return c;
}

OnnxConstant decode_tensor(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    throw InputError(where + ": its data are in an external file, which gradflow does not read");
  if (t.has_segment()) throw InputError(where + ": segmented tensors are not supported");
  const int64_t count = element_count(t, where);
  OnnxConstant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    c.dtype = GF_ONNX_FLOAT32;
    c.floats = read_values<float>(t, t.float_data(), count, where);
    require_finite(c.floats, where);
  } else if (t.data_type() == onnx::TensorProto::INT64) {
    c.dtype = GF_ONNX_INT64;
    c.ints = read_values<int64_t>(t, t.int64_data(), count, where);
  } else {
    throw InputError(where + ": data type " + dtype_name(t.data_type()) +
                     " is not supported (float32 weights, int64 shapes)");
  }
  return c;
}

std::string gradflow_name(const std::string& onnx_name) {
  std::string name;
  for (char c : onnx_name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (ok)
      name += c;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.size() > 100) name.resize(100);
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Plain YAML would read these as null or a boolean rather than as a name.
  for (const char* word : {"null", "true", "false", "yes", "no", "on", "off", "y", "n"})
    if (lower == word) return "v_" + name;
  return name;
}

std::string comment_text(const std::string& text) {
  std::string out;
  for (char c : text) out += (c >= 32 && c < 127) ? c : '?';
  if (out.size() > 120) out = out.substr(0, 117) + "...";
  return out;
}

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  return 0;
}

}  // namespace gradflow

namespace gradflow {

OnnxConstant constant_node_value(const onnx::NodeProto& node, const std::string& where) {
  for (const auto& a : node.attribute()) {
    OnnxConstant c;
    if (a.name() == "value") return decode_tensor(a.t(), where + ": value");
    if (a.name() == "value_float") {
      c.floats = {a.f()};
      require_finite(c.floats, where);
    } else if (a.name() == "value_floats") {
      c.floats.assign(a.floats().begin(), a.floats().end());
      c.dims = {static_cast<int64_t>(c.floats.size())};
      require_finite(c.floats, where);
    } else if (a.name() == "value_int") {
      c.dtype = GF_ONNX_INT64;
      c.ints = {a.i()};
    } else if (a.name() == "value_ints") {
      c.dtype = GF_ONNX_INT64;
      c.ints.assign(a.ints().begin(), a.ints().end());
      c.dims = {static_cast<int64_t>(c.ints.size())};
    } else {
      continue;
    }
    return c;
  }
  throw InputError(where + ": a Constant without a float or int value");
}

std::vector<int64_t> input_shape(const onnx::ValueInfoProto& input, const std::string& where) {
  if (!input.type().has_tensor_type()) throw InputError(where + ": not a tensor");
  const auto& tensor = input.type().tensor_type();
  if (tensor.elem_type() != onnx::TensorProto::FLOAT)
    throw InputError(where + ": of type " + dtype_name(tensor.elem_type()) +
                     "; gradflow's inputs are float32");
  if (!tensor.has_shape() || tensor.shape().dim_size() < 1)
    throw InputError(where + ": has no shape with a batch dimension");
  const auto& dims = tensor.shape().dim();
  if (dims.size() - 1 > GF_MAX_RANK)
    throw InputError(where + ": a sample of rank " + std::to_string(dims.size() - 1) +
                     " (gradflow's limit is " + std::to_string(GF_MAX_RANK) + ")");
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (int i = 1; i < dims.size(); ++i) {
    const int64_t d = dims[i].has_dim_value() ? dims[i].dim_value() : 0;
    if (d < 1 || d > kMaxSampleElements / count)
      throw InputError(where + ": dimension " + std::to_string(i) +
                       " must be a fixed size "
                       "from 1 to " +
                       std::to_string(kMaxSampleElements / count) +
                       " (only the batch may be symbolic)");
    count *= d;
    shape.push_back(d);
  }
  return shape;
}

}  // namespace gradflow
