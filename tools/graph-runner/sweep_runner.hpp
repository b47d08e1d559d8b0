// Runs `graph-runner train` child processes, up to N at a time. Ctrl-C (or SIGTERM) stops
// launching, passes the signal on to the running children (each saves a checkpoint) and waits
// for them; if the sweep itself is killed, its children get SIGTERM from the kernel.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace gradflow::cli {

struct ChildJob {
  std::vector<std::string> args;  // after the program name
  std::string log_path;           // stdout and stderr of the child
};

struct ChildResult {
  size_t job = 0;
  int exit_status = 0;  // 128 + signal for a child killed by one
  double seconds = 0;
};

// The path of the running graph-runner, for starting children of the same build.
std::string own_executable();

// Runs the jobs in order, at most `parallel` at once; calls `done` as each ends. Returns false
// if interrupted (jobs not yet started are left out).
bool run_children(const std::string& program, const std::vector<ChildJob>& jobs, int parallel,
                  const std::function<void(const ChildResult&)>& done);

}  // namespace gradflow::cli
