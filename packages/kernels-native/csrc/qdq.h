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

}  // namespace lowbit
