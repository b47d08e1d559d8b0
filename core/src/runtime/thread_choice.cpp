#include "runtime/thread_choice.hpp"

#include <algorithm>

namespace gradflow {
namespace {

template <size_t N>
double median(std::array<double, N> v) {
  std::sort(v.begin(), v.end());
  return N % 2 ? v[N / 2] : 0.5 * (v[N / 2 - 1] + v[N / 2]);
}

}  // namespace

int ThreadChoice::pick(int limit, int64_t key) {
  if (limit <= 1) {
    timing_ = false;
    chosen_ = 1;
    return 1;
  }
  if (key != key_ || limit != limit_) {
    key_ = key;
    limit_ = limit;
    calls_ = 0;
    hold_ = kHold;
  }
  if (calls_ < 2 * kProbe) {
    timing_ = true;
    return calls_ % 2 ? limit_ : 1;  // one thread first, so a slow second call can be judged
  }
  timing_ = false;
  if (++calls_ >= 2 * kProbe + hold_) calls_ = 0;
  return chosen_;
}

void ThreadChoice::record(double seconds) {
  const int variant = static_cast<int>(calls_ % 2);
  const int probe = static_cast<int>(calls_ / 2);
  seconds_[variant][probe] = seconds;
  ++calls_;
  // All threads far slower than one: a thread waiting for a core. Measuring on would cost as
  // much as hundreds of calls on one thread.
  if (variant == 1) {
    const double one = *std::max_element(seconds_[0].begin(), seconds_[0].begin() + probe + 1);
    if (seconds > 2 * one) {
      calls_ = 2 * kProbe;
      decide(1);
      return;
    }
  }
  if (calls_ == 2 * kProbe) decide(median(seconds_[1]) < 0.95 * median(seconds_[0]) ? limit_ : 1);
}

void ThreadChoice::decide(int threads) {
  hold_ = threads == chosen_ ? std::min(2 * hold_, kMaxHold) : kHold;
  chosen_ = threads;
}

}  // namespace gradflow
