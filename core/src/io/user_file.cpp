#include <gradflow/diagnostics.hpp>
#include <gradflow/user_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace gradflow {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw InputError(SourceLocation{path, 0, 0}, message);
}

std::string open_failure(int error, const std::string& what) {
  switch (error) {
    case ENOENT:
      return "no such " + what;
    case ELOOP:
      return "cannot open the " + what +
             ": too many levels of symbolic links (a symbolic link that points to itself?)";
    case ENOTDIR:
      return "no such " + what + ": a part of the path is not a folder";
    case ENXIO:
      return "is a socket or a device, not a regular file";
    default:
      return "cannot open the " + what + ": " + std::strerror(error);
  }
}

std::string kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string size_text(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// "a weights file", "an ONNX file".
std::string with_article(const std::string& what) {
  const bool vowel =
      !what.empty() && std::string_view("aeiouAEIOU").find(what[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + what;
}

// Owns a descriptor so that every exit path closes it.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(Descriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  Descriptor& operator=(Descriptor&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
Descriptor open_regular(const std::string& path, const std::string& what, struct stat* info) {
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) fail(path, open_failure(errno, what));
  if (::fstat(fd.get(), info) != 0)
    fail(path, "cannot read the " + what + ": " + std::strerror(errno));
  if (S_ISDIR(info->st_mode)) fail(path, "is a directory, not " + with_article(what));
  if (!S_ISREG(info->st_mode))
    fail(path, "is " + kind_of(info->st_mode) + ", not a regular file; " + with_article(what) +
                   " must be a regular file");
  return fd;
}

}  // namespace

void check_regular_file(const std::string& path, const std::string& what) {
  struct stat info {};
  open_regular(path, what, &info);
}

std::string read_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  struct stat info {};
  Descriptor fd = open_regular(path, what, &info);
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size > max_bytes)
    fail(path, "the " + what + " is larger than " + size_text(max_bytes) + " (" +
                   std::to_string(size) + " bytes)");
  // A regular file never blocks, but clear the flag anyway: reads must not fail with EAGAIN.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  std::string bytes;
  bytes.resize(static_cast<size_t>(size));
  size_t done = 0;
  for (;;) {
    // The file may have grown since fstat: keep reading, but never past the limit.
    if (done == bytes.size()) {
      if (done > max_bytes) fail(path, "the " + what + " grew beyond its size limit");
      bytes.resize(done + 65536);
    }
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot read the " + what + ": " + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done > max_bytes) fail(path, "the " + what + " grew beyond its size limit");
  bytes.resize(done);
  return bytes;
}

}  // namespace gradflow
