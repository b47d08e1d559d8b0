// Runs a program as a child process for the command-line tests: no shell (arguments are
// passed as they are), stdout and stderr captured separately, and a deadline after which the
// child is killed so that a hanging graph-runner fails its test instead of the whole suite.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace gradflow::test {

struct ProcessResult {
  int exit_code = -1;  // valid when !signalled && !timed_out
  bool signalled = false;
  int signal = 0;
  bool timed_out = false;
  std::string out;         // everything the child wrote to stdout
  std::string err;         // everything the child wrote to stderr
  long peak_rss_kib = 0;   // the child's largest resident set (getrusage's ru_maxrss)
  double seconds = 0;      // wall time from start to exit
  double cpu_seconds = 0;  // user + system time the child used

  // "exit 2", "signal 11", "timed out": for test failure messages.
  std::string status_text() const;
};

// argv[0] is the program path (not searched in PATH unless it has no '/').
// Throws std::runtime_error if the program cannot be started at all. In a sanitizer build the
// timeout is eight times as long.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The graph-runner built with this test suite.
ProcessResult run_runner(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// graph-runner started without waiting for it, so that a test can signal it at a chosen
// moment: stdout is discarded, stderr goes to `stderr_path`. The caller reaps it (waitpid).
pid_t spawn_runner(const std::vector<std::string>& args,
                   const std::string& stderr_path = "/dev/null");

// True if `program` can be found in PATH (e.g. "dot").
bool program_in_path(const std::string& program);

}  // namespace gradflow::test
