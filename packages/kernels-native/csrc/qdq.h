// QuantizeLinear / DequantizeLinear for 8-bit integers, per tensor or per axis ([outer, C, inner] view; parameter c).
//   quantize:   y = clamp(roundHalfEven(float(x / scale[c])) + zp[c], qmin, qmax); NaN -> qmin (as the reference)
//   dequantize: y = float((x - zp[c]) * scale[c])
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "common.h"

namespace lowbit {

void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y);
void dequantize_linear(const uint8_t* x, bool q_signed, const float* scale, const uint8_t* zp, size_t outer, size_t C, size_t inner,
                       bool per_axis, float* y);

/**
 * DynamicQuantizeLinear (float32 -> uint8), as the reference: rmin = min(0, min x), rmax = max(0, max x),
 * scale = float((rmax - rmin) / 255), or 1 where that is 0 (all zero, or a subnormal range that underflows),
 * zp = roundHalfEven(clamp(float(0 - rmin / scale), 0, 255)), y = clamp(roundHalfEven(float(x / scale)) + zp, 0, 255). Returns false (writing nothing) for n == 0 or a
 * non-finite element: the caller reports the error.
 */
bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale, uint8_t* zp);

/** DynamicQuantizeLinear's scale and zero point from its range (lo = min(0, min x), hi = max(0, max x), both finite),
 *  the float32 steps above; every native DynamicQuantizeLinear form computes them here (static: each ISA's object
 *  file keeps its own copy). */
static inline void dynamic_params(float lo, float hi, float* scale, int* zp) {
  const float spread = (hi - lo) / 255.0f;
  const float s = spread == 0.0f ? 1.0f : spread;
  const float initial = 0.0f - lo / s;
  const float zc = initial < 0.0f ? 0.0f : (initial > 255.0f ? 255.0f : initial);
  *scale = s;
  *zp = static_cast<int>(std::nearbyint(zc));
}

/** The range of x from the ranges of its pieces (dynamic_range of each, `ok[i]` its result): false when some piece held
 *  a non-finite value. Pieces combine in any order (see avx512::dynamic_range), so any split gives the same range. */
template <class Ok>
static inline bool range_of_pieces(const float* lo, const float* hi, const Ok* ok, size_t pieces, float* lo_out, float* hi_out) {
  float l = 0.0f, h = 0.0f;
  for (size_t i = 0; i < pieces; i++) {
    if (!ok[i]) return false;
    l = lo[i] < l ? lo[i] : l;
    h = hi[i] > h ? hi[i] : h;
  }
  *lo_out = l;
  *hi_out = h;
  return true;
}

/** dynamic_params from the ranges of the pieces of x (range_of_pieces): false when some piece held a non-finite value. */
template <class Ok>
static inline bool dynamic_params_of_pieces(const float* lo, const float* hi, const Ok* ok, size_t pieces, float* scale, uint8_t* zp) {
  float l, h;
  if (!range_of_pieces(lo, hi, ok, pieces, &l, &h)) return false;
  int z;
  dynamic_params(l, h, scale, &z);
  *zp = static_cast<uint8_t>(z);
  return true;
}

/**
 * The float epilogue of the dynamic-int8 ops over an [outer, C, inner] view: y = float(float(acc) * scale[c]), then
 * y = float(y + bias[c]) when bias is given (scale / bias: 1 or C values). float32 products and sums of float32
 * operands are the reference's `fround` steps exactly. `act` (common.h) is applied last (lowbit.DynamicQConv's fused
 * Relu / Clip).
 */
void scale_accumulators(const int32_t* acc, const float* scale, bool scale_per_c, const float* bias, bool bias_per_c, size_t outer,
                        size_t C, size_t inner, float* y, FloatAct act = {});

/**
 * DequantizeLinear per tensor followed by a row bias, one pass over [rows, n]: y = float((x - zp) * scale), then
 * y = float(y + bias[j]) (bias: n values, or 1 when !bias_per_col), the reference's DequantizeLinear and Add exactly.
 */
void dequantize_bias(const uint8_t* x, bool q_signed, float scale, int zp, size_t rows, size_t n, const float* bias, bool bias_per_col, float* y);

/** The same kernels built with AVX2 (x64 only; call when the CPU has AVX2). Identical results. */
namespace avx2 {
void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y);
void dequantize_linear(const uint8_t* x, bool q_signed, const float* scale, const uint8_t* zp, size_t outer, size_t C, size_t inner,
                       bool per_axis, float* y);
bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale, uint8_t* zp);
void dequantize_bias(const uint8_t* x, bool q_signed, float scale, int zp, size_t rows, size_t n, const float* bias, bool bias_per_col, float* y);
}  // namespace avx2

/** quantize_linear with AVX-512 F/BW (x64 only; call when the CPU has it): the same division and rounding (the
    round-half-even integer conversion with embedded rounding instead of the magic-number add), identical results. */
namespace avx512 {
void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y);
/** DynamicQuantizeLinear with AVX-512 F/BW/VL/DQ, identical results. */
bool dynamic_quantize_linear(const float* x, size_t n, uint8_t* y, float* scale, uint8_t* zp);
/**
 * DynamicQuantizeLinear's quantizing pass, y = clamp(roundHalfEven(float(x / scale)) + zp, 0, 255), for values inside
 * the range [lo, hi] that gave `scale` (dynamic_params) when that scale is a normal float (range_quantizable): then
 * |x / scale| <= 255 (1 + 2^-23) and no quotient needs quantize_linear's clamp to +-2^22 before the conversion, and the
 * saturating packs (int32 -> int16 -> uint8) are the clamp to 0..255. The same bytes as quantize_linear's.
 */
void quantize_in_range(const float* x, size_t n, float scale, uint8_t zp, uint8_t* y);
/** Whether quantize_in_range applies to a scale from dynamic_params. */
inline bool range_quantizable(float scale) { return scale >= 1.17549435e-38f && scale - scale == 0.0f; }
/** Its range pass: *lo = min(0, min x), *hi = max(0, max x) (no -0); false when some x is not finite. The ranges of
 *  the pieces of x combine to the range of x in any order (min / max of finite values without -0). */
bool dynamic_range(const float* x, size_t n, float* lo, float* hi);
/**
 * The same over x [rows, K] (dynq_avx512.cc: the division replaced by a product with 1 / scale wherever that cannot
 * change the rounded integer), also writing rowsum[r] = the sum of row r's bytes of y. Identical results.
 */
bool dynamic_quantize_rows(const float* x, size_t rows, size_t K, uint8_t* y, float* scale, uint8_t* zp, int32_t* rowsum);
/** The quantizing pass of dynamic_quantize_rows alone, with the scale and zero point it computed (over the whole
    tensor): the same bytes and row sums for any subset of rows. */
void quantize_rows_with(const float* x, size_t rows, size_t K, uint8_t* y, float scale, uint8_t zp, int32_t* rowsum);
/** scale_accumulators with AVX-512 F/BW/VL/DQ (Relu / Clip in the same pass), identical results. */
void scale_accumulators(const int32_t* acc, const float* scale, bool scale_per_c, const float* bias, bool bias_per_c, size_t outer,
                        size_t C, size_t inner, float* y, FloatAct act);
}  // namespace avx512

}  // namespace lowbit
