// AVX512-VNNI int8 GEMM (512-bit vpdpbusd; -mavx512f -mavx512bw -mavx512vl -mavx512vnni): 4 x 64 register tile.
// GCC 12's AVX-512 conversion intrinsics start from a self-initialised "undefined" vector, which -O3 reports as used
// uninitialised at every inlined use (hundreds of lines that overflow the install build's log).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>

#include "common.h"
#include "quant_avx2.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

inline __m512i bcast4(const uint8_t* p) {
  int32_t w;
  std::memcpy(&w, p, 4);
  return _mm512_set1_epi32(w);
}

// 4 rows x 64 columns: 16 accumulators; per k group 4 B vectors and 4 broadcasts feed 16 vpdpbusd (8 loads per 16,
// against 10 for 8 x 32). The 64-column panel (kc x 64 bytes) streams from L2 at half the rate L2 delivers.
struct Vnni512UK {
  static constexpr int MR = 4, NR = 64, PLANES = 1, NV = NR / 16;
  static constexpr bool EPI = true, FEPI = true;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc, const QEpi* e) {
    __m512i cc[MR][NV];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) cc[r][v] = acc ? _mm512_loadu_si512(c + static_cast<size_t>(r) * ldc + 16 * v) : _mm512_setzero_si512();
    for (int g = 0; g < kg; g++, a += MR * 4, b += NR * 4) {
      __m512i bv[NV];
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = _mm512_load_si512(b + 64 * v);
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) {
        const __m512i av = bcast4(a + 4 * r);
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++) cc[r][v] = _mm512_dpbusd_epi32(cc[r][v], av, bv[v]);
      }
    }
    if (e) {  // the fused zero-point correction (see QEpi): c -= x[r] * (y ? y[j] : 1) + z[j]
      #pragma GCC unroll 16
      for (int r = 0; r < MR; r++) {
        const __m512i xv = _mm512_set1_epi32(e->x[r]);
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
          const __m512i t = e->y ? _mm512_mullo_epi32(xv, _mm512_loadu_si512(e->y + 16 * v)) : xv;
          cc[r][v] = _mm512_sub_epi32(cc[r][v], _mm512_add_epi32(t, _mm512_loadu_si512(e->z + 16 * v)));
        }
      }
    }
    if (e && e->f) {
      store_float(*e, cc, c, ldc);
      return;
    }
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) _mm512_storeu_si512(c + static_cast<size_t>(r) * ldc + 16 * v, cc[r][v]);
  }
  // The QFloatEpi stage in registers (qfloat_rows in 16 lanes): conversions with explicit round-to-nearest-even, the
  // clamp to +-2^22 before rounding as quant_round (so the conversion never overflows), NaN lanes to nanq.
  static inline void store_float(const QEpi& e, __m512i (&cc)[MR][NV], int32_t* c, int ldc) {
    constexpr int RN = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const QFloatEpi& f = *e.f;
    __m512 m[NV], bv[NV];
    #pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      m[v] = _mm512_loadu_ps(e.fm + 16 * v);
      bv[v] = e.fb ? _mm512_loadu_ps(e.fb + 16 * v) : _mm512_setzero_ps();
    }
    if (!f.requant) {
      #pragma GCC unroll 16
      for (int r = 0; r < MR; r++)
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
          __m512 y = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(cc[r][v], RN), m[v]);
          if (e.fb) y = _mm512_add_ps(y, bv[v]);
          _mm512_storeu_ps(reinterpret_cast<float*>(c + static_cast<size_t>(r) * ldc + 16 * v), y);
        }
      return;
    }
    const __m512 lo = _mm512_set1_ps(-4194304.0f), hi = _mm512_set1_ps(4194304.0f), ys = _mm512_set1_ps(f.ys);
    const __m512i zp = _mm512_set1_epi32(f.zp), qmin = _mm512_set1_epi32(f.qmin), qmax = _mm512_set1_epi32(f.qmax);
    const __m512i nanq = _mm512_set1_epi32(f.nanq);
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        const __m512 x = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(cc[r][v], RN), m[v]);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        __m512i q = _mm512_cvt_roundps_epi32(_mm512_min_ps(_mm512_max_ps(x, lo), hi), RN);
        q = _mm512_max_epi32(_mm512_min_epi32(_mm512_add_epi32(q, zp), qmax), qmin);
        q = _mm512_mask_mov_epi32(q, nan, nanq);
        __m512 y = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(_mm512_sub_epi32(q, zp), RN), ys);
        if (e.fb) y = _mm512_add_ps(y, bv[v]);
        _mm512_storeu_ps(reinterpret_cast<float*>(c + static_cast<size_t>(r) * ldc + 16 * v), y);
      }
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    constexpr int U = NV >= 3 ? 2 : 4;  // k groups in flight: U * NV independent accumulators
    __m512i s[U][NV];
    #pragma GCC unroll 16
    for (int u = 0; u < U; u++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) s[u][v] = _mm512_setzero_si512();
    int g = 0;
    for (; g + U <= kg; g += U, a += 4 * U, b += NR * 4 * U) {
#pragma GCC unroll 4
      for (int u = 0; u < U; u++) {
        const __m512i av = bcast4(a + 4 * u);
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++) s[u][v] = _mm512_dpbusd_epi32(s[u][v], av, _mm512_load_si512(b + NR * 4 * u + 64 * v));
      }
    }
    for (; g < kg; g++, a += 4, b += NR * 4) {
      const __m512i av = bcast4(a);
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) s[0][v] = _mm512_dpbusd_epi32(s[0][v], av, _mm512_load_si512(b + 64 * v));
    }
    #pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m512i r = s[0][v];
      #pragma GCC unroll 4
      for (int u = 1; u < U; u++) r = _mm512_add_epi32(r, s[u][v]);
      if (acc) r = _mm512_add_epi32(r, _mm512_loadu_si512(c + 16 * v));
      _mm512_storeu_si512(c + 16 * v, r);
    }
  }
};
using D = QDriver<Vnni512UK>;

