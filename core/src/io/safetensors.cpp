#include <gradflow/safetensors.hpp>

#include <gradflow/diagnostics.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gradflow {
namespace {

// Tensor bytes are copied straight to and from float memory, which is only the on-disk layout
// on a little-endian machine.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a byte-swapping path would be needed here");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

constexpr size_t kLengthBytes = 8;
// The reference implementation refuses headers above 100 MB; a real header for even a huge
// model is a few hundred kilobytes, so anything bigger is corruption or an attack.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests three levels deep ({name: {shape: [..]}}); refusing deeper input before
// parsing keeps hostile files from building huge recursive structures.
constexpr int kMaxNesting = 8;
constexpr const char* kMetadataKey = "__metadata__";

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& source, std::string message) {
  throw InputError(SourceLocation{source, 0, 0}, std::move(message));
}

std::string json_quoted(const std::string& text) {
  // Names come from the file and may hold anything; dump() escapes control characters and its
  // "replace" handler keeps invalid UTF-8 from throwing while we are building an error message.
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// nlohmann quotes the offending input in its messages; keep raw file bytes off the terminal.
std::string printable(std::string text) {
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text;
}

// Compact JSON string literal for the encoder; invalid UTF-8 is a caller bug there.
std::string json_string(const std::string& text, const char* what) {
  try {
    return Json(text).dump();
  } catch (const Json::exception&) {
    throw std::invalid_argument(fmt::format("safetensors: {} is not valid UTF-8", what));
  }
}

bool checked_element_count(const std::vector<int64_t>& shape, uint64_t* count) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
  }
  *count = n;
  return true;
}

// Scans JSON text for nesting depth, skipping brackets inside strings.
int max_nesting(const char* begin, const char* end) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char* p = begin; p != end; ++p) {
    char c = *p;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxNesting) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// Reads a JSON number that must be a non-negative integer (nlohmann stores small
// non-negative integers as unsigned, negative ones as signed, and anything with a fraction or
// exponent as a float, which we reject rather than round).
bool read_unsigned(const Json& value, uint64_t* out) {
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(value.get<int64_t>());
    return true;
  }
  return false;
}

struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
  size_t file_order = 0;
};

Entry parse_entry(const std::string& source, const std::string& name, const Json& info,
                  uint64_t buffer_size, size_t file_order) {
  const std::string where = "tensor " + json_quoted(name);
  if (!info.is_object()) fail(source, where + ": entry must be a JSON object");
  for (const auto& [key, unused] : info.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      fail(source, fmt::format("{}: unknown field {}", where, json_quoted(key)));
    }
  }
  if (!info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets")) {
    fail(source, where + ": entry needs \"dtype\", \"shape\" and \"data_offsets\"");
  }

  const Json& dtype = info.at("dtype");
  if (!dtype.is_string()) fail(source, where + ": \"dtype\" must be a string");
  if (dtype.get<std::string>() != "F32") {
    fail(source, fmt::format("{} has dtype {}; only F32 is supported", where,
                             json_quoted(dtype.get<std::string>())));
  }

  Entry entry;
  entry.name = name;
  entry.file_order = file_order;
  const Json& shape = info.at("shape");
  if (!shape.is_array()) fail(source, where + ": \"shape\" must be an array");
  for (const Json& d : shape) {
    uint64_t extent = 0;
    if (!read_unsigned(d, &extent) ||
        extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(source, where + ": shape entries must be non-negative integers");
    }
    entry.shape.push_back(static_cast<int64_t>(extent));
  }

  const Json& offsets = info.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !read_unsigned(offsets[0], &entry.begin) ||
      !read_unsigned(offsets[1], &entry.end)) {
    fail(source, where + ": \"data_offsets\" must be two non-negative integers [begin, end]");
  }
  if (entry.begin > entry.end) {
    fail(source, fmt::format("{}: data_offsets [{}, {}] end before they begin", where, entry.begin,
                             entry.end));
  }
  if (entry.end > buffer_size) {
    fail(source, fmt::format("{}: data_offsets [{}, {}] lie outside the {}-byte data buffer", where,
                             entry.begin, entry.end, buffer_size));
  }

  uint64_t count = 0, bytes = 0;
  const bool representable = checked_element_count(entry.shape, &count) &&
                             !__builtin_mul_overflow(count, uint64_t{4}, &bytes);
  if (!representable || bytes != entry.end - entry.begin) {
    fail(source, fmt::format("{}: shape {} needs {} bytes but data_offsets [{}, {}] span {}", where,
                             shape.dump(), representable ? std::to_string(bytes) : "2^64+",
                             entry.begin, entry.end, entry.end - entry.begin));
  }
  return entry;
}

Metadata parse_metadata(const std::string& source, const Json& value) {
  if (!value.is_object()) fail(source, "\"__metadata__\" must be a JSON object of strings");
  Metadata metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) {
      fail(source, fmt::format("\"__metadata__\" value for {} must be a string", json_quoted(key)));
    }
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

