// Time bars in tests are CPU seconds: a machine busy with other work stretches wall time, not
// the CPU time a computation needs. Sanitizer builds do the same work several times slower,
// so their bars are scaled; what a bar catches (minutes of quadratic work, a hang) is far
// beyond either.
#pragma once

#include <ctime>

namespace gradflow::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr double kSanitizerSlowdown = 5.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr double kSanitizerSlowdown = 5.0;
#else
inline constexpr double kSanitizerSlowdown = 1.0;
#endif
#else
inline constexpr double kSanitizerSlowdown = 1.0;
#endif

// CPU seconds this process has used so far.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace gradflow::test