#include "conv_driver.h"

// Direct convolution: R output channels (broadcast 4 weights) x 32 output pixels (2 vectors of 16 int32), R <= 12.
// G: the 4-k groups at b + goff[g] (the c4 layout, unaligned) instead of one after the other (the packed panel);
// init: R row values the sums start from (null: 0).
template <int R, bool G>
__attribute__((noinline)) void qconv_tile(int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const int32_t* init, int32_t* c) {
  __m512i c0[R], c1[R];
  if (init) {
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm512_set1_epi32(init[r]);
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm512_setzero_si512();
  }
  for (int g = 0; g < kg; g++, a += 4 * R) {
    const uint8_t* bp = G ? b + goff[g] : b + 128 * g;
    const __m512i b0 = _mm512_loadu_si512(bp), b1 = _mm512_loadu_si512(bp + 64);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const __m512i av = bcast4(reinterpret_cast<const uint8_t*>(a) + 4 * r);
      c0[r] = _mm512_dpbusd_epi32(c0[r], b0, av);
      c1[r] = _mm512_dpbusd_epi32(c1[r], b1, av);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
    _mm512_store_si512(c + 32 * r, c0[r]);
    _mm512_store_si512(c + 32 * r + 16, c1[r]);
  }
}

/** One row's 32 sums (already + off) as requantized int32 before the zero point: min(float(v) * m, hi) rounded half to
 *  even (a huge negative product converts to INT_MIN, which the saturating packs take to qmin). */