// Parses the header and rejects duplicate keys, which nlohmann would otherwise resolve
// silently by keeping one of them, hiding a tensor that another reader might pick.
Json parse_header(const std::string& source, const char* begin, const char* end) {
  if (max_nesting(begin, end) > kMaxNesting) fail(source, "header JSON is nested too deeply");
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto watch_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(begin, end, watch_keys);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number too big for a double throws out_of_range.
    fail(source, fmt::format("header is not valid JSON ({})", printable(e.what())));
  }
  if (!duplicate.empty()) fail(source, "header names " + json_quoted(duplicate) + " twice");
  if (!header.is_object()) fail(source, "header must be a JSON object");
  return header;
}

}  // namespace

std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const Metadata& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    // The reference writer puts the metadata first; std::map keeps its keys in a stable order.
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ',';
      first = false;
      header += json_string(key, "metadata key") + ':' + json_string(value, "metadata value");
    }
    header += '}';
  }

  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    if (t.name == kMetadataKey || !seen.insert(t.name).second) {
      throw std::invalid_argument("safetensors: tensor name '" + t.name +
                                  "' is reserved or used twice");
    }
    uint64_t count = 0;
    if (!checked_element_count(t.shape, &count) || count != t.data.size()) {
      throw std::invalid_argument("safetensors: shape of tensor '" + t.name +
                                  "' does not match its data");
    }
    if (header.size() > 1) header += ',';
    header += json_string(t.name, "tensor name");
    header += ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i > 0) header += ',';
      header += std::to_string(t.shape[i]);
    }
    uint64_t end = offset + count * sizeof(float);
    header += fmt::format("],\"data_offsets\":[{},{}]}}", offset, end);
    offset = end;
  }
  header += '}';
  // Padding keeps the data buffer 8-byte aligned for readers that map the file.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(kLengthBytes + header.size() + offset);
  uint64_t n = header.size();
  for (size_t i = 0; i < kLengthBytes; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  for (const NamedTensor& t : tensors) {
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  return out;
}

std::vector<NamedTensor> decode_safetensors(const std::string& bytes, const std::string& source,
                                            Metadata* metadata) {
  if (bytes.empty()) fail(source, "file is empty; expected a safetensors file");
  if (bytes.size() < kLengthBytes) {
    fail(source,
         fmt::format("file is {} bytes, too short to hold the 8-byte header length", bytes.size()));
  }
  uint64_t n = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  const uint64_t after_length = bytes.size() - kLengthBytes;
  if (n > kMaxHeaderBytes) {
    fail(source, fmt::format("header length {} exceeds the {}-byte limit", n, kMaxHeaderBytes));
  }
  if (n > after_length) {
    fail(source, fmt::format("header length {} is larger than the {} bytes that follow it", n,
                             after_length));
  }
  const char* header_begin = bytes.data() + kLengthBytes;
  // The reference reader insists on an object right away, rejecting leading whitespace.
  if (n == 0 || *header_begin != '{') fail(source, "header must start with '{'");

  Json header = parse_header(source, header_begin, header_begin + n);
  const uint64_t buffer_size = after_length - n;

  Metadata found_metadata;
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      found_metadata = parse_metadata(source, info);
    } else {
      entries.push_back(parse_entry(source, name, info, buffer_size, entries.size()));
    }
  }

  // Sorting by offset turns "no overlaps, no gaps, nothing left over" into a walk that checks
  // each tensor starts exactly where the previous one ended.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.file_order) < std::tie(b.begin, b.end, b.file_order);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered) {
      fail(source, fmt::format("tensor {} (bytes {}..{}) overlaps tensor {} (bytes {}..{})",
                               json_quoted(e.name), e.begin, e.end, json_quoted(previous->name),
                               previous->begin, previous->end));
    }
    if (e.begin > covered) {
      fail(source, fmt::format("gap in the data buffer: bytes {}..{} before tensor {} belong to "
                               "no tensor",
                               covered, e.begin, json_quoted(e.name)));
    }
    covered = e.end;
    previous = &e;
  }
  if (covered != buffer_size) {
    fail(source, fmt::format("data buffer has {} bytes but the tensors cover only {}", buffer_size,
                             covered));
  }

  const char* buffer = header_begin + n;
  std::vector<NamedTensor> tensors;
  tensors.reserve(entries.size());
  for (Entry& e : entries) {
    NamedTensor t;
    t.name = std::move(e.name);
    t.shape = std::move(e.shape);
    t.data.resize((e.end - e.begin) / sizeof(float));
    if (!t.data.empty()) std::memcpy(t.data.data(), buffer + e.begin, e.end - e.begin);
    tensors.push_back(std::move(t));
  }
  if (metadata != nullptr) *metadata = std::move(found_metadata);
  return tensors;
}

}  // namespace gradflow
