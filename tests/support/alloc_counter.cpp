// The test binaries' operator new counter is the toolkit's (installed for plugin authors), so
// that every op call the toolkit makes is checked for allocations here too.
#include "support/alloc_counter.hpp"

#include <gradflow/testing/count_allocations.hpp>

bool gradflow::test::allocation_counter_enabled() {
  return gradflow::testing::kCountsAllocations;
}
long gradflow::test::allocation_count() {
  return gradflow::testing::allocation_count();
}
