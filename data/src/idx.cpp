// LeCun's IDX format (MNIST, Fashion-MNIST): a big-endian header -- two zero bytes, a type
// code, the number of dimensions, one uint32 per dimension -- followed by the raw values.
// Files may be gzip-compressed; we detect that by the magic bytes, not by the file name.
#include "data_internal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace gradflow {
namespace {

using data_detail::checked_mul;

constexpr unsigned kTypeUnsignedByte = 0x08;
// Enough for the largest possible header (255 dimensions), so one bounded inflate pass
// always yields the header of a compressed file.
constexpr uint64_t kMaxHeaderBytes = 4 + 4 * 255;
// The most an IDX file may hold once decompressed: 40 times Fashion-MNIST's training images,
// and a bound on what a small compressed file can make us allocate.
constexpr uint64_t kMaxPayloadBytes = uint64_t{2} << 30;
// Deflate's best case is 258 bytes from one 2-bit code (about 1032:1); gzip adds a header.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct IdxKind {
  const char* what;     // "image" or "label"
  unsigned dimensions;  // 3 for images (count, rows, columns), 1 for labels
  const char* layout;   // for messages
};
constexpr IdxKind kImages{"image", 3, "images x rows x columns"};
constexpr IdxKind kLabels{"label", 1, "labels"};

struct IdxHeader {
  std::vector<int64_t> dims;
  int64_t header_bytes = 0;
  int64_t payload_bytes = 0;
};

[[noreturn]] void fail(const std::string& name, const std::string& message) {
  throw InputError(SourceLocation{name, 0, 0}, message);
}

uint32_t read_be32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// Parses and checks the header only; the payload is checked by the caller against the
// bytes actually present, before anything is allocated.
IdxHeader parse_header(std::string_view bytes, const std::string& name, const IdxKind& kind) {
  if (bytes.empty())
    fail(name, "file is empty (expected an IDX " + std::string(kind.what) + " file)");
  if (bytes.size() < 4) {
    fail(name, fmt::format("too short for an IDX file: {} bytes, the magic number alone needs 4",
                           bytes.size()));
  }
  uint32_t magic = read_be32(bytes, 0);
  uint32_t expected_magic = (kTypeUnsignedByte << 8) | kind.dimensions;
  unsigned type = (magic >> 8) & 0xff;
  unsigned ndims = magic & 0xff;
  if ((magic >> 16) != 0) {
    fail(name, fmt::format("not an IDX file: bad magic number 0x{:08X} (expected 0x{:08X} for an "
                           "IDX {} file)",
                           magic, expected_magic, kind.what));
  }
  if (type != kTypeUnsignedByte) {
    fail(name, fmt::format("bad magic number 0x{:08X}: IDX data type 0x{:02X} is not supported "
                           "(expected 0x{:08X}: unsigned bytes)",
                           magic, type, expected_magic));
  }
  if (ndims != kind.dimensions) {
    fail(name, fmt::format("bad magic number 0x{:08X}: {} dimensions, but an IDX {} file has {} "
                           "({}; expected 0x{:08X})",
                           magic, ndims, kind.what, kind.dimensions, kind.layout, expected_magic));
  }
  IdxHeader header;
  header.header_bytes = 4 + 4 * static_cast<int64_t>(ndims);
  if (bytes.size() < static_cast<size_t>(header.header_bytes)) {
    fail(name, fmt::format("truncated IDX header: {} bytes needed for {} dimensions, file has {}",
                           header.header_bytes, ndims, bytes.size()));
  }
  int64_t payload = 1;
  for (unsigned i = 0; i < ndims; ++i) {
    int64_t d = read_be32(bytes, 4 + 4 * i);
    header.dims.push_back(d);
    auto product = checked_mul(payload, d);
    if (!product) fail(name, "IDX header dimensions overflow: the file cannot be that large");
    payload = *product;
  }
  if (header.dims[0] == 0) fail(name, fmt::format("the IDX file contains no {}s", kind.what));
  for (unsigned i = 1; i < ndims; ++i) {
    if (header.dims[i] == 0) fail(name, fmt::format("dimension {} of the IDX header is 0", i));
  }
  header.payload_bytes = payload;
  return header;
}

