// AVX2 + FMA float32 GEMM: 6 x 16 register tile (12 accumulators, 2 B vectors, 1 broadcast).
#include <immintrin.h>

#include <cstring>

#include "common.h"
#include "quant_avx2.h"

namespace lowbit {
namespace {
#include "fgemm_driver.h"

struct Avx2FUK {
  static constexpr int MR = 6, NR = 16;
  __attribute__((noinline)) static void tile(int kc, const float* a, const float* b, float* c, int ldc, bool acc) {
    __m256 c0[MR], c1[MR];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const float* d = c + static_cast<size_t>(r) * ldc;
      c0[r] = acc ? _mm256_loadu_ps(d) : _mm256_setzero_ps();
      c1[r] = acc ? _mm256_loadu_ps(d + 8) : _mm256_setzero_ps();
    }
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) {
        const __m256 av = _mm256_broadcast_ss(a + r);
        c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
      }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      float* d = c + static_cast<size_t>(r) * ldc;
      _mm256_storeu_ps(d, c0[r]);
      _mm256_storeu_ps(d + 8, c1[r]);
    }
  }
  // Two panels at once (two memory streams for the DRAM-bound GEMV), each column in gemv's order (4 interleaved
  // partial sums, then (s0 + s1) + (s2 + s3)).
  static constexpr bool GEMV2 = true;
  __attribute__((noinline)) static void gemv2(int K, const float* a, const float* b, const float* b2, float* c, float* c2) {
    __m256 s[4][2], t[4][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u][0] = s[u][1] = t[u][0] = t[u][1] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 4 <= K; k += 4, b += 4 * NR, b2 += 4 * NR) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const __m256 av = _mm256_broadcast_ss(a + k + u);
        s[u][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b + u * NR), s[u][0]);
        s[u][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b + u * NR + 8), s[u][1]);
        t[u][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b2 + u * NR), t[u][0]);
        t[u][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b2 + u * NR + 8), t[u][1]);
      }
    }
    for (; k < K; k++, b += NR, b2 += NR) {
      const __m256 av = _mm256_broadcast_ss(a + k);
      s[0][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b), s[0][0]);
      s[0][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b + 8), s[0][1]);
      t[0][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b2), t[0][0]);
      t[0][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b2 + 8), t[0][1]);
    }
    _mm256_storeu_ps(c, _mm256_add_ps(_mm256_add_ps(s[0][0], s[1][0]), _mm256_add_ps(s[2][0], s[3][0])));
    _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_add_ps(s[0][1], s[1][1]), _mm256_add_ps(s[2][1], s[3][1])));
    _mm256_storeu_ps(c2, _mm256_add_ps(_mm256_add_ps(t[0][0], t[1][0]), _mm256_add_ps(t[2][0], t[3][0])));
    _mm256_storeu_ps(c2 + 8, _mm256_add_ps(_mm256_add_ps(t[0][1], t[1][1]), _mm256_add_ps(t[2][1], t[3][1])));
  }
  __attribute__((noinline)) static void gemv(int K, const float* a, const float* b, float* c, bool) {
    __m256 s[4][2];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u][0] = s[u][1] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 4 <= K; k += 4, b += 4 * NR) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const __m256 av = _mm256_broadcast_ss(a + k + u);
        s[u][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b + u * NR), s[u][0]);
        s[u][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b + u * NR + 8), s[u][1]);
      }
    }
    for (; k < K; k++, b += NR) {
      const __m256 av = _mm256_broadcast_ss(a + k);
      s[0][0] = _mm256_fmadd_ps(av, _mm256_load_ps(b), s[0][0]);
      s[0][1] = _mm256_fmadd_ps(av, _mm256_load_ps(b + 8), s[0][1]);
    }
    _mm256_storeu_ps(c, _mm256_add_ps(_mm256_add_ps(s[0][0], s[1][0]), _mm256_add_ps(s[2][0], s[3][0])));
    _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_add_ps(s[0][1], s[1][1]), _mm256_add_ps(s[2][1], s[3][1])));
  }
};
using D = FDriver<Avx2FUK>;

#include "conv_driver.h"

// Direct convolution: R output channels (broadcast weights) x 16 output pixels (2 vectors), R <= 6.
template <int R>
__attribute__((noinline)) void fconv_tile(int K, const float* a, const float* b, int ldb, float* c, int ldc, const float* bias) {
  __m256 c0[R], c1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm256_setzero_ps();
  for (int k = 0; k < K; k++, a += R, b += ldb) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    float* d = c + static_cast<size_t>(r) * ldc;
    if (bias) {
      const __m256 bv = _mm256_set1_ps(bias[r]);
      c0[r] = _mm256_add_ps(c0[r], bv);
      c1[r] = _mm256_add_ps(c1[r], bv);
    }
    _mm256_storeu_ps(d, c0[r]);
    _mm256_storeu_ps(d + 8, c1[r]);
  }
}

struct Avx2FConv {
  static constexpr int MR = 6, NR = 16;
  static void tile(int rows, int K, const float* a, const float* b, int ldb, float* c, int ldc, const float* bias) {
    using Fn = void (*)(int, const float*, const float*, int, float*, int, const float*);
    static constexpr Fn fns[MR + 1] = {nullptr, &fconv_tile<1>, &fconv_tile<2>, &fconv_tile<3>, &fconv_tile<4>, &fconv_tile<5>, &fconv_tile<6>};
    fns[rows](K, a, b, ldb, c, ldc, bias);
  }
};
using CD = FConvDriver<Avx2FConv>;
}  // namespace

const FGemmKernel kFGemmAvx2 = {"avx2", "avx2", ISA_AVX2, Avx2FUK::NR, D::scratch_bytes(), &D::run, Avx2FConv::MR, Avx2FConv::NR, &CD::run};

/** Runs n dependent FMAs of this unit's width (4-cycle latency each); returns a value so the chain is kept. */
float fma_chain_avx2(long n) {
  __m256 x = _mm256_set1_ps(1.0f);
  const __m256 m = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(0.0f);
  for (long i = 0; i < n; i++) {
    x = _mm256_fmadd_ps(x, m, c);
    __asm__ volatile("" : "+v"(x));
  }
  float out[sizeof(__m256) / 4];
  std::memcpy(out, &x, sizeof(out));
  return out[0];
}

}  // namespace lowbit
