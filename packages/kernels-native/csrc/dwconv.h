// Depthwise-style 2-D integer convolution (every group has one input channel: group == C, M a multiple of C), direct
// (no im2col, no GEMM): output channel m reads input channel m / (M / C). Exact int32 sums like ConvInteger (padded
// taps contribute 0), optionally requantized like QLinearConv (the reference `requantize`, see ops.h `Requant`).
#pragma once
#include <cstdint>

#include "conv.h"
#include "ops.h"
#include "threadpool.h"

namespace lowbit {

/**
 * X [batch, C, H, W] (uint8 or int8 bytes), W [M, 1, KH, KW] (uint8 or int8 bytes), zw 1 or M values.
 * With r == nullptr writes int32 sums into Y32 [batch, M, OH, OW]; otherwise requantizes (r->mult / r->bias per M)
 * into Y8. Each task computes whole channels (up to 256 taps: one input channel and its M / C outputs; else one output
 * channel), so results do not depend on the thread count.
 */
void dwconv(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
            int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8);
/** The same, compiled for AVX2 (x86-64 builds only; call only when the CPU has AVX2). */
void dwconv_avx2(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                 int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8);

/**
 * Conv:f32 of the same shape (W [M, 1, KH, KW] float32, at most 256 taps): each output is one fused multiply-add chain
 * over the taps in (kh, kw) order (padded taps add w * 0), then + bias[m] rounded once; one task per input channel.
 */
void dwconv_f32(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
void dwconv_f32_avx2(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
/** The AVX-512 builds (x86-64; call when the CPU has AVX-512 F/BW/VL/DQ): identical results. */
void dwconv_avx512(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                   int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8);
void dwconv_f32_avx512(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
/** The AVX512-VNNI build (call when the CPU has AVX-512 F/BW/VL/DQ and AVX512-VNNI): vpdpbusd on byte quads (exact int32
 *  sums) of 4 columns read from the input rows for stride_w 1 or 2 and dilation_w 1 (any weights: those whose
 *  w - zw do not fit int8 as the unsigned operand), else of 4 rows where w - zw fits int8; identical results. */
void dwconv_avx512vnni(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                       int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8);
void dwconv_f32_avx512vnni(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);

/**
 * lowbit.DynamicQConv's float epilogue on the exact int32 sums (qdq.h scale_accumulators, per tensor scale):
 * y = float(float(acc) * scale), then y = float(y + bias[m]) when bias is given, then `act` (common.h FloatAct), written
 * to Y [batch, M, OH, OW] float32 in the convolution's own pass (no int32 buffer): bit-identical to dwconv's sums
 * followed by scale_accumulators.
 */
struct DwScaled {
  float scale = 1.0f;
  const float* bias = nullptr;  // M values or nullptr
  FloatAct act{};
  float* Y = nullptr;
  RangeSink* range = nullptr;  // Y's range, gathered by the AVX512-VNNI row path's epilogue (merged stays 0 elsewhere)
};
void dwconv_scaled(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                   int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f);
void dwconv_scaled_avx2(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                        int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f);
void dwconv_scaled_avx512(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                          int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f);
void dwconv_scaled_avx512vnni(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M,
                              const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f);

}  // namespace lowbit
