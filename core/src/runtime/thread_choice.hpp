// Whether a recurring piece of work (the optimizer step) runs on one thread or on all --threads,
// decided by timing it both ways. A second thread pays only when the work is large enough and a
// core is free for it; on a machine busy with other jobs, a thread that has to wait for a core
// makes the whole step wait. So each round alternates the two counts for a few calls, keeps the
// faster (one thread unless all threads are clearly faster) for a while, then measures again to
// follow the load.
//
// Only for work whose results cannot depend on how it is split (elementwise updates): the
// choice depends on timing, and a run must give the same numbers as the last one. OpenBLAS's
// products are not such work (their results change with its thread count).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace gradflow {

class ThreadChoice {
 public:
  // Calls call(threads) with threads 1 or `limit`. `key` is what the timing depends on besides
  // the load (a size): when it changes, measuring starts again.
  template <class Call>
  void run(int limit, int64_t key, Call&& call) {
    const int threads = pick(limit, key);
    if (!timing_) {
      call(threads);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    call(threads);
    record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  int chosen() const { return chosen_; }  // the current choice (1 while measuring first)

  // run() is pick(), the call, and record() of its seconds when timing() says so after pick().
  int pick(int limit, int64_t key);
  bool timing() const { return timing_; }
  void record(double seconds);

  static constexpr int kProbe = 4;            // calls timed with each count per round
  static constexpr int64_t kHold = 500;       // calls on a new choice before measuring again
  static constexpr int64_t kMaxHold = 32000;  // ... after the same choice many times

 private:
  void decide(int threads);

  int64_t key_ = -1;
  int limit_ = 1;
  int64_t calls_ = 0;  // calls in this round: 2 * kProbe timed, then hold_ on the choice
  int64_t hold_ = kHold;
  int chosen_ = 1;
  bool timing_ = false;
  std::array<std::array<double, kProbe>, 2> seconds_{};  // [one thread, all][probe]
};

}  // namespace gradflow