template <bool U>
static inline __m512i qconv_epi_cvt(__m512i v, __m512 m, __m512 hi) {
  const __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(v), m);
  // U (QConvEpi::unit): |x| < 2^31 converts exactly; the saturating packs then clamp to [qmin, qmax] as the min would
  return _mm512_cvt_roundps_epi32(U ? x : _mm512_min_ps(x, hi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/**
 * QLinearConv's epilogue (QConvEpi) of R rows of 32 sums at c that start from off[r] (the L1 buffer: with the
 * epilogue in the k loop's function GCC spills the accumulators inside the loop), stored as bytes by segment (row r
 * of Y at y + r * ldy). Two rows at a time: int32 -> int16 (saturating) + zp (saturating) -> 8 bits (saturating to
 * the output type) = clamp(round(x) + zp, qmin, qmax) with x <= hi = qmax - zp.
 */
template <int R, bool S, bool U>
__attribute__((noinline)) void qconv_epi(const int32_t* c, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg) {
  const __m512 hi = _mm512_set1_ps(e.hi);
  const __m512i zp = _mm512_set1_epi16(static_cast<int16_t>(e.zp));
  // after the packs, dword 4k + t of lane k holds: t 0 / 1 row r pixels 4k.. / 16 + 4k.., t 2 / 3 row r + 1
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  __m512i cs0 = _mm512_setzero_si512(), cs1 = cs0, zc0 = cs0, zc1 = cs0;
  int32_t z0 = 0;
  if (e.cs) {
    cs0 = _mm512_load_si512(e.cs);
    cs1 = _mm512_load_si512(e.cs + 16);
    // the first row's zw * cs, reused by every row with the same zero point (all of them for a per-tensor zw)
    z0 = e.zw[0];
    zc0 = _mm512_mullo_epi32(_mm512_set1_epi32(z0), cs0);
    zc1 = _mm512_mullo_epi32(_mm512_set1_epi32(z0), cs1);
  }
  auto sub_zc = [&](__m512i& a0, __m512i& a1, int32_t z) {
    if (z == z0) {
      a0 = _mm512_sub_epi32(a0, zc0);
      a1 = _mm512_sub_epi32(a1, zc1);
    } else {
      const __m512i zv = _mm512_set1_epi32(z);
      a0 = _mm512_sub_epi32(a0, _mm512_mullo_epi32(zv, cs0));
      a1 = _mm512_sub_epi32(a1, _mm512_mullo_epi32(zv, cs1));
    }
  };
#pragma GCC unroll 2
  for (int r = 0; r < R; r += 2) {
    const int r1 = r + 1 < R ? r + 1 : r;
    __m512i v0 = _mm512_load_si512(c + 32 * r), v1 = _mm512_load_si512(c + 32 * r + 16);
    __m512i w0 = _mm512_load_si512(c + 32 * r1), w1 = _mm512_load_si512(c + 32 * r1 + 16);
    if (e.cs) {
      sub_zc(v0, v1, e.zw[r]);
      sub_zc(w0, w1, e.zw[r1]);
    }
    const __m512 m = _mm512_set1_ps(e.mult[r]), mm = _mm512_set1_ps(e.mult[r1]);
    const __m512i a16 = _mm512_adds_epi16(_mm512_packs_epi32(qconv_epi_cvt<U>(v0, m, hi), qconv_epi_cvt<U>(v1, m, hi)), zp);
    const __m512i b16 = _mm512_adds_epi16(_mm512_packs_epi32(qconv_epi_cvt<U>(w0, mm, hi), qconv_epi_cvt<U>(w1, mm, hi)), zp);
    const __m512i q = _mm512_permutexvar_epi32(order, S ? _mm512_packs_epi16(a16, b16) : _mm512_packus_epi16(a16, b16));
    const __m256i lo = _mm512_castsi512_si256(q), hi2 = _mm512_extracti64x4_epi64(q, 1);
    uint8_t* yr = y + static_cast<size_t>(r) * ldy;
    for (int s = 0; s < sg.n; s++)  // masked lanes are not accessed: yr + off[s] may point before the row
      _mm256_mask_storeu_epi8(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(yr) + static_cast<uintptr_t>(sg.off[s])), sg.mask[s], lo);
    if (r + 1 < R)
      for (int s = 0; s < sg.n; s++)
        _mm256_mask_storeu_epi8(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(yr + ldy) + static_cast<uintptr_t>(sg.off[s])), sg.mask[s], hi2);
  }
}

