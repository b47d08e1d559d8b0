// A crash inside a plugin's code names the op. Every call into a plugin (create, reserve,
// forward, backward, destroy) is marked with a preformatted line; a fatal signal raised while
// the mark is set (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) prints that line and ends the
// process with the signal's default action, so the exit status still says which signal it was.
#pragma once

namespace gradflow {

// Installs the handlers (with an alternate signal stack, so that a plugin's stack overflow is
// reported too) for the calling thread's process. Call once, early in main(); graph-runner does.
// Signals raised outside plugin code keep the behaviour they had before.
void install_crash_report();

// Gives the calling thread its own alternate signal stack for as long as it lives. Threads
// other than the one that called install_crash_report() and that run plugin code (a thread pool
// behind gf_host.parallel_for) hold one for their whole life. Its end puts back the stack the
// thread had before: a sanitizer unmaps the stack it finds at thread exit, believing it its own.
class CrashReportStack {
 public:
  CrashReportStack();
  ~CrashReportStack();
  CrashReportStack(const CrashReportStack&) = delete;
  CrashReportStack& operator=(const CrashReportStack&) = delete;

 private:
  void* block_ = nullptr;
  bool installed_ = false;
  // The thread's stack before this one (stack_t's fields, kept without <signal.h>).
  void* previous_sp_ = nullptr;
  unsigned long previous_size_ = 0;
  int previous_flags_ = 0;
};

}  // namespace gradflow
