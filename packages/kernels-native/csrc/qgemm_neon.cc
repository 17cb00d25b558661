// arm64 NEON int8 GEMM without dot product (isa "neon"): u8 activations and s8 weights widened to int16, products
// in int32 (vmull_s16), the 4 k of a group summed pairwise. Exact for any weights. 2 x 16 register tile.
#include <arm_neon.h>

#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

/** Sums of a (4 k) x 16 bytes of B (4 columns x 4 k) product: one int32 per column. */
inline int32x4_t dot4x4(uint8x16_t a4, int8x16_t b) {
  const int16x8_t alo = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(a4)));
  const int16x8_t blo = vmovl_s8(vget_low_s8(b)), bhi = vmovl_s8(vget_high_s8(b));
  const int32x4_t p0 = vmull_s16(vget_low_s16(alo), vget_low_s16(blo));
  const int32x4_t p1 = vmull_s16(vget_high_s16(alo), vget_high_s16(blo));
  const int32x4_t p2 = vmull_s16(vget_low_s16(alo), vget_low_s16(bhi));
  const int32x4_t p3 = vmull_s16(vget_high_s16(alo), vget_high_s16(bhi));
  return vpaddq_s32(vpaddq_s32(p0, p1), vpaddq_s32(p2, p3));
}

inline uint8x16_t bcast4(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return vreinterpretq_u8_u32(vdupq_n_u32(w));
}

struct NeonUK {
  static constexpr int MR = 2, NR = 16, PLANES = 1;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc) {
    int32x4_t s[MR][4];
    for (int r = 0; r < MR; r++)
      for (int q = 0; q < 4; q++) s[r][q] = acc ? vld1q_s32(c + static_cast<size_t>(r) * ldc + 4 * q) : vdupq_n_s32(0);
    for (int g = 0; g < kg; g++, a += MR * 4, b += 64) {
      const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32), b3 = vld1q_s8(b + 48);
      for (int r = 0; r < MR; r++) {
        const uint8x16_t av = bcast4(a + 4 * r);
        s[r][0] = vaddq_s32(s[r][0], dot4x4(av, b0));
        s[r][1] = vaddq_s32(s[r][1], dot4x4(av, b1));
        s[r][2] = vaddq_s32(s[r][2], dot4x4(av, b2));
        s[r][3] = vaddq_s32(s[r][3], dot4x4(av, b3));
      }
    }
    for (int r = 0; r < MR; r++)
      for (int q = 0; q < 4; q++) vst1q_s32(c + static_cast<size_t>(r) * ldc + 4 * q, s[r][q]);
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    int32x4_t s[4];
    for (int q = 0; q < 4; q++) s[q] = acc ? vld1q_s32(c + 4 * q) : vdupq_n_s32(0);
    for (int g = 0; g < kg; g++, a += 4, b += 64) {
      const uint8x16_t av = bcast4(a);
      for (int q = 0; q < 4; q++) s[q] = vaddq_s32(s[q], dot4x4(av, vld1q_s8(b + 16 * q)));
    }
    for (int q = 0; q < 4; q++) vst1q_s32(c + 4 * q, s[q]);
  }
};
using D = QDriver<NeonUK>;
}  // namespace

const QGemmKernel kQGemmNeon = {"neon", "neon", ISA_NEON, 16, 4, false, D::scratch_bytes(), &D::run};

}  // namespace lowbit
