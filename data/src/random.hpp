// Portable random numbers for data generation. std::normal_distribution and std::shuffle are
// implementation-defined, so the same seed would give different data sets with libstdc++ and
// libc++; these transforms use only the engine's raw output, whose sequence the standard fixes.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace gradflow::data_detail {

// Mixes a seed so that nearby seeds (0, 1, 2...) start unrelated streams; used to derive the
// test split's stream from the user's seed.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class PortableRandom {
 public:
  explicit PortableRandom(uint64_t seed) : engine_(seed) {}

  uint64_t raw() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(raw() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, bound), without modulo bias: draws below 2^64 mod bound are
  // rejected so that every residue is equally likely.
  uint64_t below(uint64_t bound) {
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      uint64_t r = raw();
      if (r >= threshold) return r % bound;
    }
  }

  // Standard normal by Marsaglia's polar method: needs only sqrt (exact in IEEE) and log,
  // not sin/cos, which keeps results as reproducible across maths libraries as we can.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double scale = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }

  // Fisher–Yates, from the last element down.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace gradflow::data_detail
