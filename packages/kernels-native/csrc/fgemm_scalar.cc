// Portable float32 GEMM (isa "scalar-c"): the driver with a plain tile loop (std::fma, so it rounds like the SIMD
// variants) and packing/kernel-list helpers.
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "common.h"

namespace lowbit {
namespace {
#include "fgemm_driver.h"

struct ScalarFUK {
  static constexpr int MR = 4, NR = 16;
  static void tile(int kc, const float* a, const float* b, float* c, int ldc, bool acc) {
    float t[MR][NR];
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) t[r][j] = acc ? c[r * ldc + j] : 0.0f;
    for (int k = 0; k < kc; k++, a += MR, b += NR)
      for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) t[r][j] = std::fma(a[r], b[j], t[r][j]);
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) c[r * ldc + j] = t[r][j];
  }
  static void gemv(int K, const float* a, const float* b, float* c, bool) {
    float s[4][NR] = {};
    int k = 0;
    for (; k + 4 <= K; k += 4)
      for (int u = 0; u < 4; u++)
        for (int j = 0; j < NR; j++) s[u][j] = std::fma(a[k + u], b[(k + u) * NR + j], s[u][j]);
    for (; k < K; k++)
      for (int j = 0; j < NR; j++) s[0][j] = std::fma(a[k], b[k * NR + j], s[0][j]);
    for (int j = 0; j < NR; j++) c[j] = (s[0][j] + s[1][j]) + (s[2][j] + s[3][j]);
  }
};
using D = FDriver<ScalarFUK>;
}  // namespace

const FGemmKernel kFGemmScalar = {"scalar-c", "scalar-c", 0, ScalarFUK::NR, D::scratch_bytes(), &D::run};

size_t fpack_floats(const FGemmKernel& k, int K, int N) {
  const size_t n = static_cast<size_t>((N + k.nr - 1) / k.nr) * K * k.nr;
  return n ? n : 1;
}

void fpack_into(const FGemmKernel& k, const float* b, int K, int N, int ldb, bool trans, FPackedB* p, float* data) {
  p->K = K;
  p->N = N;
  p->nr = k.nr;
  p->panels = (N + k.nr - 1) / k.nr;
  p->data = data;
  const int nr = k.nr;
  for (int pnl = 0; pnl < p->panels; pnl++) {
    const int n0 = pnl * nr, nv = N - n0 < nr ? N - n0 : nr;
    float* d = data + static_cast<size_t>(pnl) * K * nr;
    if (!trans) {
      for (int kk = 0; kk < K; kk++) {
        const float* src = b + static_cast<size_t>(kk) * ldb + n0;
        float* dk = d + static_cast<size_t>(kk) * nr;
        std::memcpy(dk, src, sizeof(float) * nv);
        for (int jj = nv; jj < nr; jj++) dk[jj] = 0.0f;
      }
    } else {
      // B^T's rows are B's columns: read each contiguously, write it down the panel (4 x 4 blocks transposed in
      // registers where SSE is there).
      int jj = 0;
#if defined(__SSE2__)
      for (; jj + 4 <= nv; jj += 4) {
        const float* s0 = b + static_cast<size_t>(n0 + jj) * ldb;
        const float *s1 = s0 + ldb, *s2 = s1 + ldb, *s3 = s2 + ldb;
        int kk = 0;
        for (; kk + 4 <= K; kk += 4) {
          __m128 r0 = _mm_loadu_ps(s0 + kk), r1 = _mm_loadu_ps(s1 + kk), r2 = _mm_loadu_ps(s2 + kk), r3 = _mm_loadu_ps(s3 + kk);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          float* dk = d + static_cast<size_t>(kk) * nr + jj;
          _mm_storeu_ps(dk, r0);
          _mm_storeu_ps(dk + nr, r1);
          _mm_storeu_ps(dk + 2 * nr, r2);
          _mm_storeu_ps(dk + 3 * nr, r3);
        }
        for (; kk < K; kk++) {
          float* dk = d + static_cast<size_t>(kk) * nr + jj;
          dk[0] = s0[kk];
          dk[1] = s1[kk];
          dk[2] = s2[kk];
          dk[3] = s3[kk];
        }
      }
#endif
      for (; jj < nr; jj++) {
        if (jj >= nv) {
          for (int kk = 0; kk < K; kk++) d[static_cast<size_t>(kk) * nr + jj] = 0.0f;
          continue;
        }
        const float* src = b + static_cast<size_t>(n0 + jj) * ldb;
        for (int kk = 0; kk < K; kk++) d[static_cast<size_t>(kk) * nr + jj] = src[kk];
      }
    }
  }
}

void fpack(const FGemmKernel& k, const float* b, int K, int N, bool trans, FPackedB* p) {
  float* data = static_cast<float*>(aligned_alloc64(sizeof(float) * fpack_floats(k, K, N)));
  fpack_into(k, b, K, N, trans ? K : N, trans, p, data);
}

void ffree(FPackedB* p) {
  aligned_free(p->data);
  p->data = nullptr;
}

int fgemm_kernels(const FGemmKernel* const** out) {
#if defined(__x86_64__)
  static const FGemmKernel* const list[] = {&kFGemmScalar, &kFGemmAvx2, &kFGemmAvx512};
#elif defined(__aarch64__)
  static const FGemmKernel* const list[] = {&kFGemmScalar, &kFGemmNeon};
#else
  static const FGemmKernel* const list[] = {&kFGemmScalar};
#endif
  *out = list;
  return static_cast<int>(sizeof(list) / sizeof(list[0]));
}

}  // namespace lowbit
