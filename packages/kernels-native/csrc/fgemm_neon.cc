// arm64 NEON float32 GEMM: 4 x 16 tile with lane FMAs (k ascending, one rounding per step: bit-identical to the
// scalar-c kernel), and the same 4-way interleaved GEMV.
#include <arm_neon.h>

#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "fgemm_driver.h"

struct NeonFUK {
  static constexpr int MR = 4, NR = 16;
  __attribute__((noinline)) static void tile(int kc, const float* a, const float* b, float* c, int ldc, bool acc) {
    float32x4_t s[MR][4];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 16
      for (int q = 0; q < 4; q++) s[r][q] = acc ? vld1q_f32(c + static_cast<size_t>(r) * ldc + 4 * q) : vdupq_n_f32(0.0f);
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
      const float32x4_t av = vld1q_f32(a);
#define LB_ROW(r)                                 \
  s[r][0] = vfmaq_laneq_f32(s[r][0], b0, av, r); \
  s[r][1] = vfmaq_laneq_f32(s[r][1], b1, av, r); \
  s[r][2] = vfmaq_laneq_f32(s[r][2], b2, av, r); \
  s[r][3] = vfmaq_laneq_f32(s[r][3], b3, av, r);
      LB_ROW(0) LB_ROW(1) LB_ROW(2) LB_ROW(3)
#undef LB_ROW
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 16
      for (int q = 0; q < 4; q++) vst1q_f32(c + static_cast<size_t>(r) * ldc + 4 * q, s[r][q]);
  }
  __attribute__((noinline)) static void gemv(int K, const float* a, const float* b, float* c, bool) {
    float32x4_t s[4][4];
    for (int u = 0; u < 4; u++)
      for (int q = 0; q < 4; q++) s[u][q] = vdupq_n_f32(0.0f);
    int k = 0;
    for (; k + 4 <= K; k += 4)
      for (int u = 0; u < 4; u++)
        for (int q = 0; q < 4; q++) s[u][q] = vfmaq_n_f32(s[u][q], vld1q_f32(b + (k + u) * NR + 4 * q), a[k + u]);
    for (; k < K; k++)
      for (int q = 0; q < 4; q++) s[0][q] = vfmaq_n_f32(s[0][q], vld1q_f32(b + k * NR + 4 * q), a[k]);
    for (int q = 0; q < 4; q++) vst1q_f32(c + 4 * q, vaddq_f32(vaddq_f32(s[0][q], s[1][q]), vaddq_f32(s[2][q], s[3][q])));
  }
};
using D = FDriver<NeonFUK>;
}  // namespace

const FGemmKernel kFGemmNeon = {"neon", "neon", ISA_NEON, NeonFUK::NR, D::scratch_bytes(), &D::run};

}  // namespace lowbit
