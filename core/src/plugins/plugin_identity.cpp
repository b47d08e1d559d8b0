#include "plugins/plugin_identity.hpp"

#include <fstream>
#include <vector>

namespace gradflow {

FileIdentity file_identity(const std::string& path) {
  FileIdentity id;
  std::ifstream in(path, std::ios::binary);
  if (!in) return id;
  uint64_t h = 0xCBF29CE484222325ull;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i)
      h = (h ^ static_cast<unsigned char>(chunk[static_cast<size_t>(i)])) * 0x100000001B3ull;
    id.size += static_cast<uint64_t>(n);
  }
  id.hash = h;
  id.valid = in.eof();
  return id;
}

bool same_contents(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  std::vector<char> ca(1 << 16), cb(1 << 16);
  while (fa && fb) {
    fa.read(ca.data(), static_cast<std::streamsize>(ca.size()));
    fb.read(cb.data(), static_cast<std::streamsize>(cb.size()));
    if (fa.gcount() != fb.gcount() || !std::equal(ca.begin(), ca.begin() + fa.gcount(), cb.begin()))
      return false;
  }
  return fa.eof() && fb.eof();
}

}  // namespace gradflow
