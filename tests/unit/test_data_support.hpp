// Helpers for the data-loader tests: temporary folders, environment overrides, tiny IDX and
// gzip files built byte by byte (so the tests need no zlib of their own).
#pragma once

#include <gradflow/diagnostics.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace gradflow::test {

// Sets (or unsets, with nullopt) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The message of the InputError that `f` throws; fails the test if it throws nothing.
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError, none was thrown");
  return {};
}

inline void put_be32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
}

// An IDX file of unsigned bytes with the given dimensions and payload (not checked: tests
// use this to build inconsistent files on purpose).
inline std::string idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims,
                             const std::string& payload) {
  std::string s;
  put_be32(s, magic);
  for (auto d : dims) put_be32(s, d);
  return s + payload;
}

inline uint32_t crc32_of(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A valid gzip file using deflate "stored" blocks (no compression), which every inflater
// must accept; enough to exercise the loader's gzip path without linking zlib in the tests.
inline std::string gzip_stored(const std::string& data) {
  std::string s = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\x03'};
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(65535, data.size() - pos);
    bool last = pos + n == data.size();
    s += static_cast<char>(last ? 1 : 0);
    s += static_cast<char>(n & 0xff);
    s += static_cast<char>(n >> 8);
    s += static_cast<char>(~n & 0xff);
    s += static_cast<char>((~n >> 8) & 0xff);
    s.append(data, pos, n);
    pos += n;
  } while (pos < data.size());
  auto put_le32 = [&s](uint32_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put_le32(crc32_of(data));
  put_le32(static_cast<uint32_t>(data.size()));
  return s;
}

}  // namespace gradflow::test
