// The core thread pool: every index exactly once, ranges as documented, nested and concurrent
// calls, no allocation per call; and the timing-based choice of a thread count.
#include "runtime/thread_choice.hpp"
#include "runtime/thread_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/alloc_counter.hpp"

using namespace gradflow;

namespace {

// Counts how often each index was visited and records the ranges' sizes.
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> ranges{0};
  std::atomic<int64_t> short_ranges{0};  // ranges other than the last below the grain
  std::atomic<int64_t> misaligned{0};    // ranges that start off a multiple of 16
  int64_t grain = 0;
  int64_t n = 0;

  Coverage(int64_t size, int64_t g) : hits(static_cast<size_t>(size)), grain(g), n(size) {}
  void visit(int64_t begin, int64_t end) {
    ranges.fetch_add(1);
    if (end < n && end - begin < grain) short_ranges.fetch_add(1);
    if (begin % 16 != 0) misaligned.fetch_add(1);
    for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  }
  bool each_once() const {
    for (const auto& h : hits)
      if (h.load() != 1) return false;
    return true;
  }
};

void spin_for(std::chrono::microseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

}  // namespace

TEST_CASE("parallel_for visits every index exactly once in aligned ranges", "[threads]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    CHECK(pool.threads() == threads);
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{15}, int64_t{17}, int64_t{1000},
                      int64_t{4097}, int64_t{100003}}) {
      for (int64_t grain : {int64_t{1}, int64_t{16}, int64_t{1000}}) {
        INFO("threads " << threads << ", n " << n << ", grain " << grain);
        Coverage c(n, grain);
        auto body = [&](int64_t b, int64_t e) { c.visit(b, e); };
        pool.parallel_for(n, grain, body);
        CHECK(c.each_once());
        CHECK(c.short_ranges.load() == 0);
        CHECK(c.misaligned.load() == 0);
        if (n <= grain) CHECK(c.ranges.load() == (n > 0 ? 1 : 0));
      }
    }
  }
}

TEST_CASE("parallel_for uses the workers for large loops", "[threads]") {
  ThreadPool pool(2);
  std::atomic<int> on_other_thread{0};
  const auto caller = std::this_thread::get_id();
  // Each range takes long enough that the worker wakes and claims some before the caller is
  // through all of them.
  auto body = [&](int64_t, int64_t) {
    if (std::this_thread::get_id() != caller) on_other_thread.fetch_add(1);
    spin_for(std::chrono::microseconds(2000));
  };
  for (int attempt = 0; attempt < 20 && on_other_thread.load() == 0; ++attempt)
    pool.parallel_for(1 << 20, 1 << 12, body);
  CHECK(on_other_thread.load() > 0);
}

TEST_CASE("a parallel_for inside a parallel_for runs on its own thread", "[threads]") {
  ThreadPool pool(2);
  Coverage outer(4096, 16);
  std::atomic<int> inner_ranges{0};
  auto body = [&](int64_t b, int64_t e) {
    outer.visit(b, e);
    auto inner = [&](int64_t, int64_t) { inner_ranges.fetch_add(1); };
    pool.parallel_for(4096, 16, inner);
  };
  pool.parallel_for(4096, 16, body);
  CHECK(outer.each_once());
  CHECK(inner_ranges.load() == outer.ranges.load());  // one whole range per nested call
}

TEST_CASE("parallel_for from two threads at once", "[threads]") {
  ThreadPool pool(2);
  Coverage a(200000, 64), b(200000, 64);
  auto body_a = [&](int64_t x, int64_t y) { a.visit(x, y); };
  auto body_b = [&](int64_t x, int64_t y) { b.visit(x, y); };
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) pool.parallel_for(200000 / 50, 64, body_b);
  });
  for (int i = 0; i < 50; ++i) pool.parallel_for(200000 / 50, 64, body_a);
  other.join();
  // Each body covered [0, 4000) fifty times.
  for (int64_t i = 0; i < 200000 / 50; ++i) {
    REQUIRE(a.hits[static_cast<size_t>(i)].load() == 50);
    REQUIRE(b.hits[static_cast<size_t>(i)].load() == 50);
  }
}

TEST_CASE("parallel_for through the C function pointer", "[threads]") {
  ThreadPool pool(2);
  std::vector<float> data(100000, 1.0f);
  auto scale = [](void* ctx, int64_t begin, int64_t end) {
    auto* d = static_cast<std::vector<float>*>(ctx);
    for (int64_t i = begin; i < end; ++i) (*d)[static_cast<size_t>(i)] *= 3.0f;
  };
  pool.parallel_for(static_cast<int64_t>(data.size()), 256, scale, &data);
  for (float x : data) REQUIRE(x == 3.0f);
}

TEST_CASE("parallel_for allocates nothing per call", "[threads][alloc]") {
  if (!gradflow::test::allocation_counter_enabled()) return;
  ThreadPool pool(2);
  std::vector<float> data(1 << 16, 0.0f);
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) data[static_cast<size_t>(i)] += 1.0f;
  };
  pool.parallel_for(static_cast<int64_t>(data.size()), 64, body);
  const long before = gradflow::test::allocation_count();
  for (int i = 0; i < 200; ++i) pool.parallel_for(static_cast<int64_t>(data.size()), 64, body);
  CHECK(gradflow::test::allocation_count() == before);
  CHECK(data[12345] == 201.0f);
}

namespace {

// Feeds the choice `calls` calls that take `one` seconds on one thread and `all` on all.
void feed(ThreadChoice& choice, int64_t key, int calls, double one, double all) {
  for (int c = 0; c < calls; ++c) {
    const int threads = choice.pick(2, key);
    if (choice.timing()) choice.record(threads == 1 ? one : all);
  }
}

}  // namespace

TEST_CASE("a thread choice keeps the faster thread count and measures again", "[threads]") {
  ThreadChoice slower;
  feed(slower, 10, 20, 1e-4, 4e-4);  // a second thread that waits for a core
  CHECK(slower.chosen() == 1);

  ThreadChoice faster;
  feed(faster, 10, 20, 4e-4, 1e-4);
  CHECK(faster.chosen() == 2);
  // Barely faster is not worth a second thread.
  ThreadChoice barely;
  feed(barely, 10, 20, 1e-4, 0.98e-4);
  CHECK(barely.chosen() == 1);

  // A new key (batch size) measures again: now one thread is the faster.
  feed(faster, 64, 20, 1e-4, 4e-4);
  CHECK(faster.chosen() == 1);
  // So does the end of the hold, and the load has changed: two threads again.
  feed(faster, 64, static_cast<int>(ThreadChoice::kMaxHold) + 10, 4e-4, 1e-4);
  CHECK(faster.chosen() == 2);
}

TEST_CASE("a thread choice gives up at once on a far slower second thread", "[threads]") {
  ThreadChoice choice;
  int timed_on_all = 0;
  for (int c = 0; c < 2 * ThreadChoice::kProbe; ++c) {
    const int threads = choice.pick(2, 10);
    if (!choice.timing()) continue;
    timed_on_all += threads == 2;
    choice.record(threads == 1 ? 1e-4 : 5e-3);
  }
  CHECK(timed_on_all == 1);
  CHECK(choice.chosen() == 1);
}

TEST_CASE("a thread choice with one thread allowed never times", "[threads]") {
  ThreadChoice choice;
  int seen = 0;
  choice.run(1, 10, [&](int threads) { seen = threads; });
  CHECK(seen == 1);
  CHECK_FALSE(choice.timing());
}
