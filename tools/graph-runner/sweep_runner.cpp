#include "sweep_runner.hpp"

#include <gradflow/diagnostics.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <map>

namespace gradflow::cli {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop(int signal) {
  g_stop_signal.store(signal);
}

// Ctrl-C and SIGTERM only set a flag; the loop below acts on it.
class StopGuard {
 public:
  StopGuard() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_int_);
    ::sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopGuard() {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    ::sigaction(SIGTERM, &previous_term_, nullptr);
  }

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

struct Running {
  size_t job;
  std::chrono::steady_clock::time_point started;
};

// Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
pid_t launch(const std::string& program, const ChildJob& job) {
  const int log =
      ::open(job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (log < 0) throw InputError(job.log_path + ": cannot write: " + std::strerror(errno));
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& a : job.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A sweep killed outright must not leave its runs training on: they get SIGTERM, save a
    // checkpoint and stop.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(143);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) ::_exit(127);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(log);
  if (pid < 0) throw std::runtime_error(std::string("cannot start a run: ") + std::strerror(errno));
  return pid;
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

std::string own_executable() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw std::runtime_error("cannot find the graph-runner executable");
  return std::string(path, static_cast<size_t>(n));
}

bool run_children(const std::string& program, const std::vector<ChildJob>& jobs, int parallel,
                  const std::function<void(const ChildResult&)>& done) {
  StopGuard guard;
  std::map<pid_t, Running> running;
  size_t next = 0;
  bool forwarded = false;
  while (next < jobs.size() || !running.empty()) {
    const bool stopping = g_stop_signal.load() != 0;
    if (stopping && !forwarded) {
      for (const auto& [pid, r] : running) ::kill(pid, SIGINT);
      forwarded = true;
    }
    if (!stopping && next < jobs.size() && static_cast<int>(running.size()) < parallel) {
      running[launch(program, jobs[next])] = {next, std::chrono::steady_clock::now()};
      ++next;
      continue;
    }
    if (running.empty()) break;
    // Polling rather than blocking: a signal that lands just before a blocking wait would
    // otherwise go unnoticed until some run ends by itself.
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      ::usleep(20000);
      continue;
    }
    if (pid < 0) throw std::runtime_error(std::string("waiting for runs: ") + std::strerror(errno));
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.started)
            .count();
    const size_t job = it->second.job;
    running.erase(it);
    done({job, exit_status(status), seconds});
  }
  return g_stop_signal.load() == 0;
}

}  // namespace gradflow::cli
