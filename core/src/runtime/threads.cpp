#include "runtime/threads.hpp"

#include "runtime/thread_pool.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>

namespace gradflow {
namespace {

std::atomic<int> g_limit{1};

}  // namespace

void set_thread_limit(int threads) {
  threads = std::clamp(threads, 1, 256);
  g_limit.store(threads, std::memory_order_relaxed);
  set_core_pool_threads(threads);
  openblas_set_num_threads(threads);
}

int thread_limit() {
  return g_limit.load(std::memory_order_relaxed);
}

void set_blas_threads_for_rows(int64_t rows) {
  const int threads = rows >= kRowsToSplitProducts ? thread_limit() : 1;
  if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
}

}  // namespace gradflow
