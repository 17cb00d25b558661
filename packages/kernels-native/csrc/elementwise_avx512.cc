// erf_f32 / gelu_f32 of elementwise.h with AVX-512, sixteen float32 lanes: erf(|s|) = |s| * (hi + d(t)) on 16
// intervals of 1/4 over [0, 4) (erf_table_f32.inc, degree-5 d, the row of each lane picked with one register permute),
// r = fma(|s|, hi, |s| * d) so the large part is never rounded on its own: error at most 1.0 float32 ulp
// (every float32 input checked), within 1 ulp of the reference. 1 at |s| >= 4 (erf rounds to 1 in float32 from about 3.92), NaN propagates through the
// polynomial. The same operations in the same order (FMA explicit, -ffp-contract=off elsewhere) as the AVX2 build, so
// the two agree bit for bit; the scalar build (double-precision table) can differ from them by 1 ulp.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <memory>

#include "elementwise.h"

namespace lowbit {
namespace avx512 {
namespace {

#include "erf_table_f32.inc"

/** The table by column: coefficient k of the 16 rows in one register; negc[j] = -(2 j + 1). */
struct ColumnsF32 {
  __m512 c[7];
  __m512 negc;
  ColumnsF32() {
    alignas(64) float col[16];
    for (int k = 0; k < 7; k++) {
      for (int j = 0; j < 16; j++) col[j] = kErfTableF32[j][k];
      c[k] = _mm512_load_ps(col);
    }
    for (int j = 0; j < 16; j++) col[j] = static_cast<float>(-(2 * j + 1));
    negc = _mm512_load_ps(col);
  }
};

const ColumnsF32& columns_f32() {
  static const ColumnsF32 c;
  return c;
}

/** erf of 16 floats, except that s = -0 gives -0 (callers add +0 where the sign of a zero matters). */
inline __m512 erf16(const ColumnsF32& T, __m512 s) {
  const __m512 a = _mm512_abs_ps(s);
  // Row j = floor(4 a) (NaN and huge values give 0x80000000: row 0, replaced below).
  const __m512i j = _mm512_cvttps_epi32(_mm512_mul_ps(a, _mm512_set1_ps(4.0f)));
  const __m512 t = _mm512_fmadd_ps(a, _mm512_set1_ps(8.0f), _mm512_permutexvar_ps(j, T.negc));  // exact
  __m512 d = _mm512_permutexvar_ps(j, T.c[6]);
  d = _mm512_fmadd_ps(d, t, _mm512_permutexvar_ps(j, T.c[5]));
  d = _mm512_fmadd_ps(d, t, _mm512_permutexvar_ps(j, T.c[4]));
  d = _mm512_fmadd_ps(d, t, _mm512_permutexvar_ps(j, T.c[3]));
  d = _mm512_fmadd_ps(d, t, _mm512_permutexvar_ps(j, T.c[2]));
  d = _mm512_fmadd_ps(d, t, _mm512_permutexvar_ps(j, T.c[1]));
  __m512 r = _mm512_fmadd_ps(a, _mm512_permutexvar_ps(j, T.c[0]), _mm512_mul_ps(a, d));
  r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(a, _mm512_set1_ps(4.0f), _CMP_GE_OQ), _mm512_set1_ps(1.0f));
  // r | (s & sign)
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(r), _mm512_castps_si512(s), _mm512_set1_epi32(INT32_MIN), 0xF8));
}

}  // namespace

void erf_f32(const float* x, size_t n, float* y) {
  const ColumnsF32& T = columns_f32();
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_add_ps(erf16(T, _mm512_loadu_ps(x + i)), zero));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, _mm512_add_ps(erf16(T, _mm512_maskz_loadu_ps(m, x + i)), zero));
  }
}

