#include "qdq.h"

#include <cmath>

#include "common.h"

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
      const float fz = static_cast<float>(z), fmin = static_cast<float>(qmin), fmax = static_cast<float>(qmax);
      float v[256];
      for (size_t i0 = 0; i0 < inner; i0 += 256) {
        const int n = inner - i0 < 256 ? static_cast<int>(inner - i0) : 256;
        for (int t = 0; t < n; t++) v[t] = x[base + i0 + t] / s;  // one float32 division, as the reference
        quant_store(v, n, fz, fmin, fmax, fmin, y + base + i0);   // NaN -> qmin
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
  const float fz = static_cast<float>(zp);
  float v[256];
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    const int m = n - i0 < 256 ? static_cast<int>(n - i0) : 256;
    for (int t = 0; t < m; t++) v[t] = x[i0 + t] / scale;
    quant_store(v, m, fz, 0.0f, 255.0f, 0.0f, y + i0);
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
