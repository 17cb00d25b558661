// quant_store (common.h) for 8 values at a time in AVX2, the same operations: clamp to [-2^22, 2^22], round half to
// even by adding and subtracting 1.5 * 2^23, add the zero point, clamp to [qmin, qmax], NaN -> nan_value. Include only
// from translation units compiled with -mavx2 (static inline: no copy is shared with baseline code).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "common.h"

namespace lowbit {

struct QuantAvx2 {
  __m256 lo, hi, magic, z, mn, mx, nq;
  bool is_signed;
  QuantAvx2(float zp, float qmin, float qmax, float nan_value)
      : lo(_mm256_set1_ps(-4194304.0f)), hi(_mm256_set1_ps(4194304.0f)), magic(_mm256_set1_ps(12582912.0f)), z(_mm256_set1_ps(zp)),
        mn(_mm256_set1_ps(qmin)), mx(_mm256_set1_ps(qmax)), nq(_mm256_set1_ps(nan_value)), is_signed(qmin < 0.0f) {}
  /** 8 results as 8 bytes at out. */
  inline void store8(__m256 x, uint8_t* out) const {
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 c = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 t = _mm256_add_ps(_mm256_sub_ps(_mm256_add_ps(c, magic), magic), z);
    t = _mm256_min_ps(_mm256_max_ps(t, mn), mx);
    t = _mm256_blendv_ps(t, nq, nan);
    const __m256i q = _mm256_cvttps_epi32(t);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), is_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
  }
};

/** out[j] = quant(float(int32(acc[j] + bias)) * mult) for j < n, acc holding exact integers as float. */
static inline void requant_float_acc(const float* acc, int n, uint32_t bias, float mult, const QuantAvx2& q, float zp, float qmin, float qmax,
                                     float nanq, uint8_t* out) {
  const __m256i b = _mm256_set1_epi32(static_cast<int32_t>(bias));
  const __m256 m = _mm256_set1_ps(mult);
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i a = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_loadu_ps(acc + j)), b);
    q.store8(_mm256_mul_ps(_mm256_cvtepi32_ps(a), m), out + j);
  }
  for (; j < n; j++) {
    const float v = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(acc[j])) + bias)) * mult;
    out[j] = static_cast<uint8_t>(static_cast<int32_t>(quant_round(v, zp, qmin, qmax, nanq)));
  }
}

/** out[j] = quant(float(int32(acc[j] + bias)) * mult) for j < n (int32 accumulators). */
static inline void requant_int_acc(const int32_t* acc, int n, uint32_t bias, float mult, const QuantAvx2& q, float zp, float qmin, float qmax,
                                   float nanq, uint8_t* out) {
  const __m256i b = _mm256_set1_epi32(static_cast<int32_t>(bias));
  const __m256 m = _mm256_set1_ps(mult);
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i a = _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j)), b);
    q.store8(_mm256_mul_ps(_mm256_cvtepi32_ps(a), m), out + j);
  }
  for (; j < n; j++) {
    const float v = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(acc[j]) + bias)) * mult;
    out[j] = static_cast<uint8_t>(static_cast<int32_t>(quant_round(v, zp, qmin, qmax, nanq)));
  }
}

}  // namespace lowbit
