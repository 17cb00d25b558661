#include "dwconv.h"

// Compiled twice: as `dwconv` in the portable core, and as `dwconv_avx2` (dwconv_avx2.cc) with AVX2 code generation.
#ifndef DWCONV_NAME
#define DWCONV_NAME dwconv
#define DWCONV_F32_NAME dwconv_f32
#define DWCONV_SCALED_NAME dwconv_scaled
#define DWCONV_NS dw_portable
#endif

#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "quant_avx2.h"
#endif

namespace lowbit {

namespace DWCONV_NS {

/** The same for one sum (b: the channel's bias, or unused when f has none): float_act_row's operations on one value. */
inline float dw_scaled1(int32_t acc, const DwScaled& f, float b) {
  float v = static_cast<float>(acc) * f.scale;
  if (f.bias) v = v + b;
  const FloatAct& a = f.act;
  switch (a.kind) {
    case 1:
      return v > 0.0f ? v : (v != v ? v : 0.0f);
    case 2: {
      const float r = v < a.lo ? a.lo : v;
      return r > a.hi ? a.hi : r;
    }
    case 3: {
      const float t = v + a.p;
      float r = t < a.lo ? a.lo : t;
      r = r > a.hi ? a.hi : r;
      const float m = v * r;
      return m / a.q;
    }
    case 4: {
      const double d = static_cast<double>(a.p) * static_cast<double>(v) + static_cast<double>(a.q);
      double r = d != d ? d : (d > 1.0 ? 1.0 : d);
      r = r != r ? r : (r > 0.0 ? r : 0.0);
      return static_cast<float>(r);
    }
    default:
      return v;
  }
}

/** lowbit.DynamicQConv's epilogue on n int32 sums of output channel m (scale_accumulators' float32 steps). */
inline void dw_scale_row(const int32_t* acc, size_t n, const DwScaled& f, int m, float* y) {
  const float s = f.scale;
  if (f.bias) {
    const float b = f.bias[m];
    for (size_t i = 0; i < n; i++) {
      const float v = static_cast<float>(acc[i]) * s;
      y[i] = v + b;
    }
  } else {
    for (size_t i = 0; i < n; i++) y[i] = static_cast<float>(acc[i]) * s;
  }
  float_act_row(y, n, f.act);
}

/** One output plane: acc[oh, ow] = sum over taps of (x - xzp) * wv, modulo 2^32 (uint32 arithmetic). */
template <class TX>
void plane(const TX* x, const ConvGeom& g, int32_t xzp, const int32_t* wv, uint32_t* acc) {
  const int P = g.OH * g.OW;
  for (int p = 0; p < P; p++) acc[p] = 0;
  for (int kh = 0; kh < g.KH; kh++)
    for (int kw = 0; kw < g.KW; kw++) {
      const uint32_t w = static_cast<uint32_t>(wv[kh * g.KW + kw]);
      if (w == 0) continue;
      // ow range whose input column lies inside [0, W): iw = ow * sw - pl + kw * dw.
      const int off = kw * g.dil_w - g.pad_l;
      int ow0 = off >= 0 ? 0 : (-off + g.stride_w - 1) / g.stride_w;
      int ow1 = g.W - 1 - off < 0 ? 0 : (g.W - 1 - off) / g.stride_w + 1;
      if (ow1 > g.OW) ow1 = g.OW;
      if (ow0 >= ow1) continue;
      for (int oh = 0; oh < g.OH; oh++) {
        const int ih = oh * g.stride_h - g.pad_t + kh * g.dil_h;
        if (ih < 0 || ih >= g.H) continue;
        const TX* row = x + static_cast<size_t>(ih) * g.W;
        uint32_t* a = acc + static_cast<size_t>(oh) * g.OW;
        if (g.stride_w == 1) {
          for (int ow = ow0; ow < ow1; ow++) a[ow] += static_cast<uint32_t>(static_cast<int32_t>(row[ow + off]) - xzp) * w;
        } else {
          for (int ow = ow0; ow < ow1; ow++) a[ow] += static_cast<uint32_t>(static_cast<int32_t>(row[ow * g.stride_w + off]) - xzp) * w;
        }
      }
    }
}

template <class TX>
void run_channel(const uint8_t* X, const uint8_t* W, bool w_signed, int M, const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n,
                 int32_t* Y32, const Requant* r, uint8_t* Y8, int task, std::vector<uint32_t>& acc, bool local = false) {
  const int n = task / M, m = task % M;
  const int c = m / (M / g.C);
  const int taps = g.KH * g.KW, P = g.OH * g.OW;
  int32_t wv[64];
  std::vector<int32_t> wbig;
  int32_t* wp = wv;
  if (taps > 64) {
    wbig.resize(taps);
    wp = wbig.data();
  }
  const int32_t z = zw[zw_n == 1 ? 0 : m];
  for (int t = 0; t < taps; t++) {
    const uint8_t b = W[static_cast<size_t>(m) * taps + t];
    wp[t] = (w_signed ? static_cast<int32_t>(static_cast<int8_t>(b)) : static_cast<int32_t>(b)) - z;
  }
  const TX* x = reinterpret_cast<const TX*>(X) + (static_cast<size_t>(n) * g.C + c) * g.H * g.W;
  acc.resize(P);
  plane<TX>(x, g, xzp, wp, acc.data());
  const size_t o = local ? 0 : (static_cast<size_t>(n) * M + m) * P;  // local: Y32 holds this channel's sums only
  if (!r) {
    for (int p = 0; p < P; p++) Y32[o + p] = static_cast<int32_t>(acc[p]);
    return;
  }
  // The requantize of ops.cc's requantize_block for one output channel (column m).
  const int qmin = r->out_signed ? -128 : 0, qmax = r->out_signed ? 127 : 255;
  const float mult = r->mult[r->mult_n == 1 ? 0 : m];
  const uint32_t bias = r->bias ? static_cast<uint32_t>(r->bias[m]) : 0u;
  uint8_t* out = Y8 + o;
  const float fz = static_cast<float>(r->zp), fmin = static_cast<float>(qmin), fmax = static_cast<float>(qmax);
  const float nanq = fz < fmin ? fmin : (fz > fmax ? fmax : fz);  // NaN -> the zero point, as the reference
  float v[256];
  for (int p0 = 0; p0 < P; p0 += 256) {
    const int n = P - p0 < 256 ? P - p0 : 256;
    for (int t = 0; t < n; t++) v[t] = static_cast<float>(static_cast<int32_t>(acc[p0 + t] + bias)) * mult;
    quant_store(v, n, fz, fmin, fmax, nanq, out + p0);
  }
}


// ---- the direct path: float planes, register accumulators ------------------------------------------------------------
//
// The input channel is converted once into float, zero point subtracted and padding materialised, and split by row and
// column phase (stride_h x stride_w planes: padded pixel (qr + stride_h u, qc + stride_w t) lands in plane (qr, qc) at
// [u][t], rows of Wq floats). Every tap then reads its plane at a fixed offset from the output's flat index
// oh * Wq + ow, so one plane is a single stride-1 loop over OH * Wq positions (the Wq - OW columns past each row's end
// are computed and dropped): full vectors even for 5-pixel rows. Each output is one FMA chain over the taps in
// (kh, kw) order. For integers every product and partial sum is an integer of magnitude <= taps * 255 * 255 < 2^24
// (taps <= 256), exact in float32, so the int32 result is exact; for float32 it is Conv:f32's native chain.

constexpr int kDwMaxTaps = 256;

struct DwPlan {
  int sh, sw, Hq, Wq;  // strides; rows and columns per phase plane
  size_t plane() const { return static_cast<size_t>(Hq) * Wq; }
  size_t planes() const { return plane() * sh * sw; }
  size_t flat() const { return plane(); }  // the flat output buffer: OH * Wq <= Hq * Wq
};

inline DwPlan dw_plan(const ConvGeom& g) {
  DwPlan p;
  p.sh = g.stride_h;
  p.sw = g.stride_w;
  // Rows / columns an output reaches in its plane: oh + (kh dh) / sh, ow + (kw dw) / sw; one spare row for the
  // dropped columns' reads past the last row.
  p.Hq = g.OH + ((g.KH - 1) * g.dil_h) / g.stride_h + 2;
  p.Wq = g.OW + ((g.KW - 1) * g.dil_w) / g.stride_w;
  return p;
}

/** dst[i] = float(src[i]) - zx for i < len (16 lanes with masked ends where the build has AVX-512 BW/VL). */
template <class TX>
inline void dw_convert(const TX* src, int len, float zx, float* dst) {
  int i = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
  const __m512 z = _mm512_set1_ps(zx);
  for (; i < len; i += 16) {
    const int left = len - i;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    __m512 v;
    if constexpr (std::is_same<TX, float>::value) {
      v = _mm512_maskz_loadu_ps(m, src + i);
    } else {
      const __m128i b = _mm_maskz_loadu_epi8(m, src + i);
      v = _mm512_cvtepi32_ps(std::is_same<TX, int8_t>::value ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b));
    }
    _mm512_mask_storeu_ps(dst + i, m, _mm512_sub_ps(v, z));
  }
#endif
  for (; i < len; i++) dst[i] = static_cast<float>(src[i]) - zx;
}

/** The padded, phase-split float planes of one input plane x (values x - zx; 0 outside the input). `tmp` holds
 *  sw * Wq floats. */
template <class TX>
void dw_prepare(const TX* x, const ConvGeom& g, const DwPlan& p, float zx, float* ph, float* tmp) {
  const size_t plane = p.plane();
  const int n = p.Wq * p.sw;
  for (int qr = 0; qr < p.sh; qr++)
    for (int u = 0; u < p.Hq; u++) {
      const int ih = qr + p.sh * u - g.pad_t;
      float* d0 = ph + static_cast<size_t>(qr) * p.sw * plane + static_cast<size_t>(u) * p.Wq;
      if (ih < 0 || ih >= g.H) {
        for (int qc = 0; qc < p.sw; qc++) std::memset(d0 + qc * plane, 0, sizeof(float) * p.Wq);
        continue;
      }
      const TX* src = x + static_cast<size_t>(ih) * g.W;
      float* row = p.sw == 1 ? d0 : tmp;  // stride 1: converted in place
      int i = 0;
      for (; i < n && i < g.pad_l; i++) row[i] = 0.0f;
      const int end = g.pad_l + g.W < n ? g.pad_l + g.W : n;
      if (end > i) {
        dw_convert<TX>(src + (i - g.pad_l), end - i, zx, row + i);
        i = end;
      }
      for (; i < n; i++) row[i] = 0.0f;
      if (p.sw == 2) {
        float* d1 = d0 + plane;
        int t = 0;
#if defined(__AVX2__) && defined(__FMA__)
        for (; t + 8 <= p.Wq; t += 8) {
          const __m256 a = _mm256_loadu_ps(tmp + 2 * t), b = _mm256_loadu_ps(tmp + 2 * t + 8);
          // shuffle picks (a0 a2 b0 b2 | a4 a6 b4 b6); the 64-bit lane permute restores the order
          const __m256 ev = _mm256_shuffle_ps(a, b, 0x88), od = _mm256_shuffle_ps(a, b, 0xdd);
          _mm256_storeu_ps(d0 + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xd8)));
          _mm256_storeu_ps(d1 + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xd8)));
        }
