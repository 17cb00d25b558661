// Portable float32 GEMM (isa "scalar-c"): the driver with a plain tile loop (std::fma, so it rounds like the SIMD
// variants) and packing/kernel-list helpers.
#include <cmath>
#include <cstring>

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
      // B^T's rows are B's columns: read each contiguously, write it down the panel.
      for (int jj = 0; jj < nr; jj++) {
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
