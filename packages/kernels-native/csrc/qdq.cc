#include "qdq.h"

#include <cmath>

#include "common.h"

namespace lowbit {

#include "qdq_kernels.inc"

void scale_accumulators(const int32_t* acc, const float* scale, bool scale_per_c, const float* bias, bool bias_per_c, size_t outer,
                        size_t C, size_t inner, float* y, FloatAct act) {
  if (inner == 1) {
    // [rows, C] (MatMul): one pass per row with the per-column parameters, so the loop vectorizes.
    for (size_t o = 0; o < outer; o++) {
      const int32_t* a = acc + o * C;
      float* yo = y + o * C;
      if (scale_per_c) {
        for (size_t c = 0; c < C; c++) yo[c] = static_cast<float>(a[c]) * scale[c];
      } else {
        const float s = scale[0];
        for (size_t c = 0; c < C; c++) yo[c] = static_cast<float>(a[c]) * s;
      }
      if (bias && bias_per_c) {
        for (size_t c = 0; c < C; c++) yo[c] = yo[c] + bias[c];
      } else if (bias) {
        const float b = bias[0];
        for (size_t c = 0; c < C; c++) yo[c] = yo[c] + b;
      }
      float_act_row(yo, C, act);
    }
    return;
  }
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
      float_act_row(y + base, inner, act);
    }
}

}  // namespace lowbit
