// erf_f32 / gelu_f32 of elementwise.h with AVX-512: the scalar kernels' double-precision piecewise polynomial
// (erf_table.inc), eight lanes at a time. The table row of each lane is picked with a two-register permute (16 rows),
// and every step is the same IEEE operation in the same order as in elementwise_kernels.inc (no FMA contraction), so
// the results are bit-identical to the scalar build's.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <memory>

#include "elementwise.h"

namespace lowbit {
namespace avx512 {
namespace {

#include "erf_table.inc"

/** The table transposed: coefficient k of all 16 rows, as two vectors of 8 (rows 0-7, rows 8-15). */
struct Columns {
  __m512d lo[10], hi[10];
  Columns() {
    alignas(64) double col[16];
    for (int k = 0; k < 10; k++) {
      for (int j = 0; j < 16; j++) col[j] = kErfTable[j][k];
      lo[k] = _mm512_load_pd(col);
      hi[k] = _mm512_load_pd(col + 8);
    }
  }
};

/** erf of 8 floats, as erf_f32 computes each. */
inline __m256 erf8(const Columns& c, __m256 xf) {
  const __m512d v = _mm512_cvtps_pd(xf);
  const __m512d a = _mm512_abs_pd(v);
  const __m512d four = _mm512_set1_pd(4.0);
  // ac = a < 4 ? a : 0 (NaN compares false: 0).
  const __mmask8 inside = _mm512_cmp_pd_mask(a, four, _CMP_LT_OQ);
  const __m512d ac = _mm512_maskz_mov_pd(inside, a);
  const __m256i j = _mm512_cvttpd_epi32(_mm512_mul_pd(ac, four));
  const __m512i jl = _mm512_cvtepi32_epi64(j);
  const __m512d centre = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(j), _mm512_set1_pd(0.25)), _mm512_set1_pd(0.125));
  const __m512d t = _mm512_mul_pd(_mm512_sub_pd(ac, centre), _mm512_set1_pd(8.0));
  __m512d p = _mm512_permutex2var_pd(c.lo[9], jl, c.hi[9]);
  for (int k = 8; k >= 0; k--) p = _mm512_add_pd(_mm512_mul_pd(p, t), _mm512_permutex2var_pd(c.lo[k], jl, c.hi[k]));
  __m512d r = _mm512_mul_pd(a, p);
  r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(a, four, _CMP_GE_OQ), _mm512_set1_pd(1.0));
  r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q), a);
  const __m256 f = _mm512_cvtpd_ps(r);
  // y = v < 0 ? -f : f
  const __m256 neg = _mm256_cmp_ps(xf, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_xor_ps(f, _mm256_and_ps(neg, _mm256_set1_ps(-0.0f)));
}

const Columns& columns() {
  static const Columns c;
  return c;
}

}  // namespace

void erf_f32(const float* x, size_t n, float* y) {
  const Columns& c = columns();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, erf8(c, _mm256_loadu_ps(x + i)));
  if (i < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - i)) - 1);
    _mm256_mask_storeu_ps(y + i, m, erf8(c, _mm256_maskz_loadu_ps(m, x + i)));
  }
}

void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y) {
  const Columns& c = columns();
  const __m256 k1 = _mm256_set1_ps(c1), k2 = _mm256_set1_ps(c2), k3 = _mm256_set1_ps(c3);
  auto step = [&](__m256 xv) {
    const __m256 s = div ? _mm256_div_ps(xv, k1) : _mm256_mul_ps(xv, k1);
    const __m256 a = _mm256_add_ps(erf8(c, s), k2);
    return scale_first ? _mm256_mul_ps(_mm256_mul_ps(xv, k3), a) : _mm256_mul_ps(_mm256_mul_ps(xv, a), k3);
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, step(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - i)) - 1);
    _mm256_mask_storeu_ps(y + i, m, step(_mm256_maskz_loadu_ps(m, x + i)));
  }
}

namespace {

/** exp of 8 doubles: x = k ln2 + r (|r| <= ln2 / 2, Cody-Waite), e^r by its Taylor polynomial of degree 12 (error
    below 2e-16 relative), times 2^k with vscalefpd (subnormal results included); x < -745.2 (and -inf) gives +0, NaN
    stays NaN. */
inline __m512d exp8(__m512d x) {
  const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512d r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(k, _mm512_set1_pd(6.93147180369123816490e-01))), _mm512_mul_pd(k, _mm512_set1_pd(1.90821492927058770002e-10)));
  static const double c[13] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600};
  __m512d p = _mm512_set1_pd(c[12]);
  for (int i = 11; i >= 0; i--) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c[i]));
  const __m512d e = _mm512_scalef_pd(p, k);
  return _mm512_mask_mov_pd(e, _mm512_cmp_pd_mask(x, _mm512_set1_pd(-745.2), _CMP_LT_OQ), _mm512_setzero_pd());
}

}  // namespace

void softmax_f32(const float* x, size_t rows, size_t n, float* y) {
  std::unique_ptr<double[]> e(new double[n + 8]);
  for (size_t row = 0; row < rows; row++) {
    const float* xr = x + row * n;
    float* yr = y + row * n;
    // The reference's max: the first strictly greater value wins, NaN never does.
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
      if (xr[i] > m) m = xr[i];
    const __m512d vm = _mm512_set1_pd(m);
    __m512d acc = _mm512_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m512d v = exp8(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(xr + i)), vm));
      _mm512_storeu_pd(e.get() + i, v);
      acc = _mm512_add_pd(acc, v);
    }
    if (i < n) {
      const __mmask8 k = static_cast<__mmask8>((1u << (n - i)) - 1);
      const __m512d v = exp8(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, xr + i)), vm));
      _mm512_storeu_pd(e.get() + i, v);
      acc = _mm512_add_pd(acc, _mm512_maskz_mov_pd(k, v));
    }
    const __m512d sum = _mm512_set1_pd(_mm512_reduce_add_pd(acc));
    i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(yr + i, _mm512_cvtpd_ps(_mm512_div_pd(_mm512_loadu_pd(e.get() + i), sum)));
    if (i < n) {
      const __mmask8 k = static_cast<__mmask8>((1u << (n - i)) - 1);
      _mm256_mask_storeu_ps(yr + i, k, _mm512_cvtpd_ps(_mm512_div_pd(_mm512_loadu_pd(e.get() + i), sum)));
    }
  }
}

}  // namespace avx512
}  // namespace lowbit
