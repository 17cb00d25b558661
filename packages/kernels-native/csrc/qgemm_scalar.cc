// The portable C++ int8 GEMM (isa "scalar-c"): the same packing and driver as the SIMD variants with a plain
// register-tile loop. It is the reference the SIMD variants are checked against in the standalone test.
#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

struct ScalarUK {
  static constexpr int MR = 4, NR = 16, PLANES = 1;
  static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc) {
    uint32_t t[MR][NR];
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) t[r][j] = acc ? static_cast<uint32_t>(c[r * ldc + j]) : 0u;
    for (int g = 0; g < kg; g++, a += MR * 4, b += NR * 4)
      for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) {
          uint32_t s = 0;
          for (int q = 0; q < 4; q++) s += static_cast<uint32_t>(a[r * 4 + q] * static_cast<int32_t>(b[j * 4 + q]));
          t[r][j] += s;
        }
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) c[r * ldc + j] = static_cast<int32_t>(t[r][j]);
  }
  static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    uint32_t t[NR];
    for (int j = 0; j < NR; j++) t[j] = acc ? static_cast<uint32_t>(c[j]) : 0u;
    for (int g = 0; g < kg; g++, a += 4, b += NR * 4)
      for (int j = 0; j < NR; j++)
        for (int q = 0; q < 4; q++) t[j] += static_cast<uint32_t>(a[q] * static_cast<int32_t>(b[j * 4 + q]));
    for (int j = 0; j < NR; j++) c[j] = static_cast<int32_t>(t[j]);
  }
};
using D = QDriver<ScalarUK>;
}  // namespace

const QGemmKernel kQGemmScalar = {"scalar-c", "scalar-c", 0, ScalarUK::NR, 4, false, D::scratch_bytes(), &D::run, false, &D::apack_bytes, &D::apack};

}  // namespace lowbit