std::string dims_text(const IdxHeader& h) {
  std::string s;
  for (auto d : h.dims) {
    if (!s.empty()) s += 'x';
    s += std::to_string(d);
  }
  return s;
}

// Checks that the payload the header promises is exactly what the file holds.
void check_length(const IdxHeader& h, uint64_t actual, bool compressed, const std::string& name,
                  const IdxKind& kind) {
  uint64_t expected = static_cast<uint64_t>(h.header_bytes) + h.payload_bytes;
  const char* bytes = compressed ? "decompressed bytes" : "bytes";
  if (actual < expected) {
    fail(name, fmt::format("truncated IDX file: the header promises {} {}s ({}), {} {} in all, "
                           "but the file has only {}",
                           h.dims[0], kind.what, dims_text(h), expected, bytes, actual));
  }
  if (actual > expected) {
    // `actual` may be capped at expected + 1 for compressed files, so do not quote it there.
    if (compressed) {
      fail(name, fmt::format("IDX file is longer than its header says: expected {} {} ({} {}s, "
                             "{}), found more",
                             expected, bytes, h.dims[0], kind.what, dims_text(h)));
    }
    fail(name, fmt::format("IDX file is longer than its header says: expected {} {} ({} {}s, {}), "
                           "found {} ({} extra)",
                           expected, bytes, h.dims[0], kind.what, dims_text(h), actual,
                           actual - expected));
  }
}

// Before inflating a compressed file: what its header promises must be plausible, or a small
// file claiming a terabyte would be inflated (for minutes, into gigabytes) just to find out.
void check_inflatable(const IdxHeader& h, uint64_t expected, uint64_t compressed,
                      const std::string& name, const IdxKind& kind) {
  if (h.dims[0] > data_detail::kMaxSamples)
    fail(name, fmt::format("the header promises {} {}s, more than the supported maximum of {}",
                           h.dims[0], kind.what, data_detail::kMaxSamples));
  if (expected > kMaxPayloadBytes)
    fail(name, fmt::format("the header promises {} {}s ({}), {} bytes, more than the {} bytes an "
                           "IDX file may hold",
                           h.dims[0], kind.what, dims_text(h), expected, kMaxPayloadBytes));
  // Deflate cannot compress better than about 1032:1, so fewer compressed bytes than that
  // cannot hold what the header promises: the file is truncated or the header lies.
  if (expected / kMaxDeflateRatio > compressed)
    fail(name, fmt::format("truncated IDX file: the header promises {} {}s ({}), {} decompressed "
                           "bytes, but {} compressed bytes can hold at most {}",
                           h.dims[0], kind.what, dims_text(h), expected, compressed,
                           compressed * kMaxDeflateRatio));
}

// Returns the file's payload (the values after the header), decompressed if needed, after
// checking header and length. For compressed input the output is capped at the promised
// length plus one byte, so a lying header can neither make us allocate nor inflate more
// than the data really holds. The payload is the only full-size buffer this allocates:
// decompressed bytes have their header cut off in place rather than being copied.
std::vector<uint8_t> checked_idx_payload(const std::string& raw, const std::string& name,
                                         const IdxKind& kind, IdxHeader* header) {
  if (!data_detail::is_gzip(raw)) {
    *header = parse_header(raw, name, kind);
    check_length(*header, raw.size(), false, name, kind);
    return std::vector<uint8_t>(raw.begin() + header->header_bytes, raw.end());
  }
  std::string head = data_detail::gunzip(raw, name, kMaxHeaderBytes);
  *header = parse_header(head, name, kind);
  uint64_t expected = static_cast<uint64_t>(header->header_bytes) + header->payload_bytes;
  check_inflatable(*header, expected, raw.size(), name, kind);
  std::vector<uint8_t> all = data_detail::gunzip_bytes(raw, name, expected + 1);
  check_length(*header, all.size(), true, name, kind);
  all.erase(all.begin(), all.begin() + header->header_bytes);
  return all;
}

}  // namespace