/** FloatAct (common.h) on 16 lanes with float_act_row's operations and selects, in the same order (HardSigmoid in
 *  double, rounded to float32 once): the same bits as float_act_row. */
static inline __m512 float_act16(__m512 v, const FloatAct& f) {
  switch (f.kind) {
    case 1: {  // v > 0 ? v : (v is NaN ? v : 0)
      const __mmask16 keep = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      return _mm512_maskz_mov_ps(keep, v);
    }
    case 2: {  // r = v < lo ? lo : v; r > hi ? hi : r
      const __m512 lo = _mm512_set1_ps(f.lo), hi = _mm512_set1_ps(f.hi);
      const __m512 r = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
      return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(r, hi, _CMP_GT_OQ), hi);
    }
    case 3: {  // (v * clip(v + p, lo, hi)) / q
      const __m512 lo = _mm512_set1_ps(f.lo), hi = _mm512_set1_ps(f.hi);
      const __m512 t = _mm512_add_ps(v, _mm512_set1_ps(f.p));
      __m512 r = _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask(t, lo, _CMP_LT_OQ), lo);
      r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(r, hi, _CMP_GT_OQ), hi);
      return _mm512_div_ps(_mm512_mul_ps(v, r), _mm512_set1_ps(f.q));
    }
    case 5:  // Relu of a value that is never NaN (float_epi_nan_free): max(v, +0) gives +0 for -0 as the select does
      return _mm512_max_ps(v, _mm512_setzero_ps());
    case 4: {  // in double: x = p * v + q; r = x is NaN ? x : min-select(x, 1); r is NaN ? r : (r > 0 ? r : 0)
      const __m512d al = _mm512_set1_pd(f.p), be = _mm512_set1_pd(f.q), one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
      __m256 h[2];
      for (int i = 0; i < 2; i++) {
        const __m512d d = _mm512_cvtps_pd(i ? _mm512_extractf32x8_ps(v, 1) : _mm512_castps512_ps256(v));
        const __m512d x = _mm512_add_pd(_mm512_mul_pd(al, d), be);
        const __m512d r = _mm512_mask_mov_pd(x, _mm512_cmp_pd_mask(x, one, _CMP_GT_OQ), one);
        const __mmask8 keep = _mm512_cmp_pd_mask(r, zero, _CMP_GT_OQ) | _mm512_cmp_pd_mask(r, r, _CMP_UNORD_Q);
        h[i] = _mm512_cvtpd_ps(_mm512_maskz_mov_pd(keep, r));
      }
      return _mm512_insertf32x8(_mm512_castps256_ps512(h[0]), h[1], 1);
    }
    default:
      return v;
  }
}

/**
 * The dynamic-int8 float epilogue (QConvEpi's fscale / fbias / fact) of R rows of 32 sums at c that start from off[r]:
 * y = act(float(acc - zw[r] * cs[j]) * fscale (+ fbias[r])), stored as floats by segment (row r of Y at y + r * ldy).
 * MODE 0 stores; 1 stores and gathers the values into e.rng's lanes (min / max in dynamic_range's operand order, NaN
 * lanes noted); 2 only gathers them (nothing stored); 3 stores each value quantized as DynamicQuantizeLinear's second
 * pass does (QuantizeLinear by e.qscale, e.qzp: the division, the clamp to +-2^22, round half to even, + zp, clamp to
 * 0..255) as bytes at y. MODE 4 / 5: 1 / 2 for values that are never NaN (QConvEpi::nonan): no NaN lanes kept.
 * MODE 6: 3 with a normal e.qscale (from these values' range, as pass 1 gathered it): no clamp before the conversion.
 */
