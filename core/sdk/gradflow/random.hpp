// The one random source of gradflow: a 64-bit Mersenne Twister with hand-written transforms,
// because std::normal_distribution and std::shuffle differ between standard libraries and
// "same seed, same numbers" must hold everywhere. Header-only so plugins can use it too.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace gradflow {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A seed for one named stream (a parameter, an epoch's shuffle) derived from the user's seed.
inline uint64_t mix_seed(uint64_t seed, std::string_view stream) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a
  for (unsigned char c : stream) h = (h ^ c) * 0x100000001B3ull;
  return splitmix64(seed ^ splitmix64(h));
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  uint64_t bits() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Standard normal by Marsaglia's polar method: only sqrt (exact in IEEE) and log, no sin or
  // cos, which keeps results as reproducible across maths libraries as we can. The second
  // value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
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
  // Uniform integer in [0, n) without modulo bias: draws below 2^64 mod n are rejected so
  // that every residue is equally likely.
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    uint64_t threshold = (0 - n) % n;
    for (;;) {
      uint64_t r = engine_();
      if (r >= threshold) return r % n;
    }
  }
  // Fisher-Yates, from the last element down.
  template <class T>
  void shuffle(T* items, uint64_t n) {
    for (uint64_t i = n; i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }
  template <class T>
  void shuffle(std::vector<T>& items) {
    shuffle(items.data(), items.size());
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace gradflow
