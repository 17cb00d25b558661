// QuantizeLinear of qdq.h with AVX-512, sixteen lanes: y = clamp(roundHalfEven(clamp(x / s, -2^22, 2^22)) + z, qmin,
// qmax), the division one IEEE operation as in qdq_kernels.inc. The rounding is vcvtps2dq with embedded
// round-to-nearest-even (independent of MXCSR) where the other builds add and subtract 1.5 * 2^23: the same integer
// for every value in [-2^22, 2^22]; the zero point and the clamp in int32, exact. NaN: vmaxps returns its second
// operand for a NaN first operand, so NaN becomes -2^22 and then qmin, as quant_store's nan_value = qmin.
//
// DynamicQuantizeLinear of qdq.h with AVX-512 F/BW/VL/DQ: the range pass in four independent 16-lane chains (min, max
// and a plain sum that exposes any non-finite value, see dynamic_range), the quantizing pass 16 lanes at a time in
// QuantizeLinear's form with four vectors packed into one 64-byte store. Results are identical to the baseline
// (qdq_kernels.inc, quant_store in common.h):
//   vminps(v, lo) / vmaxps(v, hi) are exactly v < lo ? v : lo and v > hi ? v : hi; no lane ever holds -0 (lanes start
//   at +0, masked-off tail lanes load +0, and -0 is neither below nor above +0), so combining lanes in any order gives
//   the sequential result;
//   q = x / scale (one IEEE division), clamp to [-2^22, 2^22], round half to even, + zp, clamp to [0, 255], NaN -> 0.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qdq.h"

namespace lowbit {
namespace avx512 {

void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y) {
  const __m512 lo = _mm512_set1_ps(-4194304.0f), hi = _mm512_set1_ps(4194304.0f);
  const __m512i mn = _mm512_set1_epi32(q_signed ? -128 : 0), mx = _mm512_set1_epi32(q_signed ? 127 : 255);
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t p = per_axis ? c : 0;
      const __m512 vs = _mm512_set1_ps(scale[p]);
      const __m512i vz = _mm512_set1_epi32(zp ? (q_signed ? static_cast<int8_t>(zp[p]) : zp[p]) : 0);
      auto q16 = [&](__m512 xv) {
        const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(xv, vs), lo), hi);
        const __m512i t = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vz);
        return _mm512_min_epi32(_mm512_max_epi32(t, mn), mx);
      };
      const float* xr = x + (o * C + c) * inner;
      uint8_t* yr = y + (o * C + c) * inner;
      size_t i = 0;
      for (; i + 16 <= inner; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(yr + i), _mm512_cvtepi32_epi8(q16(_mm512_loadu_ps(xr + i))));
      if (i < inner) {
        const __mmask16 m = static_cast<__mmask16>((1u << (inner - i)) - 1);
        _mm512_mask_cvtepi32_storeu_epi8(yr + i, m, q16(_mm512_maskz_loadu_ps(m, xr + i)));
      }
    }
}

namespace {

/**
 * The quantizing pass y = clamp(roundHalfEven(float(x / scale)) + zp, 0, 255), 64 values per store: four vectors'
 * int32 results through the saturating packs (int32 -> int16 -> uint8: the clamp to 0..255). CLAMP: the quotient
 * clamped to +-2^22 first (any scale; a NaN quotient becomes -2^22, then 0), as quantize_linear; without, for
 * quantize_in_range's case.
 */
template <bool CLAMP>
void quantize_pass(const float* x, size_t n, float scale, uint8_t zp, uint8_t* y) {
  const __m512 sv = _mm512_set1_ps(scale), clo = _mm512_set1_ps(-4194304.0f), chi = _mm512_set1_ps(4194304.0f);
  const __m512i zv = _mm512_set1_epi32(zp);
  auto q16 = [&](__m512 xv) {
    __m512 v = _mm512_div_ps(xv, sv);
    if constexpr (CLAMP) v = _mm512_min_ps(_mm512_max_ps(v, clo), chi);
    return _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zv);
  };
  // the packs work within 128-bit lanes: dword k of lane l of the packed vector holds input vector k's lane l
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  size_t j = 0;
  for (; j + 64 <= n; j += 64) {
    const __m512i a = q16(_mm512_loadu_ps(x + j)), b = q16(_mm512_loadu_ps(x + j + 16));
    const __m512i c = q16(_mm512_loadu_ps(x + j + 32)), d = q16(_mm512_loadu_ps(x + j + 48));
    const __m512i bytes = _mm512_packus_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
    _mm512_storeu_si512(y + j, _mm512_permutexvar_epi32(order, bytes));
  }
  for (; j < n; j += 16) {
    const size_t left = n - j;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    _mm512_mask_cvtusepi32_storeu_epi8(y + j, m, _mm512_max_epi32(q16(_mm512_maskz_loadu_ps(m, x + j)), _mm512_setzero_si512()));
  }
}

}  // namespace

void quantize_in_range(const float* x, size_t n, float scale, uint8_t zp, uint8_t* y) { quantize_pass<false>(x, n, scale, zp, y); }

namespace {

/** The range with the finiteness of every value checked exactly (v * 0 is NaN exactly for infinities and NaN). */
bool dynamic_range_checked(const float* x, size_t n, float* lo_out, float* hi_out) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 lo = zero, hi = zero, bad = zero;
  for (size_t i = 0; i < n; i += 16) {
    const size_t left = n - i;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    lo = _mm512_min_ps(v, lo);
    hi = _mm512_max_ps(v, hi);
    bad = _mm512_add_ps(bad, _mm512_mul_ps(v, zero));
  }
  if (_mm512_cmp_ps_mask(bad, bad, _CMP_UNORD_Q) != 0) return false;
  *lo_out = _mm512_reduce_min_ps(lo);
  *hi_out = _mm512_reduce_max_ps(hi);
  return true;
}

}  // namespace