template <int R, int MODE>
__attribute__((noinline)) void qconv_epi_f(const int32_t* c, const QConvEpi& e, void* y, size_t ldy, const QSegs& sg) {
  constexpr bool RNG = MODE == 1 || MODE == 2 || MODE == 4 || MODE == 5, NANS = MODE == 1 || MODE == 2;
  __m512i cs0 = _mm512_setzero_si512(), cs1 = cs0, zc0 = cs0, zc1 = cs0;
  int32_t z0 = 0;
  if (e.cs) {
    cs0 = _mm512_load_si512(e.cs);
    cs1 = _mm512_load_si512(e.cs + 16);
    // the first row's zw * cs, reused by every row with the same zero point (all of them for a per-tensor zw)
    z0 = e.zw[0];
    zc0 = _mm512_mullo_epi32(_mm512_set1_epi32(z0), cs0);
    zc1 = _mm512_mullo_epi32(_mm512_set1_epi32(z0), cs1);
  }
  const __m512 sc = _mm512_set1_ps(e.fscale);
  __m512 lo = _mm512_setzero_ps(), hi = lo;
  __mmask16 m0 = 0, m1 = 0, nan = 0;
  if constexpr (RNG) {
    lo = _mm512_load_ps(e.rng->lo);
    hi = _mm512_load_ps(e.rng->hi);
    for (int s = 0; s < sg.n; s++) {  // the lanes stored anywhere: the values of this tile
      m0 = static_cast<__mmask16>(m0 | sg.mask[s]);
      m1 = static_cast<__mmask16>(m1 | (sg.mask[s] >> 16));
    }
  }
  for (int r = 0; r < R; r++) {
    __m512i v0 = _mm512_load_si512(c + 32 * r), v1 = _mm512_load_si512(c + 32 * r + 16);
    if (e.cs) {
      if (e.zw[r] == z0) {
        v0 = _mm512_sub_epi32(v0, zc0);
        v1 = _mm512_sub_epi32(v1, zc1);
      } else {
        const __m512i z = _mm512_set1_epi32(e.zw[r]);
        v0 = _mm512_sub_epi32(v0, _mm512_mullo_epi32(z, cs0));
        v1 = _mm512_sub_epi32(v1, _mm512_mullo_epi32(z, cs1));
      }
    }
    __m512 f0 = _mm512_mul_ps(_mm512_cvtepi32_ps(v0), sc), f1 = _mm512_mul_ps(_mm512_cvtepi32_ps(v1), sc);
    if (e.fbias) {
      const __m512 b = _mm512_set1_ps(e.fbias[r]);
      f0 = _mm512_add_ps(f0, b);
      f1 = _mm512_add_ps(f1, b);
    }
    if (e.fact.kind) {
      f0 = float_act16(f0, e.fact);
      f1 = float_act16(f1, e.fact);
    }
    if constexpr (RNG) {
      lo = _mm512_mask_min_ps(lo, m0, f0, lo);
      hi = _mm512_mask_max_ps(hi, m0, f0, hi);
      lo = _mm512_mask_min_ps(lo, m1, f1, lo);
      hi = _mm512_mask_max_ps(hi, m1, f1, hi);
      if constexpr (NANS) nan = static_cast<__mmask16>(nan | _mm512_mask_cmp_ps_mask(m0, f0, f0, _CMP_UNORD_Q) | _mm512_mask_cmp_ps_mask(m1, f1, f1, _CMP_UNORD_Q));
    }
    if constexpr (MODE == 3 || MODE == 6) {
      const __m512 sv = _mm512_set1_ps(e.qscale), clo = _mm512_set1_ps(-4194304.0f), chi = _mm512_set1_ps(4194304.0f);
      const __m512i zv = _mm512_set1_epi32(e.qzp), zero = _mm512_setzero_si512();
      auto q16 = [&](__m512 v) {
        // MODE 6: a normal scale from the values' own range (quantize_in_range's case): |v / scale| <= 255 (1 + 2^-23),
        // no clamp to +-2^22 needed before the conversion; the unsigned saturation clamps above 255 either way
        const __m512 d = _mm512_div_ps(v, sv);
        const __m512 t = MODE == 6 ? d : _mm512_min_ps(_mm512_max_ps(d, clo), chi);
        const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zv);
        return _mm512_cvtusepi32_epi8(_mm512_max_epi32(q, zero));
      };
      const __m128i b0 = q16(f0), b1 = q16(f1);
      const uintptr_t yr = reinterpret_cast<uintptr_t>(static_cast<uint8_t*>(y) + static_cast<size_t>(r) * ldy);
      for (int s = 0; s < sg.n; s++) {  // masked lanes are not accessed: yr + off[s] may point before the row
        uint8_t* p = reinterpret_cast<uint8_t*>(yr + static_cast<uintptr_t>(sg.off[s]));
        _mm_mask_storeu_epi8(p, static_cast<__mmask16>(sg.mask[s]), b0);
        _mm_mask_storeu_epi8(reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(p) + 16), static_cast<__mmask16>(sg.mask[s] >> 16), b1);
      }
    } else if constexpr (MODE != 2 && MODE != 5) {
      const uintptr_t yr = reinterpret_cast<uintptr_t>(static_cast<float*>(y) + static_cast<size_t>(r) * ldy);
      for (int s = 0; s < sg.n; s++) {  // masked lanes are not accessed: yr + off[s] may point before the row
        float* p = reinterpret_cast<float*>(yr + static_cast<uintptr_t>(sg.off[s] * static_cast<ptrdiff_t>(sizeof(float))));
        _mm512_mask_storeu_ps(p, static_cast<__mmask16>(sg.mask[s]), f0);
        _mm512_mask_storeu_ps(reinterpret_cast<float*>(reinterpret_cast<uintptr_t>(p) + 16 * sizeof(float)), static_cast<__mmask16>(sg.mask[s] >> 16), f1);
      }
    }
  }
  if constexpr (RNG) {
    _mm512_store_ps(e.rng->lo, lo);
    _mm512_store_ps(e.rng->hi, hi);
    e.rng->nan |= nan;
  }
}

