// 2-D convolution (group 1). Kernels with a direct convolution (k.conv: x86 AVX2 / AVX-512 float, AVX2 / AVX-VNNI /
// AVX512-VNNI int8) compute Y[M, P] = W[M, K] x col[K, P] in NCHW (common.h, conv_driver.h), the weights repacked on
// first use from the packed B into the workspace. The others use im2col + the packed GEMMs: the GEMM's A is the
// im2col matrix [OH*OW, C*KH*KW] (one row per output pixel, k in Conv's tap order c, kh, kw), its B the weights
// transposed [C*KH*KW, M], and the [OH*OW, M] result is transposed into NCHW.
#pragma once
#include <cstdint>

#include "common.h"
#include "ops.h"

namespace lowbit {


/** ConvInteger: Y[n, m, p] int32; padding holds x_zero_point (so padded taps contribute 0). */
void qconv(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
           const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y);
/** QLinearConv: the same accumulator, requantized (r.out is ignored; Y receives the result). */
void qconv_requant(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                   const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, const Requant& r, uint8_t* Y);
/** ConvInteger's sums scaled to float as the dynamic-int8 epilogue: Y = act(float(acc) * scale (+ bias[m])), each step
 *  rounded once. Only for kernels with a direct convolution (k.conv); returns false (nothing written) otherwise. With
 *  `range`, a kernel whose tiles hold the float epilogue also gathers Y's range there (RangeSink; merged stays 0
 *  on the other paths). */
bool qconv_scaled(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                  const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, float scale, const float* bias, float* Y,
                  FloatAct act = {}, RangeSink* range = nullptr);
/**
 * lowbit.DynamicQConvQuantize's convolution in two passes over the same sums (kernels with QGemmKernel::conv_fmodes):
 * the first gathers the range of y = act(float(acc) * scale (+ bias[m])) without storing it, the second computes y
 * again and stores DynamicQuantizeLinear(y)'s bytes into Yq with that range's scale and zero point (qscale, qzp): the
 * float result never reaches memory. 1 done; 0 not taken (nothing written); -1 a value is not finite (Yq not written).
 */
int qconv_scaled_quantize(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                          const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, float scale, const float* bias, FloatAct act, uint8_t* Yq,
                          float* qscale, uint8_t* qzp);
/** Conv (float32): Y[n, m, p] (+ bias[m]). */
void fconv(ThreadPool* pool, Workspace& ws, const FGemmKernel& k, const FPackedB& B, const float* X, int batch, const ConvGeom& g,
           const float* bias, float* Y);

}  // namespace lowbit
