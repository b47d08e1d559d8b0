#include "io/run_lock.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace gradflow {
namespace {

[[noreturn]] void fail(const std::string& dir, const std::string& message) {
  throw InputError(SourceLocation{dir, 0, 0}, message);
}

std::string read_all(int fd) {
  std::string text(4096, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

// The value after "<key> " on its own line of the lock file, or "".
std::string field(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
  return "";
}

// Creating (and removing) a file of our own is the only sure test that the run's files can
// be written: permissions, read-only mounts and quotas all show up here, before training.
void check_writable(const std::string& dir) {
  std::string probe = temporary_path(dir + "/" + kRunLockName);
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    fail(dir, std::string("cannot write into the output folder: ") + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

// Leftovers of a run that was killed while writing: exactly "<name>.tmp.<its token>".
void remove_temporaries_of(const std::string& dir, const std::string& token) {
  if (!is_temporary_token(token) || token == temporary_token()) return;
  const std::string suffix = ".tmp." + token;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

RunLock::RunLock(const std::string& dir) {
  const std::string path = dir + "/" + kRunLockName;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == ELOOP)
    fail(path, "is a symbolic link; gradflow does not write through links in its output folder");
  if (fd_ < 0)
    fail(dir, std::string("cannot write into the output folder: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    fail(path, "is not a regular file; remove it or choose another --out");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string pid = field(read_all(fd_), "pid");
    ::close(fd_);
    fail(dir, "another graph-runner run" + (pid.empty() ? "" : " (pid " + pid + ")") +
                  " is writing into this output folder; wait for it to finish or choose "
                  "another --out");
  }
  const std::string previous = read_all(fd_);
  const std::string text = "graph-runner run lock\npid " + std::to_string(::getpid()) +
                           "\ntemporaries " + temporary_token() + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    int error = errno;
    ::close(fd_);
    fail(dir, std::string("cannot write into the output folder: ") + std::strerror(error));
  }
  try {
    check_writable(dir);
  } catch (...) {
    ::close(fd_);
    throw;
  }
  remove_temporaries_of(dir, field(previous, "temporaries"));
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace gradflow