struct Vnni512Conv {
  static constexpr int MR = 12, NR = 32;
  template <bool G>
  static void acc(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const int32_t* init, int32_t* c) {
    using Fn = void (*)(int, const int8_t*, const uint8_t*, const int32_t*, const int32_t*, int32_t*);
    static constexpr Fn fns[MR + 1] = {nullptr, &qconv_tile<1, G>, &qconv_tile<2, G>, &qconv_tile<3, G>, &qconv_tile<4, G>, &qconv_tile<5, G>, &qconv_tile<6, G>, &qconv_tile<7, G>, &qconv_tile<8, G>, &qconv_tile<9, G>, &qconv_tile<10, G>, &qconv_tile<11, G>, &qconv_tile<12, G>};
    fns[rows](kg, a, b, goff, init, c);
  }
  static void tile(int rows, int kg, const int8_t* a, int, const uint8_t* b, int32_t* c) { acc<false>(rows, kg, a, b, nullptr, nullptr, c); }
  static void tile_g(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, int32_t* c) { acc<true>(rows, kg, a, b, goff, nullptr, c); }
  // tile_q / tile_gq / tile_f / tile_gf: with cs_out the strip's last row is the ones row (QConvW::folded): its sums (the
  // panel's column sums, starting from off[rows - 1] = 0) go to cs_out (= e.cs) before the other rows' epilogue.
  static inline int take_cs(int rows, const int32_t* c, int32_t* cs_out) {
    if (!cs_out) return rows;
    std::memcpy(cs_out, c + 32 * (rows - 1), sizeof(int32_t) * 32);
    return rows - 1;
  }
  // one contiguous segment of nv (<= 32) columns
  static inline QSegs one_seg(int nv) {
    QSegs sg;
    sg.n = 1;
    sg.mask[0] = nv >= 32 ? ~0u : (1u << nv) - 1;
    sg.off[0] = 0;
    return sg;
  }
  static void tile_q(int rows, int kg, const int8_t* a, const uint8_t* b, const QConvEpi& e, uint8_t* y, size_t ldy, int nv, int32_t* cs_out) {
    const QSegs sg = one_seg(nv);
    alignas(64) int32_t c[MR * 32];
    acc<false>(rows, kg, a, b, nullptr, e.off, c);
    epi(take_cs(rows, c, cs_out), c, e, y, ldy, sg);
  }
  static void tile_gq(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg, int32_t* cs_out) {
    alignas(64) int32_t c[MR * 32];
    acc<true>(rows, kg, a, b, goff, e.off, c);
    epi(take_cs(rows, c, cs_out), c, e, y, ldy, sg);
  }
  static void tile_f(int rows, int kg, const int8_t* a, const uint8_t* b, const QConvEpi& e, void* y, size_t ldy, int nv, int32_t* cs_out) {
    const QSegs sg = one_seg(nv);
    alignas(64) int32_t c[MR * 32];
    acc<false>(rows, kg, a, b, nullptr, e.off, c);
    epi_f(take_cs(rows, c, cs_out), c, e, y, ldy, sg);
  }
  static void tile_gf(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const QConvEpi& e, void* y, size_t ldy, const QSegs& sg, int32_t* cs_out) {
    alignas(64) int32_t c[MR * 32];
    acc<true>(rows, kg, a, b, goff, e.off, c);
    epi_f(take_cs(rows, c, cs_out), c, e, y, ldy, sg);
  }
  template <int MODE, size_t... I>
  static constexpr auto epi_f_table(std::index_sequence<I...>) {
    using Fn = void (*)(const int32_t*, const QConvEpi&, void*, size_t, const QSegs&);
    return std::array<Fn, MR + 1>{{nullptr, &qconv_epi_f<static_cast<int>(I) + 1, MODE>...}};
  }
  static void epi_f(int rows, const int32_t* c, const QConvEpi& e, void* y, size_t ldy, const QSegs& sg) {
    static constexpr auto plain = epi_f_table<0>(std::make_index_sequence<MR>{}), ranged = epi_f_table<1>(std::make_index_sequence<MR>{});
    static constexpr auto only = epi_f_table<2>(std::make_index_sequence<MR>{}), quant = epi_f_table<3>(std::make_index_sequence<MR>{});
    static constexpr auto ranged_nn = epi_f_table<4>(std::make_index_sequence<MR>{}), only_nn = epi_f_table<5>(std::make_index_sequence<MR>{});
    static constexpr auto quant_in = epi_f_table<6>(std::make_index_sequence<MR>{});
    const bool in_range = e.qscale >= 1.17549435e-38f && e.qscale - e.qscale == 0.0f;
    (e.fmode == 3 ? (in_range ? quant_in : quant) : e.fmode == 2 ? (e.nonan ? only_nn : only) : e.rng ? (e.nonan ? ranged_nn : ranged) : plain)[rows](c, e, y, ldy, sg);
  }
  template <bool S, bool U, size_t... I>
  static constexpr auto epi_table(std::index_sequence<I...>) {
    using Fn = void (*)(const int32_t*, const QConvEpi&, uint8_t*, size_t, const QSegs&);
    return std::array<Fn, MR + 1>{{nullptr, &qconv_epi<static_cast<int>(I) + 1, S, U>...}};
  }
  static void epi(int rows, const int32_t* c, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg) {
    static constexpr auto u = epi_table<false, false>(std::make_index_sequence<MR>{}), s = epi_table<true, false>(std::make_index_sequence<MR>{});
    static constexpr auto uu = epi_table<false, true>(std::make_index_sequence<MR>{}), su = epi_table<true, true>(std::make_index_sequence<MR>{});
    (e.unit ? (e.sign ? su : uu) : (e.sign ? s : u))[rows](c, e, y, ldy, sg);
  }
};
using CD = QConvDriver<Vnni512Conv>;
using CD4 = QConvC4Driver<Vnni512Conv>;
}  // namespace

const QGemmKernel kQGemmAvx512Vnni = {"avx512-vnni", "avx512-vnni", ISA_AVX2 | ISA_AVX512 | ISA_AVX512VNNI, Vnni512UK::NR, 4, false, D::scratch_bytes(), &D::run, false, &D::apack_bytes, &D::apack, Vnni512Conv::MR, Vnni512Conv::NR, false, &CD::run, &CD4::prep, &CD4::run, true, true, true};

}  // namespace lowbit
