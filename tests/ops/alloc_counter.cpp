// Replaces the global allocation functions of the test process so the harness can check that
// forward/backward do not allocate. The plugin binds to these at dlopen, since the executable
// comes first in symbol lookup.
//
// Sanitizer runtimes interpose operator new themselves and then report our malloc/free pair
// as mismatched, so under a sanitizer the counter is compiled out and always reads zero.
#include <atomic>
#include <cstdlib>
#include <new>

#include "op_harness.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define GRADFLOW_TEST_NO_ALLOC_COUNTER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRADFLOW_TEST_NO_ALLOC_COUNTER 1
#endif

#ifdef GRADFLOW_TEST_NO_ALLOC_COUNTER

long gftest::allocation_count() {
  return 0;
}

#else

namespace {
std::atomic<long> g_allocations{0};
}

long gftest::allocation_count() {
  return g_allocations.load();
}

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

#endif
