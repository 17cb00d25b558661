// elementwise.h's float kernels built with AVX2 (see elementwise_kernels.inc), except erf_f32 / gelu_f32: those are
// written here with intrinsics, the float32 algorithm of elementwise_avx512.cc eight lanes at a time (the 16-row
// table lookup is two 8-row permutes and a blend). Same operations in the same order, so bit-identical to the
// AVX-512 build.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "elementwise.h"

namespace lowbit {
namespace avx2 {

#define LOWBIT_EW_OWN_ERF
#include "elementwise_kernels.inc"

namespace {

#include "erf_table_f32.inc"

/** The table by column, rows 0-7 and 8-15 in two registers; negc = -(2 j + 1). */
struct ColumnsF32 {
  __m256 lo[8], hi[8];
  ColumnsF32() {
    alignas(32) float col[16];
    for (int k = 0; k < 8; k++) {
      for (int j = 0; j < 16; j++) col[j] = k < 7 ? kErfTableF32[j][k] : static_cast<float>(-(2 * j + 1));
      lo[k] = _mm256_load_ps(col);
      hi[k] = _mm256_load_ps(col + 8);
    }
  }
};

const ColumnsF32& columns_f32() {
  static const ColumnsF32 c;
  return c;
}

/** erf of 8 floats as elementwise_avx512.cc's erf16 computes each (s = -0 gives -0). */
inline __m256 erf8(const ColumnsF32& T, __m256 s) {
  const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), s);
  const __m256i j = _mm256_cvttps_epi32(_mm256_mul_ps(a, _mm256_set1_ps(4.0f)));
  const __m256 upper = _mm256_castsi256_ps(_mm256_slli_epi32(j, 28));  // row >= 8 in the sign bit
  auto col = [&](int k) { return _mm256_blendv_ps(_mm256_permutevar8x32_ps(T.lo[k], j), _mm256_permutevar8x32_ps(T.hi[k], j), upper); };
  const __m256 t = _mm256_fmadd_ps(a, _mm256_set1_ps(8.0f), col(7));  // exact
  __m256 d = col(6);
  d = _mm256_fmadd_ps(d, t, col(5));
  d = _mm256_fmadd_ps(d, t, col(4));
  d = _mm256_fmadd_ps(d, t, col(3));
  d = _mm256_fmadd_ps(d, t, col(2));
  d = _mm256_fmadd_ps(d, t, col(1));
  __m256 r = _mm256_fmadd_ps(a, col(0), _mm256_mul_ps(a, d));
  r = _mm256_blendv_ps(r, _mm256_set1_ps(1.0f), _mm256_cmp_ps(a, _mm256_set1_ps(4.0f), _CMP_GE_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(s, _mm256_set1_ps(-0.0f)));
}

inline __m256 load_tail(const float* x, size_t m) {
  alignas(32) float b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(b, x, m * sizeof(float));
  return _mm256_load_ps(b);
}
inline void store_tail(float* y, size_t m, __m256 v) {
  alignas(32) float b[8];
  _mm256_store_ps(b, v);
  std::memcpy(y, b, m * sizeof(float));
}

template <bool DIV, bool SCALE_FIRST>
void gelu_t(const float* x, size_t n, float c1, float c2, float c3, float* y) {
  const ColumnsF32& T = columns_f32();
  const __m256 k1 = _mm256_set1_ps(c1), k2 = _mm256_set1_ps(c2 + 0.0f), k3 = _mm256_set1_ps(c3);  // c2 + 0: see avx512
  auto step = [&](__m256 xv) {
    const __m256 s = DIV ? _mm256_div_ps(xv, k1) : _mm256_mul_ps(xv, k1);
    const __m256 a = _mm256_add_ps(erf8(T, s), k2);
    return SCALE_FIRST ? _mm256_mul_ps(_mm256_mul_ps(xv, k3), a) : _mm256_mul_ps(_mm256_mul_ps(xv, a), k3);
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, step(_mm256_loadu_ps(x + i)));
  if (i < n) store_tail(y + i, n - i, step(load_tail(x + i, n - i)));
}

}  // namespace

void erf_f32(const float* x, size_t n, float* y) {
  const ColumnsF32& T = columns_f32();
  const __m256 zero = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(erf8(T, _mm256_loadu_ps(x + i)), zero));
  if (i < n) store_tail(y + i, n - i, _mm256_add_ps(erf8(T, load_tail(x + i, n - i)), zero));
}

void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y) {
  if (div) {
    (scale_first ? gelu_t<true, true> : gelu_t<true, false>)(x, n, c1, c2, c3, y);
  } else {
    (scale_first ? gelu_t<false, true> : gelu_t<false, false>)(x, n, c1, c2, c3, y);
  }
}

}  // namespace avx2
}  // namespace lowbit