// The range pass: min and max in four independent 16-lane chains each, and the plain sum of the values in four more:
// a NaN or an infinity makes the sum NaN or infinite, and so does nothing else but a finite sum past FLT_MAX, so a
// finite sum means every value is finite; otherwise (rare) the exact check above decides. One operation per vector
// less than checking each value (v * 0 summed).
bool dynamic_range(const float* x, size_t n, float* lo_out, float* hi_out) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 lo0 = zero, lo1 = zero, lo2 = zero, lo3 = zero, hi0 = zero, hi1 = zero, hi2 = zero, hi3 = zero;
  __m512 s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16), v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
    lo0 = _mm512_min_ps(v0, lo0);
    lo1 = _mm512_min_ps(v1, lo1);
    lo2 = _mm512_min_ps(v2, lo2);
    lo3 = _mm512_min_ps(v3, lo3);
    hi0 = _mm512_max_ps(v0, hi0);
    hi1 = _mm512_max_ps(v1, hi1);
    hi2 = _mm512_max_ps(v2, hi2);
    hi3 = _mm512_max_ps(v3, hi3);
    s0 = _mm512_add_ps(s0, v0);
    s1 = _mm512_add_ps(s1, v1);
    s2 = _mm512_add_ps(s2, v2);
    s3 = _mm512_add_ps(s3, v3);
  }
  for (; i < n; i += 16) {
    const size_t left = n - i;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    lo0 = _mm512_min_ps(v, lo0);
    hi0 = _mm512_max_ps(v, hi0);
    s0 = _mm512_add_ps(s0, v);
  }
  const __m512 sum = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)), zero);
  if (_mm512_cmp_ps_mask(sum, sum, _CMP_UNORD_Q) != 0) return dynamic_range_checked(x, n, lo_out, hi_out);
  alignas(64) float l16[16], h16[16];
  _mm512_store_ps(l16, _mm512_min_ps(_mm512_min_ps(lo0, lo1), _mm512_min_ps(lo2, lo3)));
  _mm512_store_ps(h16, _mm512_max_ps(_mm512_max_ps(hi0, hi1), _mm512_max_ps(hi2, hi3)));
  float lo = 0.0f, hi = 0.0f;
  for (int k = 0; k < 16; k++) {
    lo = l16[k] < lo ? l16[k] : lo;
    hi = h16[k] > hi ? h16[k] : hi;
  }
  *lo_out = lo;
  *hi_out = hi;
  return true;
}

// The quantizing pass in QuantizeLinear's form (quantize_linear above): x / scale (one IEEE division), clamped to
// [-2^22, 2^22] (a NaN quotient, from a scale that underflowed to 0, becomes -2^22 as in quantize_linear), rounded to
// nearest even by vcvtps2dq (the same integer as the baseline's 1.5 * 2^23 add and subtract there), + zp and the clamp
// to [0, 255] in int32: the baseline's bytes (its NaN -> 0 too). Four vectors are packed to 64 bytes with saturating
// packs (negatives -> 0; the values are at most 255 after the upper clamp) and one dword permute, one full store.
bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale_out, uint8_t* zp_out) {
  float lo, hi;
  if (n == 0 || !dynamic_range(x, n, &lo, &hi)) return false;
  float scale;
  int zp;
  dynamic_params(lo, hi, &scale, &zp);
  if (range_quantizable(scale)) quantize_pass<false>(x, n, scale, static_cast<uint8_t>(zp), y);
  else quantize_pass<true>(x, n, scale, static_cast<uint8_t>(zp), y);
  *scale_out = scale;
  *zp_out = static_cast<uint8_t>(zp);
  return true;
}


// scale_accumulators of qdq.h over [outer, C, inner] planes, 16 lanes: y = float(acc) * s (+ b), then Relu / Clip with
// the reference's selects as lane masks (Relu: v > 0 or NaN keeps v, else +0; Clip: v < lo -> lo, then > hi -> hi),
// in the same pass; other activations run float_act_row on the plane after it. [rows, C] views (inner == 1) take the
// baseline build. Identical results (the same float32 operations per element).
void scale_accumulators(const int32_t* acc, const float* scale, bool scale_per_c, const float* bias, bool bias_per_c, size_t outer,
                        size_t C, size_t inner, float* y, FloatAct act) {
  if (inner == 1) {
    lowbit::scale_accumulators(acc, scale, scale_per_c, bias, bias_per_c, outer, C, inner, y, act);
    return;
  }
  const __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(act.lo), hi = _mm512_set1_ps(act.hi);
  const bool inline_act = act.kind == 1 || act.kind == 2;
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t base = (o * C + c) * inner;
      const __m512 sv = _mm512_set1_ps(scale[scale_per_c ? c : 0]);
      const __m512 bv = _mm512_set1_ps(bias ? bias[bias_per_c ? c : 0] : 0.0f);
      for (size_t i = 0; i < inner; i += 16) {
        const size_t left = inner - i;
        const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, acc + base + i)), sv);
        if (bias) v = _mm512_add_ps(v, bv);
        if (act.kind == 1) {
          const __mmask16 keep = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          v = _mm512_mask_blend_ps(keep, zero, v);
        } else if (act.kind == 2) {
          v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), v, lo);
          v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), v, hi);
        }
        _mm512_mask_storeu_ps(y + base + i, m, v);
      }
      if (!inline_act) float_act_row(y + base, inner, act);
    }
}

}  // namespace avx512
}  // namespace lowbit
