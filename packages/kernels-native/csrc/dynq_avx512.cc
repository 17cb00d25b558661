// DynamicQuantizeLinear over [rows, K] for the dynamic-int8 GEMM (qdq.h dynamic_quantize_rows) with AVX-512,
// bit-identical to the portable and AVX2 builds (qdq_kernels.inc): the range in 16-lane selects, and
// y = clamp(roundHalfEven(x / scale) + zp, 0, 255) where the division is replaced by a product with 1 / scale wherever
// that cannot change the rounded integer (see quantize_run), each row's byte sum (the GEMM's zero-point correction)
// in the same pass.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qdq.h"

namespace lowbit {
namespace avx512 {
namespace {

/** min(0, min x) and max(0, max x) as the sequential selects v < lo ? v : lo, v > hi ? v : hi; false if x is not
 *  finite. vminps / vmaxps are those selects; no lane ever holds -0 (it starts at +0, and -0 is neither below nor
 *  above it), so the lanes combine in any order to the sequential result. v * 0 is NaN exactly for inf and NaN. */
bool range(const float* x, size_t n, float& lo_out, float& hi_out) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 lo0 = zero, lo1 = zero, hi0 = zero, hi1 = zero, bad = zero;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    lo0 = _mm512_min_ps(v0, lo0);
    lo1 = _mm512_min_ps(v1, lo1);
    hi0 = _mm512_max_ps(v0, hi0);
    hi1 = _mm512_max_ps(v1, hi1);
    bad = _mm512_add_ps(bad, _mm512_add_ps(_mm512_mul_ps(v0, zero), _mm512_mul_ps(v1, zero)));
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);  // +0 in the lanes past n: changes neither bound
    lo0 = _mm512_min_ps(v, lo0);
    hi0 = _mm512_max_ps(v, hi0);
    bad = _mm512_add_ps(bad, _mm512_mul_ps(v, zero));
  }
  lo0 = _mm512_min_ps(lo1, lo0);
  hi0 = _mm512_max_ps(hi1, hi0);
  alignas(64) float l[16], h[16], b[16];
  _mm512_store_ps(l, lo0);
  _mm512_store_ps(h, hi0);
  _mm512_store_ps(b, bad);
  float lo = 0.0f, hi = 0.0f;
  bool finite = true;
  for (int k = 0; k < 16; k++) {
    finite &= b[k] == b[k];
    lo = l[k] < lo ? l[k] : lo;
    hi = h[k] > hi ? h[k] : hi;
  }
  lo_out = lo;
  hi_out = hi;
  return finite;
}

/**
 * y = clamp(roundHalfEven(float(x / scale)) + zp, 0, 255) over n values; returns their sum. With `fast`, t = x * inv
 * (inv = float(1 / scale), scale and inv normal) first: |t - float(x / scale)| <= 3 * 2^-24 * |x / scale| < 2^-13
 * because |x / scale| < 256 (|x| <= hi - lo, scale = (hi - lo) / 255 rounded), so the two round to different integers
 * only when a half-integer lies within 2^-13 of t; such vectors (rare) take the exact division.
 */
uint32_t quantize_run(const float* x, size_t n, uint8_t* y, float scale, bool fast, float inv, int zp) {
  constexpr int RN = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m512 sv = _mm512_set1_ps(scale), iv = _mm512_set1_ps(inv), half = _mm512_set1_ps(0.5f), tol = _mm512_set1_ps(1.0f / 8192);
  const __m512 lo = _mm512_set1_ps(-4194304.0f), hi = _mm512_set1_ps(4194304.0f);
  const __m512i z = _mm512_set1_epi32(zp), qmax = _mm512_set1_epi32(255), qmin = _mm512_setzero_si512();
  __m512i sum = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 t;
    if (fast) {
      t = _mm512_mul_ps(v, iv);
      const __m512 d = _mm512_abs_ps(_mm512_sub_ps(t, _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT)));
      if (_mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(d, half)), tol, _CMP_LT_OQ)) t = _mm512_div_ps(v, sv);
    } else {
      t = _mm512_div_ps(v, sv);
    }
    __m512i q = _mm512_cvt_roundps_epi32(_mm512_min_ps(_mm512_max_ps(t, lo), hi), RN);
    q = _mm512_max_epi32(_mm512_min_epi32(_mm512_add_epi32(q, z), qmax), qmin);
    _mm512_mask_cvtepi32_storeu_epi8(y + i, m, q);
    sum = _mm512_mask_add_epi32(sum, m, sum, q);
  }
  return static_cast<uint32_t>(_mm512_reduce_add_epi32(sum));
}

bool quantize(const float* x, size_t rows, size_t K, uint8_t* y, float* scale_out, uint8_t* zp_out, int32_t* rowsum) {
  const size_t n = rows * K;
  float lo, hi;
  if (n == 0 || !range(x, n, lo, hi)) return false;
  float scale;
  int zp;
  dynamic_params(lo, hi, &scale, &zp);
  const float inv = 1.0f / scale;
  const bool fast = std::isnormal(scale) && std::isnormal(inv);
  for (size_t r = 0; r < rows; r++) rowsum[r] = static_cast<int32_t>(quantize_run(x + r * K, K, y + r * K, scale, fast, inv, zp));
  *scale_out = scale;
  *zp_out = static_cast<uint8_t>(zp);
  return true;
}

}  // namespace

bool dynamic_quantize_rows(const float* x, size_t rows, size_t K, uint8_t* y, float* scale, uint8_t* zp, int32_t* rowsum) {
  return quantize(x, rows, K, y, scale, zp, rowsum);
}

void quantize_rows_with(const float* x, size_t rows, size_t K, uint8_t* y, float scale, uint8_t zp, int32_t* rowsum) {
  const float inv = 1.0f / scale;
  const bool fast = std::isnormal(scale) && std::isnormal(inv);
  for (size_t r = 0; r < rows; r++) rowsum[r] = static_cast<int32_t>(quantize_run(x + r * K, K, y + r * K, scale, fast, inv, zp));
}

}  // namespace avx512
}  // namespace lowbit
