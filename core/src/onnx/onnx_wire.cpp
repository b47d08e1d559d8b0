// A walk over the protobuf wire format of an ONNX file before protobuf builds anything: it
// finds where a broken file breaks (protobuf itself only says "failed") and what reading it
// would cost, so that a small hostile file cannot make the parser allocate gigabytes (an empty
// sub-message takes 2 bytes on disk and a few hundred in memory).
#include "onnx/onnx_wire.hpp"

#include <gradflow/diagnostics.hpp>

#include <array>
#include <string>

namespace gradflow {
namespace {

// The message types of onnx-ml.proto (ONNX 1.12) that contain other messages or repeated
// numbers; every other length-delimited field is a string or bytes.
enum class Msg {
  Model,
  Graph,
  Node,
  Attribute,
  Tensor,
  Sparse,
  ValueInfo,
  Type,
  TypeTensor,
  TypeNested,
  TypeMap,
  Shape,
  Dim,
  Opset,
  Entry,
  Annotation,
  Segment,
  Training,
  Function,
  Opaque,
  Leaf
};

struct Field {
  int number;
  const char* name;
  Msg type;   // Leaf: not a message
  bool many;  // repeated (for a Leaf: repeated numbers, packed or not)
};

// Field tables; a field not listed is a scalar, a string or bytes.
constexpr std::array kModel{
    Field{7, "graph", Msg::Graph, false}, Field{8, "opset_import", Msg::Opset, true},
    Field{14, "metadata_props", Msg::Entry, true}, Field{20, "training_info", Msg::Training, true},
    Field{25, "functions", Msg::Function, true}};
constexpr std::array kGraph{Field{1, "node", Msg::Node, true},
                            Field{5, "initializer", Msg::Tensor, true},
                            Field{15, "sparse_initializer", Msg::Sparse, true},
                            Field{11, "input", Msg::ValueInfo, true},
                            Field{12, "output", Msg::ValueInfo, true},
                            Field{13, "value_info", Msg::ValueInfo, true},
                            Field{14, "quantization_annotation", Msg::Annotation, true}};
constexpr std::array kNode{Field{5, "attribute", Msg::Attribute, true}};
constexpr std::array kAttribute{Field{5, "t", Msg::Tensor, false},
                                Field{6, "g", Msg::Graph, false},
                                Field{22, "sparse_tensor", Msg::Sparse, false},
                                Field{14, "tp", Msg::Type, false},
                                Field{10, "tensors", Msg::Tensor, true},
                                Field{11, "graphs", Msg::Graph, true},
                                Field{23, "sparse_tensors", Msg::Sparse, true},
                                Field{15, "type_protos", Msg::Type, true},
                                Field{7, "floats", Msg::Leaf, true},
                                Field{8, "ints", Msg::Leaf, true}};
constexpr std::array kTensor{
    Field{1, "dims", Msg::Leaf, true},         Field{3, "segment", Msg::Segment, false},
    Field{4, "float_data", Msg::Leaf, true},   Field{5, "int32_data", Msg::Leaf, true},
    Field{7, "int64_data", Msg::Leaf, true},   Field{10, "double_data", Msg::Leaf, true},
    Field{11, "uint64_data", Msg::Leaf, true}, Field{13, "external_data", Msg::Entry, true}};
constexpr std::array kSparse{Field{1, "values", Msg::Tensor, false},
                             Field{2, "indices", Msg::Tensor, false},
                             Field{3, "dims", Msg::Leaf, true}};
constexpr std::array kValueInfo{Field{2, "type", Msg::Type, false}};
constexpr std::array kType{Field{1, "tensor_type", Msg::TypeTensor, false},
                           Field{4, "sequence_type", Msg::TypeNested, false},
                           Field{5, "map_type", Msg::TypeMap, false},
                           Field{9, "optional_type", Msg::TypeNested, false},
                           Field{8, "sparse_tensor_type", Msg::TypeTensor, false},
                           Field{7, "opaque_type", Msg::Opaque, false}};
constexpr std::array kTypeTensor{Field{2, "shape", Msg::Shape, false}};
constexpr std::array kTypeNested{Field{1, "elem_type", Msg::Type, false}};
constexpr std::array kTypeMap{Field{2, "value_type", Msg::Type, false}};
constexpr std::array kShape{Field{1, "dim", Msg::Dim, true}};
constexpr std::array kAnnotation{Field{2, "quant_parameter_tensor_names", Msg::Entry, true}};
constexpr std::array kTraining{Field{1, "initialization", Msg::Graph, false},
                               Field{2, "algorithm", Msg::Graph, false},
                               Field{3, "initialization_binding", Msg::Entry, true},
                               Field{4, "update_binding", Msg::Entry, true}};
constexpr std::array kFunction{Field{7, "node", Msg::Node, true},
                               Field{9, "opset_import", Msg::Opset, true}};

template <size_t N>
const Field* lookup(const std::array<Field, N>& table, int number) {
  for (const Field& f : table)
    if (f.number == number) return &f;
  return nullptr;
}

const Field* find_field(Msg type, int number) {
  switch (type) {
    case Msg::Model:
      return lookup(kModel, number);
    case Msg::Graph:
      return lookup(kGraph, number);
    case Msg::Node:
      return lookup(kNode, number);
    case Msg::Attribute:
      return lookup(kAttribute, number);
    case Msg::Tensor:
      return lookup(kTensor, number);
    case Msg::Sparse:
      return lookup(kSparse, number);
    case Msg::ValueInfo:
      return lookup(kValueInfo, number);
    case Msg::Type:
      return lookup(kType, number);
    case Msg::TypeTensor:
      return lookup(kTypeTensor, number);
    case Msg::TypeNested:
      return lookup(kTypeNested, number);
    case Msg::TypeMap:
      return lookup(kTypeMap, number);
    case Msg::Shape:
      return lookup(kShape, number);
    case Msg::Annotation:
      return lookup(kAnnotation, number);
    case Msg::Training:
      return lookup(kTraining, number);
    case Msg::Function:
      return lookup(kFunction, number);
    default:
      return nullptr;
  }
}

// What one parsed element costs at most in memory: a message object with its bookkeeping,
// a number in a repeated field, a string's header.
constexpr double kMessageBytes = 512;
constexpr double kNumberBytes = 8;
constexpr double kStringBytes = 48;
// protobuf refuses deeper nesting (its default recursion limit is 100).
constexpr int kMaxDepth = 64;

class Walker {
 public:
  Walker(std::string_view bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  double walk() {
    message(0, bytes_.size(), Msg::Model, "model", 0);
    return cost_;
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& path, const std::string& what) const {
    throw InputError(
        SourceLocation{file_, 0, 0},
        "not a valid ONNX file: byte " + std::to_string(at) + " (in " + path + "): " + what);
  }

  // `path` is called only to report a failure.
  template <class PathFn>
  uint64_t varint(size_t& at, size_t end, const PathFn& path) const {
    const size_t start = at;
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= end) fail(start, path(), "a number runs past the end of its message");
      const auto byte = static_cast<unsigned char>(bytes_[at++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    fail(start, path(), "a number longer than 10 bytes");
  }

  void message(size_t at, size_t end, Msg type, const std::string& path, int depth) {
    if (depth > kMaxDepth) fail(at, path, "messages nested deeper than 64");
    cost_ += kMessageBytes;
    std::array<int, 32> seen{};  // how many of each repeated field came, for paths
    auto here = [&] { return path; };
    while (at < end) {
      const size_t field_start = at;
      const uint64_t tag = varint(at, end, here);
      const uint64_t number = tag >> 3;
      if (number == 0 || number > 536870911)
        fail(field_start, path, "field number " + std::to_string(number) + " is invalid");
      const Field* f = find_field(type, static_cast<int>(number));
      // Built only for a message: a path per number would cost more than the walk.
      auto field_path = [&] {
        return path + "." + (f ? f->name : "field " + std::to_string(number));
      };
      switch (tag & 7) {
        case 0:
          varint(at, end, field_path);
          cost_ += kNumberBytes;
          break;
        case 1:
          skip(at, end, 8, path);
          break;
        case 5:
          skip(at, end, 4, path);
          break;
        case 2:
          length_delimited(at, end, f, field_path, depth, seen);
          break;
        default:
          fail(field_start, field_path(),
               "wire type " + std::to_string(tag & 7) +
                   " is not used by ONNX (is this an ONNX file?)");
      }
    }
  }

  void skip(size_t& at, size_t end, size_t n, const std::string& path) {
    if (end - at < n) fail(at, path, "a fixed-size number runs past the end of its message");
    at += n;
    cost_ += kNumberBytes;
  }

  template <class PathFn>
  void length_delimited(size_t& at, size_t end, const Field* f, const PathFn& path, int depth,
                        std::array<int, 32>& seen) {
    const size_t start = at;
    const uint64_t length = varint(at, end, path);
    if (length > end - at)
      fail(start, path(),
           "declares " + std::to_string(length) + " bytes but its message has " +
               std::to_string(end - at) + " left (a truncated file?)");
    const size_t body = at;
    at += static_cast<size_t>(length);
    if (!f || f->type == Msg::Leaf) {
      // Packed numbers take at least one byte each; strings cost their bytes.
      cost_ += (f && f->many) ? kNumberBytes * static_cast<double>(length)
                              : kStringBytes + static_cast<double>(length);
      return;
    }
    const size_t slot = static_cast<size_t>(f->number) % seen.size();
    const std::string index = f->many ? "[" + std::to_string(seen[slot]++) + "]" : "";
    message(body, at, f->type, path() + index, depth + 1);
  }

  std::string_view bytes_;
  const std::string& file_;
  double cost_ = 0;
};

}  // namespace

double check_onnx_wire(std::string_view bytes, const std::string& file) {
  return Walker(bytes, file).walk();
}

}  // namespace gradflow
