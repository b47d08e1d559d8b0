// Checks an ONNX file's protobuf encoding before it is parsed.
#pragma once

#include <string>
#include <string_view>

namespace gradflow {

// Walks the wire format of a ModelProto: throws InputError naming `file`, the byte offset and
// the field path ("model.graph[0].node[3].attribute[1]") where the encoding is broken, and
// returns an upper bound of the bytes protobuf would allocate to read it.
double check_onnx_wire(std::string_view bytes, const std::string& file);

}  // namespace gradflow
