// Counts calls of the global operator new, which tests/support/alloc_counter.cpp replaces in
// every test binary it is linked into. Plugins and libgradflow bind to the replacement too,
// since the executable comes first in symbol lookup.
#pragma once

namespace gradflow::test {

// False under sanitizers: their runtimes interpose operator new themselves and would report
// the replacement's malloc/free pairs as mismatched, so the counter is compiled out.
bool allocation_counter_enabled();

// Operator new calls made so far in this process (0 when the counter is disabled).
long allocation_count();

}  // namespace gradflow::test