std::vector<uint8_t> parse_idx_image_bytes(const std::string& bytes, const std::string& name,
                                           int64_t* count, std::vector<int64_t>* sample_shape) {
  IdxHeader h;
  std::vector<uint8_t> pixels = checked_idx_payload(bytes, name, kImages, &h);
  if (h.dims[0] > data_detail::kMaxSamples) {
    fail(name, fmt::format("{} images is more than the supported maximum of {}", h.dims[0],
                           data_detail::kMaxSamples));
  }
  if (count) *count = h.dims[0];
  if (sample_shape) *sample_shape = {h.dims[1] * h.dims[2]};  // flattened rows x columns
  return pixels;
}

std::vector<float> parse_idx_images(const std::string& bytes, const std::string& name,
                                    int64_t* count, std::vector<int64_t>* sample_shape) {
  std::vector<uint8_t> pixels = parse_idx_image_bytes(bytes, name, count, sample_shape);
  std::vector<float> out(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) out[i] = byte_to_feature(pixels[i]);
  return out;
}

std::vector<int32_t> parse_idx_labels(const std::string& bytes, const std::string& name) {
  IdxHeader h;
  std::vector<uint8_t> values = checked_idx_payload(bytes, name, kLabels, &h);
  if (h.dims[0] > data_detail::kMaxSamples) {
    fail(name, fmt::format("{} labels is more than the supported maximum of {}", h.dims[0],
                           data_detail::kMaxSamples));
  }
  // Values are single bytes, so every label is below 256 by construction.
  return std::vector<int32_t>(values.begin(), values.end());
}

Split load_idx(const std::string& images_path, const std::string& labels_path) {
  Split split;
  {
    // Scoped so that the file's bytes are released as soon as the pixels are out.
    const std::string raw = data_detail::read_regular_file(images_path);
    split.pixels = parse_idx_image_bytes(raw, images_path, &split.size, &split.feature_shape);
  }
  split.labels = parse_idx_labels(data_detail::read_regular_file(labels_path), labels_path);
  if (static_cast<int64_t>(split.labels.size()) != split.size) {
    throw InputError(SourceLocation{labels_path, 0, 0},
                     fmt::format("{} labels, but the image file '{}' has {} images: the counts "
                                 "must match",
                                 split.labels.size(), images_path, split.size));
  }
  return split;
}

namespace data_detail {

int64_t max_label_plus_one(const Split& a, const Split& b) {
  int32_t top = -1;
  for (auto l : a.labels) top = std::max(top, l);
  for (auto l : b.labels) top = std::max(top, l);
  return static_cast<int64_t>(top) + 1;
}

Dataset load_idx_spec(const YAML::Node& spec, const std::string& base_dir,
                      const std::string& source) {
  DiagnosticList errors;
  auto train_images = yaml_input_path(spec, "train_images", base_dir, source, errors);
  auto train_labels = yaml_input_path(spec, "train_labels", base_dir, source, errors);
  auto test_images = yaml_input_path(spec, "test_images", base_dir, source, errors);
  auto test_labels = yaml_input_path(spec, "test_labels", base_dir, source, errors);
  Limits limits = read_limits(spec, source, errors);
  errors.throw_if_any();
  Dataset d;
  d.name = "idx";
  d.train = load_idx(*train_images, *train_labels);
  d.test = load_idx(*test_images, *test_labels);
  if (d.train.feature_shape != d.test.feature_shape) {
    throw InputError(SourceLocation{*test_images, 0, 0},
                     fmt::format("test images have {} pixels each, but the training images ('{}') "
                                 "have {}",
                                 d.test.feature_size(), *train_images, d.train.feature_size()));
  }
  // Classes come from the full files, so that a limit cannot shrink the one-hot width.
  d.classes = max_label_plus_one(d.train, d.test);
  apply_limit(d.train, limits.train);
  apply_limit(d.test, limits.test);
  return d;
}

}  // namespace data_detail
}  // namespace gradflow
