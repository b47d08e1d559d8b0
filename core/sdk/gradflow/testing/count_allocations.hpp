// Counting operator new, so that the toolkit can check that forward and backward allocate
// nothing. Include this header in exactly ONE source file of a test executable (it replaces
// the global operator new); gradflow_add_op_test() does it for you unless told
// NO_ALLOCATION_CHECK. Plugins loaded by the test bind to the replacement too. Under
// AddressSanitizer the sanitizer owns operator new, and counting is left out.
#pragma once

#include <gradflow/testing/graph.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define GRADFLOW_TESTING_NO_ALLOC_COUNTER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRADFLOW_TESTING_NO_ALLOC_COUNTER 1
#endif

namespace gradflow::testing {

inline std::atomic<long>& allocations() {
  static std::atomic<long> count{0};
  return count;
}
inline long allocation_count() {
  return allocations().load(std::memory_order_relaxed);
}

#ifdef GRADFLOW_TESTING_NO_ALLOC_COUNTER
inline constexpr bool kCountsAllocations = false;
#else
inline constexpr bool kCountsAllocations = true;
namespace {
[[maybe_unused]] const bool kRegistered = (count_allocations_with(&allocation_count), true);
}
#endif

}  // namespace gradflow::testing

#ifndef GRADFLOW_TESTING_NO_ALLOC_COUNTER
void* operator new(std::size_t size) {
  gradflow::testing::allocations().fetch_add(1, std::memory_order_relaxed);
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
