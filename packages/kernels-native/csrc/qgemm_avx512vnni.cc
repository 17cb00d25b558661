// AVX512-VNNI int8 GEMM (512-bit vpdpbusd; -mavx512f -mavx512bw -mavx512vl -mavx512vnni): 8 x 32 register tile.
#include <immintrin.h>

#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

inline __m512i bcast4(const uint8_t* p) {
  int32_t w;
  std::memcpy(&w, p, 4);
  return _mm512_set1_epi32(w);
}

struct Vnni512UK {
  static constexpr int MR = 8, NR = 32, PLANES = 1;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc) {
    __m512i c0[MR], c1[MR];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const int32_t* d = c + static_cast<size_t>(r) * ldc;
      c0[r] = acc ? _mm512_loadu_si512(d) : _mm512_setzero_si512();
      c1[r] = acc ? _mm512_loadu_si512(d + 16) : _mm512_setzero_si512();
    }
    for (int g = 0; g < kg; g++, a += MR * 4, b += 128) {
      const __m512i b0 = _mm512_load_si512(b);
      const __m512i b1 = _mm512_load_si512(b + 64);
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) {
        const __m512i av = bcast4(a + 4 * r);
        c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
        c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
      }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      int32_t* d = c + static_cast<size_t>(r) * ldc;
      _mm512_storeu_si512(d, c0[r]);
      _mm512_storeu_si512(d + 16, c1[r]);
    }
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    __m512i s[4][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u][0] = s[u][1] = _mm512_setzero_si512();
    int g = 0;
    for (; g + 4 <= kg; g += 4, a += 16, b += 512) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const __m512i av = bcast4(a + 4 * u);
        s[u][0] = _mm512_dpbusd_epi32(s[u][0], av, _mm512_load_si512(b + 128 * u));
        s[u][1] = _mm512_dpbusd_epi32(s[u][1], av, _mm512_load_si512(b + 128 * u + 64));
      }
    }
    for (; g < kg; g++, a += 4, b += 128) {
      const __m512i av = bcast4(a);
      s[0][0] = _mm512_dpbusd_epi32(s[0][0], av, _mm512_load_si512(b));
      s[0][1] = _mm512_dpbusd_epi32(s[0][1], av, _mm512_load_si512(b + 64));
    }
    __m512i r0 = _mm512_add_epi32(_mm512_add_epi32(s[0][0], s[1][0]), _mm512_add_epi32(s[2][0], s[3][0]));
    __m512i r1 = _mm512_add_epi32(_mm512_add_epi32(s[0][1], s[1][1]), _mm512_add_epi32(s[2][1], s[3][1]));
    if (acc) {
      r0 = _mm512_add_epi32(r0, _mm512_loadu_si512(c));
      r1 = _mm512_add_epi32(r1, _mm512_loadu_si512(c + 16));
    }
    _mm512_storeu_si512(c, r0);
    _mm512_storeu_si512(c + 16, r1);
  }
};
using D = QDriver<Vnni512UK>;
}  // namespace

const QGemmKernel kQGemmAvx512Vnni = {"avx512-vnni", "avx512-vnni", ISA_AVX2 | ISA_AVX512 | ISA_AVX512VNNI, 32, 4, false, D::scratch_bytes(), &D::run};

}  // namespace lowbit
