// A fixed set of worker threads that share a loop with the calling thread. parallel_for cuts
// [0, n) into chunks that the caller and the workers claim one at a time, so a worker that wakes
// late (or is preempted on a busy machine) only means the caller does more of the chunks; the
// caller never waits for a worker that has not started. Nothing is allocated per call. Idle
// workers spin briefly (calls inside one step come microseconds apart) and then sleep, so that
// they do not hold a core that OpenBLAS's threads need for the matrix products.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace gradflow {

class ThreadPool {
 public:
  // The shape op plugins get through the host: fn(ctx, begin, end) over elements [begin, end).
  using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);

  // threads - 1 workers (threads is clamped to 1 .. 256); the caller is the last thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn over disjoint ranges that cover [0, n), possibly at once on several threads, and
  // returns when all are done. Every range but the last holds a multiple of 16 elements and at
  // least `grain` (so a float array splits on 64-byte lines, and no range is too small to be
  // worth a thread); n <= grain runs fn(ctx, 0, n) on the caller. The ranges depend only on n,
  // grain and threads(), not on which thread runs them. fn must not throw. A call made from
  // inside fn, or while another thread's call runs, runs fn(ctx, 0, n) on its own thread.
  void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx);

  template <class Body>
  void parallel_for(int64_t n, int64_t grain, Body& body) {
    parallel_for(
        n, grain, [](void* ctx, int64_t b, int64_t e) { (*static_cast<Body*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&body)));
  }

  // Elements per range parallel_for(n, grain, ...) uses (n when it runs on the caller).
  int64_t chunk_size(int64_t n, int64_t grain) const;

 private:
  void worker_loop();
  // Claims and runs chunks of job `job` until none is left.
  void run_chunks(uint32_t job);

  std::vector<std::thread> workers_;
  // The running job: number (bits 32-63), chunks claimed (16-31) and chunk count (0-15), so
  // that one compare-and-swap both checks that a chunk belongs to the job and claims it.
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<uint32_t> job_{0};  // bumped to start a job; idle workers wait on it
  alignas(64) std::atomic<int64_t> done_{0};  // chunks of the running job that have finished
  // Written by the caller before claim_ publishes a job; read only by holders of its chunks.
  RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 0;
  std::atomic<bool> busy_{false};
  std::atomic<bool> stop_{false};
};

// The core's pool (its optimizers use it; plugins will reach it through the host), sized by
// --threads through set_thread_count(). One thread until then.
ThreadPool& core_pool();
// Replaces the core pool when the count differs; not while a parallel_for is running.
void set_core_pool_threads(int threads);

}  // namespace gradflow
