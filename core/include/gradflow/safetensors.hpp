// The safetensors file format (8-byte little-endian header length, JSON header, raw data), so
// NumPy and PyTorch users can read gradflow's weights with the `safetensors` package.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gradflow {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // F32, row-major
};

using Metadata = std::map<std::string, std::string>;

std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const Metadata& metadata);

// Validates everything (header size, JSON, dtypes, offsets, overlaps, total length) before
// touching data; throws InputError naming `source` on any problem.
std::vector<NamedTensor> decode_safetensors(const std::string& bytes, const std::string& source,
                                            Metadata* metadata = nullptr);

}  // namespace gradflow
