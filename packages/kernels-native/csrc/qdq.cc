#include "qdq.h"

#include <cmath>

namespace lowbit {

void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y) {
  const int qmin = q_signed ? -128 : 0, qmax = q_signed ? 127 : 255;
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t p = per_axis ? c : 0;
      const float s = scale[p];
      const int z = zp ? (q_signed ? static_cast<int8_t>(zp[p]) : zp[p]) : 0;
      const size_t base = (o * C + c) * inner;
      for (size_t i = 0; i < inner; i++) {
        const float v = x[base + i] / s;  // one float32 division, as the reference
        int q;
        if (v != v) {
          q = qmin;
        } else {
          const float cl = v < -1e9f ? -1e9f : (v > 1e9f ? 1e9f : v);
          q = static_cast<int>(std::nearbyint(cl)) + z;  // default rounding mode: half to even
        }
        y[base + i] = static_cast<uint8_t>(q < qmin ? qmin : (q > qmax ? qmax : q));
      }
    }
}

void dequantize_linear(const uint8_t* x, bool q_signed, const float* scale, const uint8_t* zp, size_t outer, size_t C, size_t inner,
                       bool per_axis, float* y) {
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t p = per_axis ? c : 0;
      const float s = scale[p];
      const int z = zp ? (q_signed ? static_cast<int8_t>(zp[p]) : zp[p]) : 0;
      const size_t base = (o * C + c) * inner;
      if (q_signed) {
        const int8_t* xs = reinterpret_cast<const int8_t*>(x);
        for (size_t i = 0; i < inner; i++) y[base + i] = static_cast<float>(xs[base + i] - z) * s;
      } else {
        for (size_t i = 0; i < inner; i++) y[base + i] = static_cast<float>(x[base + i] - z) * s;
      }
    }
}

bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale_out, uint8_t* zp_out) {
  if (n == 0) return false;
  float lo = 0.0f, hi = 0.0f;
  bool finite = true;
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    finite &= std::isfinite(v);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  if (!finite) return false;
  const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  const float initial = 0.0f - lo / scale;
  const float zc = initial < 0.0f ? 0.0f : (initial > 255.0f ? 255.0f : initial);
  const int zp = static_cast<int>(std::nearbyint(zc));
  for (size_t i = 0; i < n; i++) {
    const float v = x[i] / scale;
    const float c = v < -1e9f ? -1e9f : (v > 1e9f ? 1e9f : v);
    const int q = static_cast<int>(std::nearbyint(c)) + zp;
    y[i] = static_cast<uint8_t>(q < 0 ? 0 : (q > 255 ? 255 : q));
  }
  *scale_out = scale;
  *zp_out = static_cast<uint8_t>(zp);
  return true;
}

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
