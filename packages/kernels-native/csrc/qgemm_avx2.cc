// AVX2 int8 GEMM (compiled with -mavx2 -mfma). Two kernels:
// - "avx2-7bit": vpmaddubsw (u8 x s8 pairs into int16) + vpmaddwd(ones) into int32. The int16 pair sum saturates in
//   general; it is exact when every packed weight lies in [-64, 63] (|255*64*2| < 32768), so this kernel is only
//   used for 7-bit packed weights (qpack refuses it otherwise).
// - "avx2": exact for any weights: vpmaddwd on int16 (A widened at pack time, the packed s8 weights split into their
//   even and odd k by shifts in the loop), one multiply per 16 MACs (Wide16UK; 1.4x the former split of A into
//   7 + 1 bits, which needed four multiplies per 32 MACs).
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

// 4 x 16 tile with named accumulators (arrays of vectors get spilled by GCC here): 8 accumulators, 2 B vectors,
// 1 broadcast, the constant and a temporary fit the 16 ymm registers.
#define LB_F7_STEP(r)                                                                            \
  {                                                                                              \
    const __m256i av = bcast4(a + 4 * (r));                                                      \
    c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(_mm256_maddubs_epi16(av, b0), ones)); \
    c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(_mm256_maddubs_epi16(av, b1), ones)); \
  }
#define LB_LOAD2(r)                                                                        \
  __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = _mm256_setzero_si256();              \
  if (acc) {                                                                               \
    c##r##0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + static_cast<size_t>(r) * ldc));     \
    c##r##1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + static_cast<size_t>(r) * ldc) + 1); \
  }
// c -= x[r] * (y ? y[j] : 1) + z[j] on the two vectors of row r (the fused zero-point correction).
#define LB_EPI2(r)                                                                                         \
  {                                                                                                        \
    const __m256i xv = _mm256_set1_epi32(e->x[r]);                                                         \
    const __m256i t0 = e->y ? _mm256_mullo_epi32(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->y))) : xv;     \
    const __m256i t1 = e->y ? _mm256_mullo_epi32(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->y) + 1)) : xv; \
    c##r##0 = _mm256_sub_epi32(c##r##0, _mm256_add_epi32(t0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->z))));     \
    c##r##1 = _mm256_sub_epi32(c##r##1, _mm256_add_epi32(t1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e->z) + 1))); \
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
#define LB_STORE2(r)                                                                       \
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + static_cast<size_t>(r) * ldc), c##r##0);     \
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + static_cast<size_t>(r) * ldc) + 1, c##r##1);

struct Fast7UK {
  static constexpr int MR = 4, NR = 16, PLANES = 1;
  static constexpr bool EPI = true;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc, const QEpi* e) {
    LB_LOAD2(0) LB_LOAD2(1) LB_LOAD2(2) LB_LOAD2(3)
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < kg; g++, a += MR * 4, b += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
      LB_F7_STEP(0) LB_F7_STEP(1) LB_F7_STEP(2) LB_F7_STEP(3)
    }
    if (e) {
      LB_EPI2(0) LB_EPI2(1) LB_EPI2(2) LB_EPI2(3)
    }
    LB_STORE2(0) LB_STORE2(1) LB_STORE2(2) LB_STORE2(3)
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    __m256i s[4][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u][0] = s[u][1] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    int g = 0;
    for (; g + 4 <= kg; g += 4, a += 16, b += 256) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const __m256i av = bcast4(a + 4 * u);
        const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u));
        const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u + 32));
        s[u][0] = _mm256_add_epi32(s[u][0], _mm256_madd_epi16(_mm256_maddubs_epi16(av, b0), ones));
        s[u][1] = _mm256_add_epi32(s[u][1], _mm256_madd_epi16(_mm256_maddubs_epi16(av, b1), ones));
      }
    }
    for (; g < kg; g++, a += 4, b += 64) {
      const __m256i av = bcast4(a);
      s[0][0] = _mm256_add_epi32(s[0][0], _mm256_madd_epi16(_mm256_maddubs_epi16(av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b))), ones));
      s[0][1] = _mm256_add_epi32(s[0][1], _mm256_madd_epi16(_mm256_maddubs_epi16(av, _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32))), ones));
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

