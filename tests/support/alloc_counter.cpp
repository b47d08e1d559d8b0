#include "support/alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define GRADFLOW_NO_ALLOC_COUNTER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRADFLOW_NO_ALLOC_COUNTER 1
#endif

#ifdef GRADFLOW_NO_ALLOC_COUNTER

bool gradflow::test::allocation_counter_enabled() {
  return false;
}
long gradflow::test::allocation_count() {
  return 0;
}

#else

namespace {
std::atomic<long> g_allocations{0};
}

bool gradflow::test::allocation_counter_enabled() {
  return true;
}
long gradflow::test::allocation_count() {
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
