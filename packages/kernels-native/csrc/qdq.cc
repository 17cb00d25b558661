#include "qdq.h"

#include <cmath>

#include "common.h"

namespace lowbit {

#include "qdq_kernels.inc"

void scale_accumulators(const int32_t* acc, const float* scale, bool scale_per_c, const float* bias, bool bias_per_c, size_t outer,
                        size_t C, size_t inner, float* y) {
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t base = (o * C + c) * inner;
      const float s = scale[scale_per_c ? c : 0];
      if (bias) {
        const float b = bias[bias_per_c ? c : 0];
        for (size_t i = 0; i < inner; i++) {
          const float v = static_cast<float>(acc[base + i]) * s;
          y[base + i] = v + b;
        }
      } else {
        for (size_t i = 0; i < inner; i++) y[base + i] = static_cast<float>(acc[base + i]) * s;
      }
    }
}

}  // namespace lowbit
