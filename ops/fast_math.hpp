// exp and tanh in float arithmetic that the compiler can vectorise: no libm calls, no branches,
// only adds, multiplies, a division and integer bit tricks, so loops over them become SIMD at
// the baseline ISA. Both stay within a few ulp of libm on the ranges the ops use (checked by
// the op tests against std::tanh and std::exp).
#pragma once

#include <bit>
#include <cstdint>

namespace gradflow::builtin {

// e^x for x in [-87, 88]; callers clamp. Range reduction x = n ln2 + r, |r| <= ln2/2, then a
// degree-7 Taylor polynomial of e^r (error below 2e-8 relative) and 2^n from the exponent bits.
inline float exp_vec(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;  // ln 2 split so n * kLn2Hi is exact
  constexpr float kLn2Lo = 1.42860682030941723212e-6f;
  // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without calling rint().
  constexpr float kRound = 12582912.0f;
  float n = (x * kLog2e + kRound) - kRound;
  float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// tanh: an odd polynomial near zero, where 1 - 2 / (e^2|x| + 1) would cancel, and that form
// elsewhere. Beyond |x| = 9.1 tanh rounds to 1 in float, so the clamp changes nothing.
// Written without branches (one comparison picks the arm, the sign is copied by bits), so that
// a loop over it vectorises: with `||` or a `?:` on the sign GCC kept the loop scalar, 10 ns a
// value. NaN stays NaN: it fails `a >= 0.625`, taking the polynomial arm, and the clamp turns
// it into 10 before exp_vec, whose float-to-int conversion a NaN would make undefined.
inline float tanh_vec(float x) {
  const float a = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  const float z = x * x;
  // Minimax coefficients of tanh(x) / x - 1 in x^2 on |x| < 0.625 (the classic Cephes fit).
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float near_zero = x + x * z * p;
  const float e = exp_vec(2.0f * (a <= 10.0f ? a : 10.0f));
  const float far_magnitude = 1.0f - 2.0f / (e + 1.0f);
  const float far = std::bit_cast<float>(std::bit_cast<uint32_t>(far_magnitude) |
                                         (std::bit_cast<uint32_t>(x) & 0x80000000u));
  return a >= 0.625f ? far : near_zero;
}

}  // namespace gradflow::builtin
