// AVX-VNNI int8 GEMM (VEX vpdpbusd, 256-bit; compiled with -mavx2 -mfma -mavxvnni). vpdpbusd multiplies u8 x s8
// in groups of 4 and adds to int32 without saturation, so it is exact for any weights (u8 x s8 is its native form;
// other signednesses come in through the offsets of qpack and the driver).
#include <immintrin.h>

#include <cstring>

#include "common.h"
#include "quant_avx2.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

inline __m256i bcast4(const uint8_t* p) {
  int32_t w;
  std::memcpy(&w, p, 4);
  return _mm256_set1_epi32(w);
}

/** The fused zero-point correction on MR rows of two vectors (see QEpi). */
template <int MR>
inline void epi(const QEpi* e, __m256i* c0, __m256i* c1) {
  const __m256i z0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->z)), z1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->z) + 1);
  #pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    const __m256i xv = _mm256_set1_epi32(e->x[r]);
    const __m256i t0 = e->y ? _mm256_mullo_epi32(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->y))) : xv;
    const __m256i t1 = e->y ? _mm256_mullo_epi32(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->y) + 1)) : xv;
    c0[r] = _mm256_sub_epi32(c0[r], _mm256_add_epi32(t0, z0));
    c1[r] = _mm256_sub_epi32(c1[r], _mm256_add_epi32(t1, z1));
  }
}

struct VnniUK {
  static constexpr int MR = 6, NR = 16, PLANES = 1;
  static constexpr bool EPI = true;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc, const QEpi* e) {
    __m256i c0[MR], c1[MR];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const int32_t* d = c + static_cast<size_t>(r) * ldc;
      c0[r] = acc ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)) : _mm256_setzero_si256();
      c1[r] = acc ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d) + 1) : _mm256_setzero_si256();
    }
    for (int g = 0; g < kg; g++, a += MR * 4, b += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) {
        const __m256i av = bcast4(a + 4 * r);
        c0[r] = _mm256_dpbusd_avx_epi32(c0[r], av, b0);
        c1[r] = _mm256_dpbusd_avx_epi32(c1[r], av, b1);
      }
    }
    if (e) epi<MR>(e, c0, c1);
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m256i* d = reinterpret_cast<__m256i*>(c + static_cast<size_t>(r) * ldc);
      _mm256_storeu_si256(d, c0[r]);
      _mm256_storeu_si256(d + 1, c1[r]);
    }
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    __m256i s[4][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u][0] = s[u][1] = _mm256_setzero_si256();
    int g = 0;
    for (; g + 4 <= kg; g += 4, a += 16, b += 256) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const __m256i av = bcast4(a + 4 * u);
        s[u][0] = _mm256_dpbusd_avx_epi32(s[u][0], av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u)));
        s[u][1] = _mm256_dpbusd_avx_epi32(s[u][1], av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u + 32)));
      }
    }
    for (; g < kg; g++, a += 4, b += 64) {
      const __m256i av = bcast4(a);
      s[0][0] = _mm256_dpbusd_avx_epi32(s[0][0], av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b)));
      s[0][1] = _mm256_dpbusd_avx_epi32(s[0][1], av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32)));
    }
    __m256i r0 = _mm256_add_epi32(_mm256_add_epi32(s[0][0], s[1][0]), _mm256_add_epi32(s[2][0], s[3][0]));
    __m256i r1 = _mm256_add_epi32(_mm256_add_epi32(s[0][1], s[1][1]), _mm256_add_epi32(s[2][1], s[3][1]));
    __m256i* d = reinterpret_cast<__m256i*>(c);
    if (acc) {
      r0 = _mm256_add_epi32(r0, _mm256_loadu_si256(d));
      r1 = _mm256_add_epi32(r1, _mm256_loadu_si256(d + 1));
    }
    _mm256_storeu_si256(d, r0);
    _mm256_storeu_si256(d + 1, r1);
  }
};
using D = QDriver<VnniUK>;

#include "conv_driver.h"

// Direct convolution: R output channels (broadcast 4 weights) x 16 output pixels (2 vectors of 8 int32), R <= 6.
template <int R>
__attribute__((noinline)) void qconv_tile(int kg, const int8_t* a, const uint8_t* b, int32_t* c) {
  __m256i c0[R], c1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int g = 0; g < kg; g++, a += 4 * R, b += 64) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b)), b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m256i av = bcast4(reinterpret_cast<const uint8_t*>(a) + 4 * r);
      c0[r] = _mm256_dpbusd_avx_epi32(c0[r], b0, av);
      c1[r] = _mm256_dpbusd_avx_epi32(c1[r], b1, av);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r), c0[r]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r) + 1, c1[r]);
  }
}

struct VnniConv {
  static constexpr int MR = 6, NR = 16;
  static void tile(int rows, int kg, const int8_t* a, int, const uint8_t* b, int32_t* c) {
    using Fn = void (*)(int, const int8_t*, const uint8_t*, int32_t*);
    static constexpr Fn fns[MR + 1] = {nullptr, &qconv_tile<1>, &qconv_tile<2>, &qconv_tile<3>, &qconv_tile<4>, &qconv_tile<5>, &qconv_tile<6>};
    fns[rows](kg, a, b, c);
  }
};
using CD = QConvDriver<VnniConv>;
}  // namespace

const QGemmKernel kQGemmAvxVnni = {"avx-vnni", "avx-vnni", ISA_AVX2 | ISA_AVXVNNI, 16, 4, false, D::scratch_bytes(), &D::run, false, &D::apack_bytes, &D::apack, VnniConv::MR, VnniConv::NR, false, &CD::run};

}  // namespace lowbit
