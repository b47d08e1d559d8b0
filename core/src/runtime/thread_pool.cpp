#include "runtime/thread_pool.hpp"

#include <gradflow/crash_report.hpp>

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <memory>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gradflow {
namespace {

constexpr int kMaxThreads = 256;
// Chunks per thread: enough that a late worker costs the caller little, few enough that
// claiming them (one compare-and-swap each) costs nothing next to the work.
constexpr int64_t kChunksPerThread = 4;
constexpr int64_t kAlign = 16;
// How long an idle worker polls before it sleeps. Calls within one optimizer step come within
// microseconds; the next step's come after a forward and a backward pass, by when the core is
// better left to OpenBLAS. While it polls it yields now and then, so that an OpenBLAS thread
// waiting for this core gets it at once.
constexpr auto kSpin = std::chrono::microseconds(30);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

int64_t round_up(int64_t x, int64_t to) {
  return (x + to - 1) / to * to;
}

// Returns job's new value once it differs from `seen`: polls for kSpin, then sleeps on it.
uint32_t wait_for_change(const std::atomic<uint32_t>& job, uint32_t seen) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    uint32_t now = job.load(std::memory_order_acquire);
    if (now != seen) return now;
    cpu_relax();
    if (i % 64 == 63) {
      if (std::chrono::steady_clock::now() > until) break;
      std::this_thread::yield();
    }
  }
  for (;;) {
    job.wait(seen, std::memory_order_acquire);
    uint32_t now = job.load(std::memory_order_acquire);
    if (now != seen) return now;
  }
}

std::unique_ptr<ThreadPool>& core_pool_slot() {
  static std::unique_ptr<ThreadPool> pool = std::make_unique<ThreadPool>(1);
  return pool;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  threads = std::clamp(threads, 1, kMaxThreads);
  workers_.reserve(static_cast<size_t>(threads - 1));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this] {
      const CrashReportStack stack;  // its own signal stack: a plugin may overflow on it
      worker_loop();
    });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  job_.fetch_add(1, std::memory_order_acq_rel);
  job_.notify_all();
  for (auto& w : workers_) w.join();
}

int64_t ThreadPool::chunk_size(int64_t n, int64_t grain) const {
  const int64_t per_share = (n + threads() * kChunksPerThread - 1) / (threads() * kChunksPerThread);
  const int64_t chunk = round_up(std::max({grain, per_share, int64_t{1}}), kAlign);
  return std::min(chunk, std::max<int64_t>(n, 1));
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  const int64_t chunk = chunk_size(n, grain);
  if (workers_.empty() || chunk >= n || busy_.exchange(true, std::memory_order_acquire)) {
    fn(ctx, 0, n);
    return;
  }
  // The pool's threads already hold the cores: a product inside fn runs on its own thread, not
  // on OpenBLAS's threads as well (each of which would compete with the pool's for a core).
  const int blas_threads = openblas_get_num_threads();
  if (blas_threads > 1) openblas_set_num_threads(1);
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  chunk_ = chunk;
  const int64_t chunks = (n + chunk - 1) / chunk;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t job = job_.load(std::memory_order_relaxed) + 1;
  claim_.store(uint64_t{job} << 32 | static_cast<uint64_t>(chunks), std::memory_order_release);
  job_.store(job, std::memory_order_release);
  job_.notify_all();
  run_chunks(job);
  // At most one chunk per worker is still running: wait for it, yielding the core if the
  // worker holding it has been preempted.
  for (int i = 0; done_.load(std::memory_order_acquire) != chunks; ++i) {
    cpu_relax();
    if (i % 256 == 255) std::this_thread::yield();
  }
  if (blas_threads > 1) openblas_set_num_threads(blas_threads);
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::run_chunks(uint32_t job) {
  for (;;) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    if (static_cast<uint32_t>(c >> 32) != job) return;
    const uint64_t claimed = (c >> 16) & 0xffff, chunks = c & 0xffff;
    if (claimed >= chunks) return;
    if (!claim_.compare_exchange_weak(c, c + (uint64_t{1} << 16), std::memory_order_acq_rel))
      continue;
    // Holding an unfinished chunk of `job` keeps the caller from starting the next job, so
    // fn_, ctx_, n_ and chunk_ are still this job's.
    const int64_t begin = static_cast<int64_t>(claimed) * chunk_;
    fn_(ctx_, begin, std::min(n_, begin + chunk_));
    done_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_change(job_, seen);
    if (stop_.load(std::memory_order_acquire)) return;
    run_chunks(seen);
  }
}

ThreadPool& core_pool() {
  return *core_pool_slot();
}

void set_core_pool_threads(int threads) {
  auto& slot = core_pool_slot();
  if (slot->threads() != std::clamp(threads, 1, kMaxThreads))
    slot = std::make_unique<ThreadPool>(threads);
}

}  // namespace gradflow
