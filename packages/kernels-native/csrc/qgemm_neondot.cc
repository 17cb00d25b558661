// arm64 dot-product int8 GEMM (isa "neon-dot", -march=armv8.2-a+dotprod): udot of u8 activations with weights stored
// unsigned (b_u = b + 128 for int8 B; qpack's b_unsigned mode moves the zero point by the same amount), 4 x 16 tile.
// udot accumulates u8 x u8 groups of 4 into 32-bit lanes without saturation: exact for any weights.
#include <arm_neon.h>

#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

inline uint8x16_t bcast4(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return vreinterpretq_u8_u32(vdupq_n_u32(w));
}

struct NeonDotUK {
  static constexpr int MR = 4, NR = 16, PLANES = 1;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* bs, int32_t* c, int ldc, bool acc) {
    const uint8_t* b = reinterpret_cast<const uint8_t*>(bs);
    uint32x4_t s[MR][4];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 16
      for (int q = 0; q < 4; q++)
        s[r][q] = acc ? vld1q_u32(reinterpret_cast<const uint32_t*>(c + static_cast<size_t>(r) * ldc + 4 * q)) : vdupq_n_u32(0);
    for (int g = 0; g < kg; g++, a += MR * 4, b += 64) {
      const uint8x16_t b0 = vld1q_u8(b), b1 = vld1q_u8(b + 16), b2 = vld1q_u8(b + 32), b3 = vld1q_u8(b + 48);
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) {
        const uint8x16_t av = bcast4(a + 4 * r);
        s[r][0] = vdotq_u32(s[r][0], b0, av);
        s[r][1] = vdotq_u32(s[r][1], b1, av);
        s[r][2] = vdotq_u32(s[r][2], b2, av);
        s[r][3] = vdotq_u32(s[r][3], b3, av);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 16
      for (int q = 0; q < 4; q++) vst1q_u32(reinterpret_cast<uint32_t*>(c + static_cast<size_t>(r) * ldc + 4 * q), s[r][q]);
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* bs, int32_t* c, bool acc) {
    const uint8_t* b = reinterpret_cast<const uint8_t*>(bs);
    uint32x4_t s[4];
    for (int q = 0; q < 4; q++) s[q] = acc ? vld1q_u32(reinterpret_cast<const uint32_t*>(c + 4 * q)) : vdupq_n_u32(0);
    for (int g = 0; g < kg; g++, a += 4, b += 64) {
      const uint8x16_t av = bcast4(a);
      for (int q = 0; q < 4; q++) s[q] = vdotq_u32(s[q], vld1q_u8(b + 16 * q), av);
    }
    for (int q = 0; q < 4; q++) vst1q_u32(reinterpret_cast<uint32_t*>(c + 4 * q), s[q]);
  }
};
using D = QDriver<NeonDotUK>;
}  // namespace

const QGemmKernel kQGemmNeonDot = {"neon-dot", "neon-dot", ISA_NEON | ISA_NEONDOT, 16, 4, false, D::scratch_bytes(), &D::run, true};

}  // namespace lowbit
