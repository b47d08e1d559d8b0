// gzip decompression (zlib inflate) for .gz data files, with a cap on the output size.
#include "data_internal.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <new>

namespace gradflow::data_detail {
namespace {

// Owns a z_stream so that every exit path, including exceptions, calls inflateEnd.
class Inflater {
 public:
  Inflater() {
    // 16 + MAX_WBITS: accept only the gzip wrapper, and let zlib check its CRC and length.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

// Templated on the output so that callers keeping bytes get them without a second copy.
template <class Bytes>
Bytes inflate_all(const std::string& bytes, const std::string& name, uint64_t max_output) {
  Inflater inflater;
  z_stream& zs = inflater.stream();
  Bytes out;
  size_t in_pos = 0;
  // zlib counts in uInt (32 bits), so input and output are fed in chunks.
  constexpr size_t kChunk = 1 << 20;
  const auto fail = [&](const std::string& what) {
    throw InputError(SourceLocation{name, 0, 0}, what);
  };
  for (;;) {
    if (zs.avail_in == 0 && in_pos < bytes.size()) {
      size_t n = std::min(kChunk, bytes.size() - in_pos);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out.size() >= max_output) return out;  // the caller decides whether that is too much
    size_t room = static_cast<size_t>(std::min<uint64_t>(kChunk, max_output - out.size()));
    size_t before = out.size();
    // Grow only by what we are about to fill: never by what a header claims.
    out.resize(before + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(before + (room - zs.avail_out));
    if (rc == Z_STREAM_END) {
      // A .gz file may hold several members back to back (gzip concatenation); anything
      // else after the end of the stream means the file is damaged.
      size_t remaining = zs.avail_in + (bytes.size() - in_pos);
      if (remaining == 0) return out;
      size_t next = bytes.size() - remaining;
      if (remaining >= 2 && static_cast<unsigned char>(bytes[next]) == 0x1f &&
          static_cast<unsigned char>(bytes[next + 1]) == 0x8b) {
        if (inflateReset(&zs) != Z_OK) fail("cannot restart gzip decompression");
        continue;
      }
      fail("corrupt gzip file: " + std::to_string(remaining) +
           " bytes of unexpected data after the end of the compressed stream");
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      fail(std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "invalid compressed data") +
           " (after " + std::to_string(out.size()) + " decompressed bytes)");
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    bool input_exhausted = zs.avail_in == 0 && in_pos >= bytes.size();
    if ((rc == Z_BUF_ERROR || out.size() == before) && input_exhausted) {
      fail("truncated gzip file: the compressed stream ends early (after " +
           std::to_string(out.size()) + " decompressed bytes)");
    }
    // Z_BUF_ERROR with input left would mean no progress is possible: stop rather than spin.
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      fail("gzip decompression failed (zlib error " + std::to_string(rc) + ")");
    if (rc == Z_BUF_ERROR && zs.avail_in > 0) fail("gzip decompression made no progress");
  }
}

}  // namespace

std::string gunzip(const std::string& bytes, const std::string& name, uint64_t max_output) {
  return inflate_all<std::string>(bytes, name, max_output);
}

std::vector<uint8_t> gunzip_bytes(const std::string& bytes, const std::string& name,
                                  uint64_t max_output) {
  return inflate_all<std::vector<uint8_t>>(bytes, name, max_output);
}

}  // namespace gradflow::data_detail