// Exact for any weights with one multiply per 16 MACs (the 7-bit path needs two per 32): A widened at pack time to
// uint16, each group of 4 k stored as (a0, a2, a1, a3); a 32-byte load of B (8 columns x 4 k of s8) gives the even k
// (k0, k2: shift left 8 then arithmetic right 8) and the odd k (k1, k3: arithmetic right 8) of each column as int16
// pairs in that column's 32-bit lane, and vpmaddwd against the broadcast (a0, a2) and (a1, a3) adds them into int32
// (|255 * 128 * 2| < 2^31: no saturation). 4 x 16 tile, the two 8-column halves in turn.
struct Wide16UK {
  static constexpr int MR = 4, NR = 16, PLANES = 2;
  static constexpr bool EPI = true, A16 = true;
  static inline __m256i even(__m256i x) { return _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8); }
  static inline __m256i odd(__m256i x) { return _mm256_srai_epi16(x, 8); }
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc, const QEpi* e) {
    __m256i c0[MR], c1[MR];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const int32_t* d = c + static_cast<size_t>(r) * ldc;
      c0[r] = acc ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)) : _mm256_setzero_si256();
      c1[r] = acc ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d) + 1) : _mm256_setzero_si256();
    }
    for (int g = 0; g < kg; g++, a += MR * 8, b += 64) {
      const __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i e0 = even(x0), o0 = odd(x0);
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++)
        c0[r] = _mm256_add_epi32(c0[r], _mm256_add_epi32(_mm256_madd_epi16(bcast4(a + 8 * r), e0), _mm256_madd_epi16(bcast4(a + 8 * r + 4), o0)));
      // Broadcast the row again for the second half rather than keep 8 broadcasts live (GCC would spill accumulators).
      asm volatile("" ::: "memory");
      const __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
      const __m256i e1 = even(x1), o1 = odd(x1);
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++)
        c1[r] = _mm256_add_epi32(c1[r], _mm256_add_epi32(_mm256_madd_epi16(bcast4(a + 8 * r), e1), _mm256_madd_epi16(bcast4(a + 8 * r + 4), o1)));
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
    __m256i s[2][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 2; u++) s[u][0] = s[u][1] = _mm256_setzero_si256();
    int g = 0;
    for (; g + 2 <= kg; g += 2, a += 16, b += 128) {
#pragma GCC unroll 2
      for (int u = 0; u < 2; u++) {
        const __m256i ae = bcast4(a + 8 * u), ao = bcast4(a + 8 * u + 4);
        const __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u));
        const __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 64 * u + 32));
        s[u][0] = _mm256_add_epi32(s[u][0], _mm256_add_epi32(_mm256_madd_epi16(ae, even(x0)), _mm256_madd_epi16(ao, odd(x0))));
        s[u][1] = _mm256_add_epi32(s[u][1], _mm256_add_epi32(_mm256_madd_epi16(ae, even(x1)), _mm256_madd_epi16(ao, odd(x1))));
      }
    }
    for (; g < kg; g++, a += 8, b += 64) {
      const __m256i ae = bcast4(a), ao = bcast4(a + 4);
      const __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
      s[0][0] = _mm256_add_epi32(s[0][0], _mm256_add_epi32(_mm256_madd_epi16(ae, even(x0)), _mm256_madd_epi16(ao, odd(x0))));
      s[0][1] = _mm256_add_epi32(s[0][1], _mm256_add_epi32(_mm256_madd_epi16(ae, even(x1)), _mm256_madd_epi16(ao, odd(x1))));
    }
    __m256i r0 = _mm256_add_epi32(s[0][0], s[1][0]), r1 = _mm256_add_epi32(s[0][1], s[1][1]);
    __m256i* d = reinterpret_cast<__m256i*>(c);
    if (acc) {
      r0 = _mm256_add_epi32(r0, _mm256_loadu_si256(d));
      r1 = _mm256_add_epi32(r1, _mm256_loadu_si256(d + 1));
    }
    _mm256_storeu_si256(d, r0);
    _mm256_storeu_si256(d + 1, r1);
  }
};

