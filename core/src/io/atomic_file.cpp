#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace gradflow {
namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = ::getrandom(raw.data() + done, bytes - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done < bytes) {  // no getrandom (very old kernel): the C++ library's source instead
    std::random_device device;
    for (char& c : raw) c = static_cast<char>(device());
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (char c : raw) {
    hex += kDigits[(static_cast<unsigned char>(c) >> 4) & 0xf];
    hex += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  return hex;
}

[[noreturn]] void fail_write(const std::string& path, int error) {
  throw InputError(SourceLocation{path, 0, 0},
                   std::string("cannot write: ") + std::strerror(error));
}

}  // namespace

const std::string& temporary_token() {
  static pid_t owner = 0;
  static std::string token;
  if (owner != ::getpid()) {
    owner = ::getpid();
    token = random_hex(16);
  }
  return token;
}

std::string temporary_path(const std::string& target) {
  return target + ".tmp." + temporary_token();
}

bool is_temporary_token(std::string_view text) {
  if (text.size() != 32) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

namespace {

// The bytes in "<path>.tmp.<token>", flushed to disk; returns the temporary's path.
std::string write_temporary(const std::string& path, std::string_view contents) {
  std::string temp = temporary_path(path);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail_write(path, errno);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail_write(path, saved);
    }
    done += static_cast<size_t>(n);
  }
  int saved = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && saved == 0) saved = errno;
  if (saved != 0) {
    ::unlink(temp.c_str());
    fail_write(path, saved);
  }
  return temp;
}

[[noreturn]] void fail_exists(const std::string& path) {
  throw InputError(SourceLocation{path, 0, 0}, "exists; pass --force to replace it");
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp = write_temporary(path, contents);
  // rename() replaces a symbolic link at `path` itself; it never writes through one.
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    fail_write(path, saved);
  }
}

void check_new_file(const std::string& path, bool replace) {
  struct stat info {};
  if (!replace && ::lstat(path.c_str(), &info) == 0) fail_exists(path);
}

void write_new_file(const std::string& path, std::string_view contents, bool replace) {
  check_new_file(path, replace);
  if (replace) return write_file_atomically(path, contents);
  const std::string temp = write_temporary(path, contents);
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return;
  int saved = errno;
  // A file system without RENAME_NOREPLACE: link() never replaces either.
  if (saved == EINVAL || saved == ENOSYS) {
    saved = ::link(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
    if (saved == 0) {
      ::unlink(temp.c_str());
      return;
    }
  }
  ::unlink(temp.c_str());
  if (saved == EEXIST) fail_exists(path);
  fail_write(path, saved);
}

}  // namespace gradflow