#endif
        for (; t < p.Wq; t++) {
          d0[t] = tmp[2 * t];
          d1[t] = tmp[2 * t + 1];
        }
      } else if (p.sw > 2) {
        for (int qc = 0; qc < p.sw; qc++)
          for (int t = 0; t < p.Wq; t++) d0[qc * plane + t] = tmp[qc + p.sw * t];
      }
    }
}

/** out[j] = fma chain over taps t of w[t] * src[t][j], j in [0, n). */
inline void dw_row(const float* const* src, const float* w, int taps, int n, float* out) {
  int j = 0;
#if defined(__AVX512F__)
  for (; j + 64 <= n; j += 64) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int t = 0; t < taps; t++) {
      const __m512 wv = _mm512_set1_ps(w[t]);
      const float* x = src[t] + j;
      a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x), a0);
      a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + 16), a1);
      a2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + 32), a2);
      a3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + 48), a3);
    }
    _mm512_storeu_ps(out + j, a0);
    _mm512_storeu_ps(out + j + 16, a1);
    _mm512_storeu_ps(out + j + 32, a2);
    _mm512_storeu_ps(out + j + 48, a3);
  }
  for (; j + 16 <= n; j += 16) {
    __m512 a0 = _mm512_setzero_ps();
    for (int t = 0; t < taps; t++) a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_loadu_ps(src[t] + j), a0);
    _mm512_storeu_ps(out + j, a0);
  }
