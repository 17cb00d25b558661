// Depthwise-style 2-D integer convolution (every group has one input channel: group == C, M a multiple of C), direct
// (no im2col, no GEMM): output channel m reads input channel m / (M / C). Exact int32 sums like ConvInteger (padded
// taps contribute 0), optionally requantized like QLinearConv (the reference `requantize`, see ops.h `Requant`).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "conv.h"
#include "ops.h"
#include "threadpool.h"

namespace lowbit {

/**
 * The words and weight sum of one output channel's taps wm (KH x KW bytes) as the AVX512-VNNI row path takes them: for
 * each row kh and group g the int32 word of taps kw = 4 g .. 4 g + 3 (0 past KW) at wq[kh * G + g], G = ceil(KW / 4),
 * with bytes w - z (which must fit int8), or with `swap` the unsigned weight bytes (w + 128 for int8 w); returns the
 * sum over the taps of (w - z) modulo 2^32.
 */
inline uint32_t dwr_channel_words(const uint8_t* wm, bool w_signed, int KH, int KW, int32_t z, bool swap, int32_t* wq) {
  const int taps = KH * KW, G = (KW + 3) / 4;
  uint32_t wsum = 0;  // uint32 arithmetic, any order
  if (w_signed) {
    for (int t = 0; t < taps; t++) wsum += static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(wm[t])));
  } else {
    for (int t = 0; t < taps; t++) wsum += wm[t];
  }
  wsum -= static_cast<uint32_t>(taps) * static_cast<uint32_t>(z);
  // byte k = (w + add) mod 256 with add = 128 (swap, int8 w), 0 (swap, uint8 w) or -z (w - z, which fits int8), 0 past
  // KW; w's raw byte is w mod 256 for either weight type, so a bytewise add without carries between bytes gives the
  // four bytes at once
  const int32_t wflip = swap && w_signed ? 128 : 0;
  const uint32_t av = 0x01010101u * static_cast<uint8_t>(swap ? wflip : -z);
  for (int kh = 0; kh < KH; kh++) {
    const uint8_t* row = wm + kh * KW;
    for (int gi = 0; gi < G; gi++) {
      const int kn = KW - 4 * gi < 4 ? KW - 4 * gi : 4;
      uint32_t raw = 0, keep = ~0u;
      if (kn == 4) {
        std::memcpy(&raw, row + 4 * gi, 4);
      } else {
        for (int k = 0; k < kn; k++) raw |= static_cast<uint32_t>(row[4 * gi + k]) << (8 * k);
        keep = (1u << (8 * kn)) - 1;
      }
      const uint32_t word = ((raw & 0x7f7f7f7fu) + (av & 0x7f7f7f7fu)) ^ ((raw ^ av) & 0x80808080u);
      wq[kh * G + gi] = static_cast<int32_t>(word & keep);
    }
  }
  return wsum;
}

/**
 * dwr_channel_words of every output channel of weights bound once (DwConvScaledBound), for the row path's unswapped
 * operands: built only when every w - zw fits int8 (else left empty). `fits` then also stands for the check the
 * direct path makes per call.
 */
struct DwRowWeights {
  int KH = 0, KW = 0;
  std::vector<int32_t> wq;     // [M][KH * G]
  std::vector<uint32_t> wsum;  // [M]
  bool empty() const { return wsum.empty(); }
};
inline void dw_row_weights(const uint8_t* W, bool w_signed, int M, int KH, int KW, const int32_t* zw, int zw_n, DwRowWeights& out) {
  out = DwRowWeights{};
  const int taps = KH * KW, G = (KW + 3) / 4;
  if (KH > 16 || G > 4) return;  // past the row path's limits (kDwRowMaxKH, kDwRowMaxG)
  for (int m = 0; m < M; m++) {
    const int32_t z = zw[zw_n == 1 ? 0 : m];
    for (int t = 0; t < taps; t++) {
      const uint8_t b = W[static_cast<size_t>(m) * taps + t];
      const int32_t v = (w_signed ? static_cast<int32_t>(static_cast<int8_t>(b)) : static_cast<int32_t>(b)) - z;
      if (v < -128 || v > 127) return;
    }
  }
  out.KH = KH;
  out.KW = KW;
  out.wq.resize(static_cast<size_t>(M) * KH * G);
  out.wsum.resize(M);
  for (int m = 0; m < M; m++)
    out.wsum[m] = dwr_channel_words(W + static_cast<size_t>(m) * taps, w_signed, KH, KW, zw[zw_n == 1 ? 0 : m], false, out.wq.data() + static_cast<size_t>(m) * KH * G);
}

/**
 * X [batch, C, H, W] (uint8 or int8 bytes), W [M, 1, KH, KW] (uint8 or int8 bytes), zw 1 or M values.
 * With r == nullptr writes int32 sums into Y32 [batch, M, OH, OW]; otherwise requantizes (r->mult / r->bias per M)
 * into Y8. `rw`: W's row-path words (dw_row_weights, non-empty) when the caller keeps them (bound weights). Each task computes whole channels (up to 256 taps: one input channel and its M / C outputs; else one output
 * channel), so results do not depend on the thread count.
 */
void dwconv(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
            int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwRowWeights* rw = nullptr);
/** The same, compiled for AVX2 (x86-64 builds only; call only when the CPU has AVX2). */
void dwconv_avx2(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                 int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwRowWeights* rw = nullptr);

/**
 * Conv:f32 of the same shape (W [M, 1, KH, KW] float32, at most 256 taps): each output is one fused multiply-add chain
 * over the taps in (kh, kw) order (padded taps add w * 0), then + bias[m] rounded once; one task per input channel.
 */
void dwconv_f32(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
void dwconv_f32_avx2(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
/** The AVX-512 builds (x86-64; call when the CPU has AVX-512 F/BW/VL/DQ): identical results. */
void dwconv_avx512(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                   int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwRowWeights* rw = nullptr);
void dwconv_f32_avx512(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y);
/** The AVX512-VNNI build (call when the CPU has AVX-512 F/BW/VL/DQ and AVX512-VNNI): vpdpbusd on byte quads (exact int32
 *  sums) of 4 columns read from the input rows for stride_w 1 or 2 and dilation_w 1 (any weights: those whose
 *  w - zw do not fit int8 as the unsigned operand), else of 4 rows where w - zw fits int8; identical results. */
void dwconv_avx512vnni(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                       int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwRowWeights* rw = nullptr);
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
  const DwRowWeights* rw = nullptr;  // the weights' row-path words, precomputed (non-empty; the W these calls pass)
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
