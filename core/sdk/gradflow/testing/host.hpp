// A host for testing how an op splits its loops over threads, without threads: it claims a
// number of threads but runs every chunk of a parallel_for on the calling thread, cut and
// ordered as the test chooses. An op must give the same numbers however its loops are cut and
// in whatever order the chunks run, as under a real pool. Set Node::host to get(). Part of
// <gradflow/testing.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>

#include <algorithm>
#include <cstdint>

namespace gradflow::testing {

class SplitHost {
 public:
  enum class Order { first_to_last, last_to_first };

  // Chunks of max(grain, chunk) items; chunk 0 runs all of [0, n) as one chunk.
  SplitHost(uint32_t threads, int64_t chunk, Order order = Order::last_to_first)
      : chunk_(chunk), order_(order) {
    host_.struct_size = sizeof host_;
    host_.threads = std::max<uint32_t>(threads, 1);
    host_.self = this;
    host_.parallel_for = &SplitHost::run;
  }
  SplitHost(const SplitHost&) = delete;  // host_.self points at this object
  SplitHost& operator=(const SplitHost&) = delete;

  const gf_host* get() const { return &host_; }
  int64_t chunks_run() const { return chunks_run_; }

 private:
  static void run(void* self, int64_t n, int64_t grain, gf_range_fn fn, void* ctx) {
    auto& h = *static_cast<SplitHost*>(self);
    if (n <= 0) return;
    const int64_t size = h.chunk_ <= 0 ? n : std::max<int64_t>({grain, h.chunk_, 1});
    const int64_t last = (n - 1) / size * size;
    for (int64_t k = 0; k <= last; k += size) {
      const int64_t begin = h.order_ == Order::first_to_last ? k : last - k;
      ++h.chunks_run_;
      fn(ctx, begin, std::min(n, begin + size));
    }
  }

  gf_host host_{};
  int64_t chunk_;
  Order order_;
  mutable int64_t chunks_run_ = 0;  // counted by calls through get(), also of a const host
};

}  // namespace gradflow::testing