#endif
#if defined(__AVX2__) && defined(__FMA__)
  for (; j + 32 <= n; j += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int t = 0; t < taps; t++) {
      const __m256 wv = _mm256_broadcast_ss(w + t);
      const float* x = src[t] + j;
      a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x), a0);
      a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + 8), a1);
      a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + 16), a2);
      a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + 24), a3);
    }
    _mm256_storeu_ps(out + j, a0);
    _mm256_storeu_ps(out + j + 8, a1);
    _mm256_storeu_ps(out + j + 16, a2);
    _mm256_storeu_ps(out + j + 24, a3);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 a0 = _mm256_setzero_ps();
    for (int t = 0; t < taps; t++) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + t), _mm256_loadu_ps(src[t] + j), a0);
    _mm256_storeu_ps(out + j, a0);
  }
#endif
  for (; j < n; j++) {
    float a = 0.0f;
    for (int t = 0; t < taps; t++) a = std::fma(w[t], src[t][j], a);
    out[j] = a;
  }
}

/** The flat output [OH][Wq] of one output channel (columns >= OW are junk) from the prepared planes. */
inline void dw_plane(const float* ph, const ConvGeom& g, const DwPlan& p, const float* w, float* flat) {
  const float* src[kDwMaxTaps];
  const size_t plane = p.plane();
  int t = 0;
  for (int kh = 0; kh < g.KH; kh++) {
    const int r = kh * g.dil_h;
    for (int kw = 0; kw < g.KW; kw++, t++) {
      const int c = kw * g.dil_w;
      src[t] = ph + (static_cast<size_t>(r % p.sh) * p.sw + c % p.sw) * plane + static_cast<size_t>(r / p.sh) * p.Wq + c / p.sw;
    }
  }
  dw_row(src, w, t, g.OH * p.Wq, flat);
}

