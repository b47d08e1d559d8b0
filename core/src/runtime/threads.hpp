// --threads for the whole process: the size of the core's thread pool, which the optimizers and
// the ops (through the host's parallel_for) split their work over, and of OpenBLAS's, which
// splits the matrix products (except inside a parallel_for, whose threads already hold the
// cores). OpenBLAS cuts a product the same way for the same count, so a run repeats itself bit
// for bit; another count may round some sums in another order (tests/unit/
// test_model_training.cpp bounds the difference). Splitting the products over the pool instead
// (one single-threaded sgemm per block of columns) measured slower than one thread (784-100-10
// at batch 256: 1,342 against 808 us per step), where OpenBLAS's own split at two threads runs
// 784-1024-1024-1024-10 at batch 256 1.8 times faster than one.
#pragma once

#include <cstdint>

namespace gradflow {

// Resizes the core pool; not while a step runs.
void set_thread_limit(int threads);
int thread_limit();

// OpenBLAS's threads for the products of a pass over `rows` samples: all of --threads from
// kRowsToSplitProducts rows on, one below. A product of a few rows is over in microseconds, and
// split over two cores it costs more than it saves: each core then holds half of every weight
// and gradient, which the update on the calling thread and the next product pull across
// between the cores' caches (784-100-10 at batch 10: 114 against 56 us per step with two
// threads). From 32 rows a split product runs 1.7 to 1.9 times faster. The rule depends on the
// shape only, so a run still repeats itself bit for bit, and below the line two threads give
// one thread's numbers.
inline constexpr int64_t kRowsToSplitProducts = 32;
void set_blas_threads_for_rows(int64_t rows);

}  // namespace gradflow
