// AVX512-VNNI int8 GEMM (512-bit vpdpbusd; -mavx512f -mavx512bw -mavx512vl -mavx512vnni): 4 x 64 register tile.
#include <immintrin.h>

#include <cstring>

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
  static constexpr bool EPI = true;
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
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++) _mm512_storeu_si512(c + static_cast<size_t>(r) * ldc + 16 * v, cc[r][v]);
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
template <int R>
__attribute__((noinline)) void qconv_tile(int kg, const int8_t* a, const uint8_t* b, int32_t* c) {
  __m512i c0[R], c1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm512_setzero_si512();
  for (int g = 0; g < kg; g++, a += 4 * R, b += 128) {
    const __m512i b0 = _mm512_load_si512(b), b1 = _mm512_load_si512(b + 64);
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

/** qconv_tile<R> over the 4-k groups at b + goff[g] (the c4 layout: 32 columns of 4 bytes each, unaligned). */
template <int R>
__attribute__((noinline)) void qconv_tile_g(int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, int32_t* c) {
  __m512i c0[R], c1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm512_setzero_si512();
  for (int g = 0; g < kg; g++, a += 4 * R) {
    const uint8_t* bp = b + goff[g];
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

/** QLinearConv's epilogue (QConvEpi) of R rows of 32 sums at c (from the L1: with the epilogue in the k loop's
 *  function GCC spills the accumulators inside the loop), stored as bytes by segment (row r of Y at y + r * ldy). */
template <int R>
__attribute__((noinline)) void qconv_epi(const int32_t* c, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg) {
  const __m512 lo = _mm512_set1_ps(e.lo), hi = _mm512_set1_ps(e.hi);
  const __m512i zp = _mm512_set1_epi32(e.zp);
  __m512i cs0 = _mm512_setzero_si512(), cs1 = cs0;
  if (e.cs) {
    cs0 = _mm512_load_si512(e.cs);
    cs1 = _mm512_load_si512(e.cs + 16);
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    const __m512i o = _mm512_set1_epi32(e.off[r]);
    __m512i v0 = _mm512_add_epi32(_mm512_load_si512(c + 32 * r), o), v1 = _mm512_add_epi32(_mm512_load_si512(c + 32 * r + 16), o);
    if (e.cs) {
      const __m512i z = _mm512_set1_epi32(e.zw[r]);
      v0 = _mm512_sub_epi32(v0, _mm512_mullo_epi32(z, cs0));
      v1 = _mm512_sub_epi32(v1, _mm512_mullo_epi32(z, cs1));
    }
    const __m512 m = _mm512_set1_ps(e.mult[r]);
    const __m512 f0 = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v0), m), lo), hi);
    const __m512 f1 = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v1), m), lo), hi);
    const __m512i q0 = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    const __m512i q1 = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    // in [-128, 255]: the low byte of each is the result
    const __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(q0)), _mm512_cvtepi32_epi8(q1), 1);
    uint8_t* yr = y + static_cast<size_t>(r) * ldy;
    for (int s = 0; s < sg.n; s++)  // masked lanes are not accessed: yr + off[s] may point before the row
      _mm256_mask_storeu_epi8(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(yr) + static_cast<uintptr_t>(sg.off[s])), sg.mask[s], bytes);
  }
}

struct Vnni512Conv {
  static constexpr int MR = 12, NR = 32;
  static void tile_q(int rows, int kg, const int8_t* a, const uint8_t* b, const QConvEpi& e, uint8_t* y, size_t ldy, int nv) {
    QSegs sg;
    sg.n = 1;
    sg.mask[0] = nv >= 32 ? ~0u : (1u << nv) - 1;
    sg.off[0] = 0;
    tile_gq_impl(rows, kg, a, b, nullptr, e, y, ldy, sg);
  }
  static void tile_g(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, int32_t* c) {
    using Fn = void (*)(int, const int8_t*, const uint8_t*, const int32_t*, int32_t*);
    static constexpr Fn fns[MR + 1] = {nullptr, &qconv_tile_g<1>, &qconv_tile_g<2>, &qconv_tile_g<3>, &qconv_tile_g<4>, &qconv_tile_g<5>, &qconv_tile_g<6>, &qconv_tile_g<7>, &qconv_tile_g<8>, &qconv_tile_g<9>, &qconv_tile_g<10>, &qconv_tile_g<11>, &qconv_tile_g<12>};
    fns[rows](kg, a, b, goff, c);
  }
  static void tile_gq(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg) {
    tile_gq_impl(rows, kg, a, b, goff, e, y, ldy, sg);
  }
  /** goff null: the groups one after the other (the packed panel, qconv_tile); else at b + goff[g]. */
  static void tile_gq_impl(int rows, int kg, const int8_t* a, const uint8_t* b, const int32_t* goff, const QConvEpi& e, uint8_t* y, size_t ldy, const QSegs& sg) {
    alignas(64) int32_t c[MR * 32];
    if (goff) tile_g(rows, kg, a, b, goff, c);
    else tile(rows, kg, a, 0, b, c);
    using Fn = void (*)(const int32_t*, const QConvEpi&, uint8_t*, size_t, const QSegs&);
    static constexpr Fn fns[MR + 1] = {nullptr, &qconv_epi<1>, &qconv_epi<2>, &qconv_epi<3>, &qconv_epi<4>, &qconv_epi<5>, &qconv_epi<6>, &qconv_epi<7>, &qconv_epi<8>, &qconv_epi<9>, &qconv_epi<10>, &qconv_epi<11>, &qconv_epi<12>};
    fns[rows](c, e, y, ldy, sg);
  }
  static void tile(int rows, int kg, const int8_t* a, int, const uint8_t* b, int32_t* c) {
    using Fn = void (*)(int, const int8_t*, const uint8_t*, int32_t*);
    static constexpr Fn fns[MR + 1] = {nullptr, &qconv_tile<1>, &qconv_tile<2>, &qconv_tile<3>, &qconv_tile<4>, &qconv_tile<5>, &qconv_tile<6>, &qconv_tile<7>, &qconv_tile<8>, &qconv_tile<9>, &qconv_tile<10>, &qconv_tile<11>, &qconv_tile<12>};
    fns[rows](kg, a, b, c);
  }
};
using CD = QConvDriver<Vnni512Conv>;
using CD4 = QConvC4Driver<Vnni512Conv>;
}  // namespace

const QGemmKernel kQGemmAvx512Vnni = {"avx512-vnni", "avx512-vnni", ISA_AVX2 | ISA_AVX512 | ISA_AVX512VNNI, Vnni512UK::NR, 4, false, D::scratch_bytes(), &D::run, false, &D::apack_bytes, &D::apack, Vnni512Conv::MR, Vnni512Conv::NR, false, &CD::run, &CD4::prep, &CD4::run};

}  // namespace lowbit