/** Per-thread buffers of the direct path: planes, conversion row, flat output (float), bytes / int32 staging. */
struct DwBufs {
  float *ph, *tmp, *flat, *wf;
  uint8_t* q8;
};

inline DwBufs dw_bufs(const DwPlan& p, int taps, std::vector<float>& buf) {
  const size_t planes = p.planes(), tmp = static_cast<size_t>(p.Wq) * p.sw + 16, flat = p.flat() + 16;
  const size_t need = planes + tmp + flat + taps + flat + 64;  // the last `flat` floats hold bytes / int32
  if (buf.size() < need) buf.resize(need);
  DwBufs b;
  b.ph = buf.data();
  b.tmp = b.ph + planes;
  b.flat = b.tmp + tmp;
  b.wf = b.flat + flat;
  b.q8 = reinterpret_cast<uint8_t*>(b.wf + taps);
  return b;
}

template <class TX>
void run_input_channel(const uint8_t* X, const uint8_t* W, bool w_signed, int M, const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n,
                       int32_t* Y32, const Requant* r, uint8_t* Y8, int task, std::vector<float>& buf, const DwScaled* f = nullptr) {
  const int C = g.C, n = task / C, c = task % C, per = M / C, taps = g.KH * g.KW, P = g.OH * g.OW;
  const DwPlan p = dw_plan(g);
  const DwBufs b = dw_bufs(p, taps, buf);
  const int F = g.OH * p.Wq;
  const TX* x = reinterpret_cast<const TX*>(X) + (static_cast<size_t>(n) * C + c) * g.H * g.W;
  dw_prepare<TX>(x, g, p, static_cast<float>(xzp), b.ph, b.tmp);
  const int qmin = r && r->out_signed ? -128 : 0, qmax = r && r->out_signed ? 127 : 255;
  const float fz = r ? static_cast<float>(r->zp) : 0.0f, fmin = static_cast<float>(qmin), fmax = static_cast<float>(qmax);
  const float nanq = fz < fmin ? fmin : (fz > fmax ? fmax : fz);
  for (int m = c * per; m < (c + 1) * per; m++) {
    const int32_t z = zw[zw_n == 1 ? 0 : m];
    for (int t = 0; t < taps; t++) {
      const uint8_t wb = W[static_cast<size_t>(m) * taps + t];
      b.wf[t] = static_cast<float>((w_signed ? static_cast<int32_t>(static_cast<int8_t>(wb)) : static_cast<int32_t>(wb)) - z);
    }
    dw_plane(b.ph, g, p, b.wf, b.flat);
    const size_t o = (static_cast<size_t>(n) * M + m) * P;
    if (f) {
      // the sums are exact integers in float32 (|sum| < 2^24): float(acc) is the flat value itself
      float* y = f->Y + o;
      const float s = f->scale, bv = f->bias ? f->bias[m] : 0.0f;
      for (int oh = 0; oh < g.OH; oh++) {
        float* yr = y + static_cast<size_t>(oh) * g.OW;
        const float* a = b.flat + static_cast<size_t>(oh) * p.Wq;
        if (f->bias) {
          for (int j = 0; j < g.OW; j++) {
            const float v = a[j] * s;
            yr[j] = v + bv;
          }
        } else {
          for (int j = 0; j < g.OW; j++) yr[j] = a[j] * s;
        }
      }
      float_act_row(y, static_cast<size_t>(P), f->act);
      continue;
    }
    if (!r) {
      for (int oh = 0; oh < g.OH; oh++) {
        int32_t* y = Y32 + o + static_cast<size_t>(oh) * g.OW;
        const float* a = b.flat + static_cast<size_t>(oh) * p.Wq;
        for (int j = 0; j < g.OW; j++) y[j] = static_cast<int32_t>(a[j]);
      }
      continue;
    }
    const float mult = r->mult[r->mult_n == 1 ? 0 : m];
    const uint32_t bias = r->bias ? static_cast<uint32_t>(r->bias[m]) : 0u;
    // The whole flat buffer at once (full vectors), then the OW valid bytes of each row.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    {
      // 16 lanes of requant_float_acc (quant_round's operations), the tail through the AVX2 path
      const __m512i bv = _mm512_set1_epi32(static_cast<int32_t>(bias));
      const __m512 mv = _mm512_set1_ps(mult);
      int j = 0;
      for (; j + 16 <= F; j += 16) {
        const __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_cvtps_epi32(_mm512_loadu_ps(b.flat + j)), bv)), mv);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        const __m512 cl = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4194304.0f)), _mm512_set1_ps(4194304.0f));
        __m512 q = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(cl, _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(fz));
        q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(fmin)), _mm512_set1_ps(fmax));
        q = _mm512_mask_blend_ps(nan, q, _mm512_set1_ps(nanq));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(b.q8 + j), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(q)));
      }
      requant_float_acc(b.flat + j, F - j, bias, mult, QuantAvx2(fz, fmin, fmax, nanq), fz, fmin, fmax, nanq, b.q8 + j);
    }
