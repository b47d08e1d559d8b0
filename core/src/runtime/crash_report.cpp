// The signal side of <gradflow/crash_report.hpp>: async-signal-safe by construction (reads one
// atomic pointer, calls write(2), sigaction(2) and raise(3) only).
#include <gradflow/crash_report.hpp>

#include "runtime/call_sites.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace gradflow {
namespace detail_crash {
std::atomic<const CallSite*> g_current{nullptr};
}  // namespace detail_crash

namespace {

struct Fatal {
  int signal;
  const char* text;
};
constexpr Fatal kFatal[] = {
    {SIGSEGV, "SIGSEGV (invalid memory access)"},
    {SIGBUS, "SIGBUS (access to memory that does not exist, or misaligned)"},
    {SIGFPE, "SIGFPE (arithmetic fault, such as an integer division by zero)"},
    {SIGILL, "SIGILL (illegal instruction, such as __builtin_trap())"},
    {SIGABRT, "SIGABRT (abort(), a failed assert() or an uncaught exception)"},
};
constexpr int kFatalCount = sizeof(kFatal) / sizeof(kFatal[0]);
struct sigaction g_previous[kFatalCount];

void write_text(const char* text, size_t n) {
  while (n > 0) {
    const ssize_t done = ::write(STDERR_FILENO, text, n);
    if (done <= 0) return;
    text += done;
    n -= static_cast<size_t>(done);
  }
}

void write_text(const char* text) {
  write_text(text, std::strlen(text));
}

extern "C" void on_fatal_signal(int sig, siginfo_t* info, void* /*context*/) {
  int k = 0;
  while (k < kFatalCount && kFatal[k].signal != sig) ++k;
  const CallSite* site = detail_crash::g_current.load(std::memory_order_relaxed);
  struct sigaction next {};
  if (site) {
    write_text(site->line.data(), site->line.size());
    write_text(": ");
    write_text(k < kFatalCount ? kFatal[k].text : "fatal signal");
    write_text("; this is a bug in the plugin\n");
    next.sa_handler = SIG_DFL;
    sigemptyset(&next.sa_mask);
  } else if (k < kFatalCount) {
    next = g_previous[k];  // not in plugin code: whatever handled it before (a sanitizer)
  }
  ::sigaction(sig, &next, nullptr);
  // A fault (si_code > 0) happens again when the handler returns and meets the new action
  // with its real address; a signal that was sent (abort(), kill(2)) has to be sent again.
  if (!info || info->si_code <= 0) ::raise(sig);
}

}  // namespace

CrashReportStack::CrashReportStack() {
  const size_t size = SIGSTKSZ > 65536 ? SIGSTKSZ : 65536;
  block_ = std::malloc(size);
  if (!block_) return;
  stack_t stack{}, previous{};
  stack.ss_sp = block_;
  stack.ss_size = size;
  installed_ = ::sigaltstack(&stack, &previous) == 0;
  previous_sp_ = previous.ss_sp;
  previous_size_ = previous.ss_size;
  previous_flags_ = previous.ss_flags & SS_DISABLE;
}

CrashReportStack::~CrashReportStack() {
  if (installed_) {
    stack_t previous{};
    previous.ss_sp = previous_sp_;
    previous.ss_size = previous_size_;
    previous.ss_flags = previous_flags_;
    ::sigaltstack(&previous, nullptr);
  }
  std::free(block_);
}

void install_crash_report() {
  // Lives until exit(), past every plugin call main() makes.
  static const CrashReportStack main_thread_stack;
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int k = 0; k < kFatalCount; ++k) ::sigaction(kFatal[k].signal, &action, &g_previous[k]);
}

const CallSite& CallSites::of(PluginPass pass) const {
  switch (pass) {
    case PluginPass::create:
      return create;
    case PluginPass::reserve:
      return reserve;
    case PluginPass::forward:
      return forward;
    case PluginPass::backward:
      return backward;
    default:
      return destroy;
  }
}

std::shared_ptr<const CallSites> make_call_sites(const std::string& what) {
  auto sites = std::make_shared<CallSites>();
  sites->create.line = what + " crashed in create";
  sites->reserve.line = what + " crashed in reserve";
  sites->forward.line = what + " crashed in forward";
  sites->backward.line = what + " crashed in backward";
  sites->destroy.line = what + " crashed in destroy";
  return sites;
}

}  // namespace gradflow
