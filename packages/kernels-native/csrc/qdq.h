// QuantizeLinear / DequantizeLinear for 8-bit integers, per tensor or per axis ([outer, C, inner] view; parameter c).
//   quantize:   y = clamp(roundHalfEven(float(x / scale[c])) + zp[c], qmin, qmax); NaN -> qmin (as the reference)
//   dequantize: y = float((x - zp[c]) * scale[c])
#pragma once
#include <cstddef>
#include <cstdint>

namespace lowbit {

void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y);
void dequantize_linear(const uint8_t* x, bool q_signed, const float* scale, const uint8_t* zp, size_t outer, size_t C, size_t inner,
                       bool per_axis, float* y);

/**
 * DynamicQuantizeLinear (float32 -> uint8), as the reference: rmin = min(0, min x), rmax = max(0, max x),
 * scale = rmax == rmin ? 1 : float((rmax - rmin) / 255), zp = roundHalfEven(clamp(float(0 - rmin / scale), 0, 255)),
 * y = clamp(roundHalfEven(float(x / scale)) + zp, 0, 255). Returns false (writing nothing) for n == 0 or a
 * non-finite element: the caller reports the error.
 */
bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale, uint8_t* zp);

}  // namespace lowbit