#elif defined(__AVX2__) && defined(__FMA__)
    requant_float_acc(b.flat, F, bias, mult, QuantAvx2(fz, fmin, fmax, nanq), fz, fmin, fmax, nanq, b.q8);
#else
    for (int j = 0; j < F; j++) {
      const float v = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(b.flat[j])) + bias)) * mult;
      b.q8[j] = static_cast<uint8_t>(static_cast<int32_t>(quant_round(v, fz, fmin, fmax, nanq)));
    }
#endif
    if (p.Wq == g.OW) {
      std::memcpy(Y8 + o, b.q8, P);
    } else {
      for (int oh = 0; oh < g.OH; oh++) std::memcpy(Y8 + o + static_cast<size_t>(oh) * g.OW, b.q8 + static_cast<size_t>(oh) * p.Wq, g.OW);
    }
  }
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include "dwconv_quads.inc"
#include "dwconv_rows.inc"
#define LOWBIT_DW_VNNI 1
#endif

/** Conv:f32 depthwise: input channel `task` (image n, channel c) and its M / C output channels, + bias rounded once. */
void run_input_channel_f32(const float* X, const float* W, int M, const ConvGeom& g, const float* bias, float* Y, int task, std::vector<float>& buf) {
  const int C = g.C, n = task / C, c = task % C, per = M / C, taps = g.KH * g.KW, P = g.OH * g.OW;
  const DwPlan p = dw_plan(g);
  const DwBufs b = dw_bufs(p, taps, buf);
  dw_prepare<float>(X + (static_cast<size_t>(n) * C + c) * g.H * g.W, g, p, 0.0f, b.ph, b.tmp);
  for (int m = c * per; m < (c + 1) * per; m++) {
    float* y = Y + (static_cast<size_t>(n) * M + m) * P;
    dw_plane(b.ph, g, p, W + static_cast<size_t>(m) * taps, b.flat);
    const float bv = bias ? bias[m] : 0.0f;
    for (int oh = 0; oh < g.OH; oh++) {
      float* yr = y + static_cast<size_t>(oh) * g.OW;
      const float* a = b.flat + static_cast<size_t>(oh) * p.Wq;
      if (bias)
        for (int j = 0; j < g.OW; j++) yr[j] = a[j] + bv;
      else
        std::memcpy(yr, a, sizeof(float) * g.OW);
    }
  }
}

}  // namespace DWCONV_NS