namespace {

template <bool DIV, bool SCALE_FIRST>
void gelu_t(const float* x, size_t n, float c1, float c2, float c3, float* y) {
  const ColumnsF32& T = columns_f32();
  // c2 + 0 turns -0 into +0 (and keeps every other value): then erf16's -0 for s = -0 gives the reference's sum.
  const __m512 k1 = _mm512_set1_ps(c1), k2 = _mm512_set1_ps(c2 + 0.0f), k3 = _mm512_set1_ps(c3);
  auto step = [&](__m512 xv) {
    const __m512 s = DIV ? _mm512_div_ps(xv, k1) : _mm512_mul_ps(xv, k1);
    const __m512 a = _mm512_add_ps(erf16(T, s), k2);
    return SCALE_FIRST ? _mm512_mul_ps(_mm512_mul_ps(xv, k3), a) : _mm512_mul_ps(_mm512_mul_ps(xv, a), k3);
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, step(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, step(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace

void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y) {
  if (div) {
    (scale_first ? gelu_t<true, true> : gelu_t<true, false>)(x, n, c1, c2, c3, y);
  } else {
    (scale_first ? gelu_t<false, true> : gelu_t<false, false>)(x, n, c1, c2, c3, y);
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

namespace {

/** Softmax of short rows (n < 16, e.g. a detector's [anchors, 2] class scores): one vector lane per row would idle
    most of the register, so rows are taken in blocks: each row's max (the reference's: first strictly greater, NaN
    never) and x - max in double into a flat block, exp8 over the block, then each row's sum in double in element
    order (the reference's order) and the quotients rounded once. Same values as the long-row path, up to the sum's
    order (which is the reference's here). */
void softmax_short_rows(const float* x, size_t rows, size_t n, float* y) {
  constexpr size_t BLOCK = 512;  // elements per block (rows * n <= BLOCK)
  alignas(64) double d[BLOCK + 8];
  const size_t per = BLOCK / n;
  for (size_t r0 = 0; r0 < rows; r0 += per) {
    const size_t rb = rows - r0 < per ? rows - r0 : per;
    const size_t m = rb * n;
    const float* xb = x + r0 * n;
    for (size_t r = 0; r < rb; r++) {
      float mx = -INFINITY;
      for (size_t j = 0; j < n; j++)
        if (xb[r * n + j] > mx) mx = xb[r * n + j];
      const double md = mx;
      for (size_t j = 0; j < n; j++) d[r * n + j] = static_cast<double>(xb[r * n + j]) - md;
    }
    size_t i = 0;
    for (; i + 8 <= m; i += 8) _mm512_store_pd(d + i, exp8(_mm512_load_pd(d + i)));
    if (i < m) {
      const __mmask8 k = static_cast<__mmask8>((1u << (m - i)) - 1);
      _mm512_mask_storeu_pd(d + i, k, exp8(_mm512_maskz_loadu_pd(k, d + i)));
    }
    float* yb = y + r0 * n;
    for (size_t r = 0; r < rb; r++) {
      double sum = 0;
      for (size_t j = 0; j < n; j++) sum += d[r * n + j];
      for (size_t j = 0; j < n; j++) yb[r * n + j] = static_cast<float>(d[r * n + j] / sum);
    }
  }
}

}  // namespace

void softmax_f32(const float* x, size_t rows, size_t n, float* y) {
  if (n < 16) {
    softmax_short_rows(x, rows, n, y);
    return;
  }
  std::unique_ptr<double[]> e(new double[n + 8]);
  for (size_t row = 0; row < rows; row++) {
    const float* xr = x + row * n;
    float* yr = y + row * n;
    // The reference's max: the first strictly greater value wins, NaN never does. vmaxps returns its second operand
    // when the first is NaN, so NaN never enters; equal values are equal (+0 / -0 give the same x - m and exp).
    __m512 mx = _mm512_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) mx = _mm512_max_ps(_mm512_loadu_ps(xr + i), mx);
    if (i < n) mx = _mm512_mask_max_ps(mx, static_cast<__mmask16>((1u << (n - i)) - 1), _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << (n - i)) - 1), xr + i), mx);
    const double m = _mm512_reduce_max_ps(mx);
    const __m512d vm = _mm512_set1_pd(m);
    __m512d acc = _mm512_setzero_pd();
    i = 0;
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

void exp_f32(const float* x, size_t n, float* y) {
  // exp8 in double, then one rounding to float32 (vcvtpd2ps, round to nearest even) like the reference's
  // fround(Math.exp(x)). Above 89 every float32 result is +inf (exp(88.73) > FLT_MAX); masking there also keeps +inf
  // out of exp8's reduction. NaN stays NaN through exp8 (ordered compares leave it unmasked).
  const __m512d big = _mm512_set1_pd(89.0), inf = _mm512_set1_pd(INFINITY);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d e = _mm512_mask_mov_pd(exp8(v), _mm512_cmp_pd_mask(v, big, _CMP_GT_OQ), inf);
    _mm256_storeu_ps(y + i, _mm512_cvtpd_ps(e));
  }
  if (i < n) {
    const __mmask8 k = static_cast<__mmask8>((1u << (n - i)) - 1);
    const __m512d v = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, x + i));
    const __m512d e = _mm512_mask_mov_pd(exp8(v), _mm512_cmp_pd_mask(v, big, _CMP_GT_OQ), inf);
    _mm256_mask_storeu_ps(y + i, k, _mm512_cvtpd_ps(e));
  }
}

}  // namespace avx512
}  // namespace lowbit