using DF = QDriver<Fast7UK>;
using DW = QDriver<Wide16UK>;

#include "conv_driver.h"

// Direct convolution, R output channels x 16 output pixels (2 vectors of 8 int32), R <= 4. One weight plane: 7-bit
// weights (vpmaddubsw pair sums of 255 * 64 * 2 < 2^15, exact). Two planes (any weights): b_s = 64 * h + l with
// l = b_s & 63 in [0, 63] and h = b_s >> 6 in [-2, 1]; both vpmaddubsw products are exact and are rebuilt in int32 by
// vpmaddwd with 1 and 64.
template <int R>
__attribute__((noinline)) void qconv_tile7(int kg, const int8_t* a, int, const uint8_t* b, int32_t* c) {
  __m256i c0[R], c1[R];
  const __m256i ones = _mm256_set1_epi16(1);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int g = 0; g < kg; g++, a += 4 * R, b += 64) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b)), b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const __m256i av = bcast4(reinterpret_cast<const uint8_t*>(a) + 4 * r);
      c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(_mm256_maddubs_epi16(b0, av), ones));
      c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(_mm256_maddubs_epi16(b1, av), ones));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r), c0[r]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r) + 1, c1[r]);
  }
}

template <int R>
__attribute__((noinline)) void qconv_tile_exact(int kg, const int8_t* a, int ps, const uint8_t* b, int32_t* c) {
  __m256i c0[R], c1[R];
  const __m256i ones = _mm256_set1_epi16(1), k64 = _mm256_set1_epi16(64);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int g = 0; g < kg; g++, a += 4 * R, b += 64) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b)), b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const __m256i lo = bcast4(reinterpret_cast<const uint8_t*>(a) + 4 * r), hi = bcast4(reinterpret_cast<const uint8_t*>(a) + ps + 4 * r);
      c0[r] = _mm256_add_epi32(c0[r], _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(b0, lo), ones), _mm256_madd_epi16(_mm256_maddubs_epi16(b0, hi), k64)));
      c1[r] = _mm256_add_epi32(c1[r], _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(b1, lo), ones), _mm256_madd_epi16(_mm256_maddubs_epi16(b1, hi), k64)));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r), c0[r]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(c + 16 * r) + 1, c1[r]);
  }
}

struct Avx2Conv {
  static constexpr int MR = 4, NR = 16;
  static void tile(int rows, int kg, const int8_t* a, int ps, const uint8_t* b, int32_t* c) {
    using Fn = void (*)(int, const int8_t*, int, const uint8_t*, int32_t*);
    static constexpr Fn f7[MR + 1] = {nullptr, &qconv_tile7<1>, &qconv_tile7<2>, &qconv_tile7<3>, &qconv_tile7<4>};
    static constexpr Fn fx[MR + 1] = {nullptr, &qconv_tile_exact<1>, &qconv_tile_exact<2>, &qconv_tile_exact<3>, &qconv_tile_exact<4>};
    (ps ? fx : f7)[rows](kg, a, ps, b, c);
  }
};
using CD = QConvDriver<Avx2Conv>;
}  // namespace

const QGemmKernel kQGemmAvx2Fast7 = {"avx2-7bit", "avx2", ISA_AVX2, 16, 4, true, DF::scratch_bytes(), &DF::run, false, &DF::apack_bytes, &DF::apack};
const QGemmKernel kQGemmAvx2 = {"avx2", "avx2", ISA_AVX2, 16, 4, false, DW::scratch_bytes(), &DW::run, false, &DW::apack_bytes, &DW::apack, Avx2Conv::MR, Avx2Conv::NR, true, &CD::run};

}  // namespace lowbit
