// What makes two plugin files the same plugin: the same bytes. The same build reached by two
// routes (a graph's `plugins:` line and the installed copy) loads once; two different builds
// defining one op stay an error.
#pragma once

#include <cstdint>
#include <string>

namespace gradflow {

struct FileIdentity {
  uint64_t size = 0;
  uint64_t hash = 0;  // FNV-1a over the contents
  bool valid = false;
};

FileIdentity file_identity(const std::string& path);

// Byte by byte, for two files whose identities match.
bool same_contents(const std::string& a, const std::string& b);

}  // namespace gradflow