using namespace DWCONV_NS;

void DWCONV_F32_NAME(ThreadPool* pool, const float* X, const float* W, int batch, int M, const ConvGeom& g, const float* bias, float* Y) {
  const int total = batch * g.C;
  const int threads = pool ? pool->size() : 1;
  // several threads: 4 pieces per thread, claimed in turn (a thread the OS runs late holds back one small piece)
  const int want = threads > 1 ? 4 * threads : 1;
  // and no piece under the grain (all taps: M outputs of OH * OW, each KH * KW)
  const int tasks = grain_tasks(pool, static_cast<int64_t>(batch) * M * g.OH * g.OW * g.KH * g.KW, kGrainDw, total < want ? total : want);
  auto body = [&](int t) {
    std::vector<float> buf;
    const int c0 = static_cast<int>(static_cast<long>(total) * t / tasks), c1 = static_cast<int>(static_cast<long>(total) * (t + 1) / tasks);
    for (int i = c0; i < c1; i++) run_input_channel_f32(X, W, M, g, bias, Y, i, buf);
  };
  if (pool && tasks > 1) pool->run(tasks, body);
  else if (tasks > 0) body(0);
}

namespace DWCONV_NS {

/** The int32 sums (Y32), requantized bytes (r, Y8) or, with f, the float epilogue's output (f->Y). */
void dw_run(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
            int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwScaled* f,
            const DwRowWeights* rw) {
  // Direct path (taps <= 256): one task per input channel and image, its M / C output channels together.
  const bool direct = g.KH * g.KW <= kDwMaxTaps;
#ifdef LOWBIT_DW_VNNI
  // byte quads where every weight minus its zero point fits int8
  if (rw && rw->empty()) rw = nullptr;
  const bool vnni = direct && (rw || dw_vnni_fits(W, w_signed, M, g.KH * g.KW, zw, zw_n));
  // and the row path where the geometry suits it (stride_w 1 or 2, dilation_w 1, finite multipliers), for any weights
  const bool rows = direct && dwr_fits(g, r);
#endif
  const int total = direct ? batch * g.C : batch * M;
  const int threads = pool ? pool->size() : 1;
  // several threads: 4 pieces per thread, claimed in turn (a thread the OS runs late holds back one small piece)
  const int want = threads > 1 ? 4 * threads : 1;
  // and no piece under the grain (all taps: M outputs of OH * OW, each KH * KW)
  const int tasks = grain_tasks(pool, static_cast<int64_t>(batch) * M * g.OH * g.OW * g.KH * g.KW, kGrainDw, total < want ? total : want);
#ifdef LOWBIT_DW_VNNI
  const bool nonan = f && float_epi_nan_free(f->scale, f->bias, M, f->act);  // the row path's float epilogue
#endif
  auto body = [&](int t) {
    std::vector<uint32_t> acc;
    std::vector<float> buf;
    std::vector<int32_t> loc;  // f on the paths without their own epilogue: one task's int32 sums, scaled from there
    const int c0 = static_cast<int>(static_cast<long>(total) * t / tasks), c1 = static_cast<int>(static_cast<long>(total) * (t + 1) / tasks);
    const int P = g.OH * g.OW, per = M / g.C;
#ifdef LOWBIT_DW_VNNI
    if (rows) {
      std::vector<DwRowBlock> plan;
      dwr_plan(g, plan);
      RangeLanes16 lanes;  // f->range: this task's, merged once
      RangeLanes16* rl = f && f->range ? &lanes : nullptr;
      for (int i = c0; i < c1; i++) run_input_channel_rows(X, x_signed, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, plan, !vnni, f, rl, nonan, rw);
      if (rl) range_merge(f->range, lanes);
      return;
    }
    if (vnni) {
      std::vector<uint32_t> qbuf;
      if (f) loc.resize(static_cast<size_t>(per) * P);
      for (int i = c0; i < c1; i++) {
        run_input_channel_vnni(X, x_signed, W, w_signed, M, g, xzp, zw, zw_n, f ? loc.data() : Y32, r, Y8, i, qbuf, f != nullptr);
        if (!f) continue;
        const int n = i / g.C, m0 = (i % g.C) * per;
        for (int k = 0; k < per; k++)
          dw_scale_row(loc.data() + static_cast<size_t>(k) * P, P, *f, m0 + k, f->Y + (static_cast<size_t>(n) * M + m0 + k) * P);
      }
      return;
    }
#endif
    if (f && !direct) loc.resize(P);
    for (int i = c0; i < c1; i++) {
      if (direct) {
        if (x_signed) run_input_channel<int8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, buf, f);
        else run_input_channel<uint8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, buf, f);
        continue;
      }
      if (x_signed) run_channel<int8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, f ? loc.data() : Y32, r, Y8, i, acc, f != nullptr);
      else run_channel<uint8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, f ? loc.data() : Y32, r, Y8, i, acc, f != nullptr);
      if (f) dw_scale_row(loc.data(), P, *f, i % M, f->Y + static_cast<size_t>(i) * P);  // task i: image i / M, channel i % M
    }
  };
  if (pool && tasks > 1) pool->run(tasks, body);
  else if (tasks > 0) body(0);
}

}  // namespace DWCONV_NS

void DWCONV_NAME(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                 int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwRowWeights* rw) {
  DWCONV_NS::dw_run(pool, X, x_signed, W, w_signed, batch, M, g, xzp, zw, zw_n, Y32, r, Y8, nullptr, rw);
}

void DWCONV_SCALED_NAME(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                        int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f) {
  DWCONV_NS::dw_run(pool, X, x_signed, W, w_signed, batch, M, g, xzp, zw, zw_n, nullptr, nullptr, nullptr, &f, f.rw);
}

}  // namespace lowbit
