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
// ---- the AVX512-VNNI path: byte quads, vpdpbusd ----------------------------------------------------------------------
//
// When every weight w - zw[m] fits int8, the sum over taps of (x - xzp) * (w - zw) equals
// sum u * (w - zw) - uz * sum (w - zw) with u = x as unsigned bytes (int8 inputs flipped by +128, uz = xzp + 128 then)
// and padding holding uz (its taps add uz * w - uz * w = 0): every product and partial sum is an integer of magnitude
// < 2^24, so the int32 sum is the reference's sum exactly. The padded input is split by row / column phase as the
// float path does, but each 32-bit word holds the bytes of 4 rows (i, i + dh, i + 2 dh, i + 3 dh) at one column, so one
// vpdpbusd adds 4 vertical taps (kh = 4 j .. 4 j + 3, missing rows weighted 0) for 16 outputs.

/** Whether every w - zw[m] of the M channels fits int8. */
inline bool dw_vnni_fits(const uint8_t* W, bool w_signed, int M, int taps, const int32_t* zw, int zw_n) {
  for (int m = 0; m < M; m++) {
    const int32_t z = zw[zw_n == 1 ? 0 : m];
    for (int t = 0; t < taps; t++) {
      const uint8_t b = W[static_cast<size_t>(m) * taps + t];
      const int32_t v = (w_signed ? static_cast<int32_t>(static_cast<int8_t>(b)) : static_cast<int32_t>(b)) - z;
      if (v < -128 || v > 127) return false;
    }
  }
  return true;
}

struct DwQBufs {
  uint8_t* pad;     // padded byte rows, split by column phase: row i, phase qc at pad + (i * sw + qc) * Wb
  uint8_t* row;     // one padded byte row (sw * Wq + 64; strides above 2)
  uint32_t* ph;     // word planes
  int32_t* flat;    // int32 sums [OH][Wq]
  uint8_t* q8;      // requantized bytes [OH][Wq]
  int Hp, Wb;
};

inline DwQBufs dwq_bufs(const ConvGeom& g, const DwPlan& p, std::vector<uint32_t>& buf) {
  DwQBufs b;
  b.Hp = p.sh * p.Hq + 3 * g.dil_h + 1;
  b.Wb = p.Wq + 64;
  const size_t padw = (static_cast<size_t>(b.Hp) * p.sw * b.Wb + 3) / 4 + 16, roww = (static_cast<size_t>(p.Wq) * p.sw + 64 + 3) / 4 + 16,
               planes = p.planes() + 64, flat = p.flat() + 32;
  const size_t need = padw + roww + planes + flat + flat / 4 + 32;
  if (buf.size() < need) buf.resize(need);  // zero-filled once: the slack past each row is read (and dropped) defined
  b.pad = reinterpret_cast<uint8_t*>(buf.data());
  b.row = reinterpret_cast<uint8_t*>(buf.data() + padw);
  b.ph = buf.data() + padw + roww;
  b.flat = reinterpret_cast<int32_t*>(b.ph + planes);
  b.q8 = reinterpret_cast<uint8_t*>(b.flat + flat);
  return b;
}

/** Padded rows [i0, i1) of one input plane x (bytes u, padding uz). */
inline void dwq_pad_rows(const uint8_t* x, bool x_signed, const ConvGeom& g, const DwPlan& p, uint8_t uz, const DwQBufs& b, int i0, int i1) {
  const int Wn = p.Wq * p.sw;  // padded columns used
  const __m512i fv = _mm512_set1_epi8(static_cast<char>(x_signed ? 0x80 : 0));
  // 1. padded byte rows (x ^ flip inside, uz outside), split by column phase: 64 padded columns per masked load (the
  //    masked-off lanes, padding, read nothing), stored in 64-byte pieces where the word pass loads them
  const __m512i uzv = _mm512_set1_epi8(static_cast<char>(uz));
  const int lo = g.pad_l, hi = g.pad_l + g.W < Wn ? g.pad_l + g.W : Wn;  // padded columns holding input
  auto cols = [&](int c) -> __mmask64 {  // lanes k with lo <= c + k < hi
    const int a = lo - c > 0 ? lo - c : 0, e = hi - c < 64 ? hi - c : 64;
    if (e <= a) return 0;
    const __mmask64 upto = e >= 64 ? ~static_cast<__mmask64>(0) : ((static_cast<__mmask64>(1) << e) - 1);
    return upto & ~((static_cast<__mmask64>(1) << a) - 1);
  };
  auto load = [&](const uint8_t* src, int c) -> __m512i {  // padded columns c .. c + 63 of an input row (src: its column 0)
    const __mmask64 m = src ? cols(c) : 0;
    if (!m) return uzv;
    return _mm512_mask_blend_epi8(m, uzv, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + (c - g.pad_l)), fv));
  };
  for (int i = i0; i < i1; i++) {
    const int ih = i - g.pad_t;
    const uint8_t* src = ih >= 0 && ih < g.H ? x + static_cast<size_t>(ih) * g.W : nullptr;
    uint8_t* d0 = b.pad + static_cast<size_t>(i) * p.sw * b.Wb;
    if (p.sw == 1) {
      for (int c = 0; c < Wn; c += 64) _mm512_storeu_si512(d0 + c, load(src, c));
    } else if (p.sw == 2) {
      const __m512i oddm = _mm512_set1_epi16(0xff);
      for (int t = 0; t < p.Wq; t += 64) {
        const __m512i v0 = load(src, 2 * t), v1 = load(src, 2 * t + 64);
        const __m512i ev = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(_mm512_and_si512(v0, oddm))), _mm512_cvtepi16_epi8(_mm512_and_si512(v1, oddm)), 1);
        const __m512i od = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(_mm512_srli_epi16(v0, 8))), _mm512_cvtepi16_epi8(_mm512_srli_epi16(v1, 8)), 1);
        _mm512_storeu_si512(d0 + t, ev);
        _mm512_storeu_si512(d0 + b.Wb + t, od);
      }
    } else {
      for (int c = 0; c < Wn; c += 64) _mm512_storeu_si512(b.row + c, load(src, c));
      for (int qc = 0; qc < p.sw; qc++)
        for (int t = 0; t < p.Wq; t++) d0[static_cast<size_t>(qc) * b.Wb + t] = b.row[qc + p.sw * t];
    }
  }
}

/** Rows [u0, u1) of the word planes (only the row phases some tap group starts in): plane (qr, qc) row u = bytes of
 *  padded rows i + k dh (k < 4, i = qr + sh u) at column qc + sw t, 64 at a time (byte / word unpacks within 128-bit
 *  lanes, then a 4 x 4 transpose of the lanes), masked at the row's end. */
inline void dwq_word_rows(const ConvGeom& g, const DwPlan& p, const DwQBufs& b, int u0, int u1) {
  const size_t plane = p.plane();
  const int KG = (g.KH + 3) / 4;
  for (int qr = 0; qr < p.sh; qr++) {
    bool used = false;
    for (int j = 0; j < KG; j++) used = used || (4 * j * g.dil_h) % p.sh == qr;
    if (!used) continue;
    for (int qc = 0; qc < p.sw; qc++)
      for (int u = u0; u < u1; u++) {
        const int i = qr + p.sh * u;
        const size_t step = static_cast<size_t>(g.dil_h) * p.sw * b.Wb;
        const uint8_t* r0 = b.pad + (static_cast<size_t>(i) * p.sw + qc) * b.Wb;
        uint32_t* d = b.ph + (static_cast<size_t>(qr) * p.sw + qc) * plane + static_cast<size_t>(u) * p.Wq;
        if (p.Wq <= 16) {  // short rows: one 16-column piece
          const unsigned lim = (1u << p.Wq) - 1;
          const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0)), x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + step));
          const __m128i x2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 2 * step)), x3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 3 * step));
          const __m128i a = _mm_unpacklo_epi8(x0, x1), bb = _mm_unpackhi_epi8(x0, x1), c = _mm_unpacklo_epi8(x2, x3), dd = _mm_unpackhi_epi8(x2, x3);
          _mm_mask_storeu_epi32(d, static_cast<__mmask8>(lim >> 0) & 0xf, _mm_unpacklo_epi16(a, c));
          _mm_mask_storeu_epi32(d + 4, static_cast<__mmask8>(lim >> 4) & 0xf, _mm_unpackhi_epi16(a, c));
          _mm_mask_storeu_epi32(d + 8, static_cast<__mmask8>(lim >> 8) & 0xf, _mm_unpacklo_epi16(bb, dd));
          _mm_mask_storeu_epi32(d + 12, static_cast<__mmask8>(lim >> 12) & 0xf, _mm_unpackhi_epi16(bb, dd));
          continue;
        }
        for (int t = 0; t < p.Wq; t += 64) {
          const __m512i x0 = _mm512_loadu_si512(r0 + t), x1 = _mm512_loadu_si512(r0 + step + t);
          const __m512i x2 = _mm512_loadu_si512(r0 + 2 * step + t), x3 = _mm512_loadu_si512(r0 + 3 * step + t);
          const __m512i a = _mm512_unpacklo_epi8(x0, x1), bb = _mm512_unpackhi_epi8(x0, x1);
          const __m512i c = _mm512_unpacklo_epi8(x2, x3), dd = _mm512_unpackhi_epi8(x2, x3);
          const __m512i w0 = _mm512_unpacklo_epi16(a, c), w1 = _mm512_unpackhi_epi16(a, c);
          const __m512i w2 = _mm512_unpacklo_epi16(bb, dd), w3 = _mm512_unpackhi_epi16(bb, dd);
          const __m512i t0 = _mm512_shuffle_i32x4(w0, w1, 0x44), t1 = _mm512_shuffle_i32x4(w2, w3, 0x44);
          const __m512i t2 = _mm512_shuffle_i32x4(w0, w1, 0xee), t3 = _mm512_shuffle_i32x4(w2, w3, 0xee);
          const int left = p.Wq - t;
          const auto mk = [left](int k) -> __mmask16 {
            const int l = left - k;
            return l >= 16 ? static_cast<__mmask16>(0xffff) : l <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << l) - 1);
          };
          _mm512_mask_storeu_epi32(d + t, mk(0), _mm512_shuffle_i32x4(t0, t1, 0x88));
          _mm512_mask_storeu_epi32(d + t + 16, mk(16), _mm512_shuffle_i32x4(t0, t1, 0xdd));
          _mm512_mask_storeu_epi32(d + t + 32, mk(32), _mm512_shuffle_i32x4(t2, t3, 0x88));
          _mm512_mask_storeu_epi32(d + t + 48, mk(48), _mm512_shuffle_i32x4(t2, t3, 0xdd));
        }
      }
  }
}

/** For j in [0, n): acc = init + sum over groups t of dpbusd(src[t][j], w[t]), handed to out(acc, j, mask) 16 lanes at
 *  a time (mask: the lanes below n). */
template <class Out>
inline void dwq_row(const uint32_t* const* src, const int32_t* w, int groups, int base, int n, int32_t init, Out out) {
  const __m512i z = _mm512_set1_epi32(init);
  const __mmask16 all = static_cast<__mmask16>(0xffff);
  int j = 0;
  for (; j + 64 <= n; j += 64) {
    __m512i a0 = z, a1 = z, a2 = z, a3 = z;
    for (int t = 0; t < groups; t++) {
      const __m512i wv = _mm512_set1_epi32(w[t]);
      const uint32_t* x = src[t] + base + j;
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(x), wv);
      a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(x + 16), wv);
      a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(x + 32), wv);
      a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(x + 48), wv);
    }
    out(a0, base + j, all);
    out(a1, base + j + 16, all);
    out(a2, base + j + 32, all);
    out(a3, base + j + 48, all);
  }
  for (; j < n; j += 16) {
    const int left = n - j;
    const __mmask16 m = left >= 16 ? all : static_cast<__mmask16>((1u << left) - 1);
    __m512i a0 = z;
    for (int t = 0; t < groups; t++) a0 = _mm512_dpbusd_epi32(a0, _mm512_maskz_loadu_epi32(m, src[t] + base + j), _mm512_set1_epi32(w[t]));
    out(a0, base + j, m);
  }
}

void run_input_channel_vnni(const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int M, const ConvGeom& g, int32_t xzp,
                            const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, int task, std::vector<uint32_t>& buf,
                            bool local = false) {
  const int C = g.C, n = task / C, c = task % C, per = M / C, taps = g.KH * g.KW, P = g.OH * g.OW;
  const DwPlan p = dw_plan(g);
  const DwQBufs b = dwq_bufs(g, p, buf);
  const int32_t uz = xzp + (x_signed ? 128 : 0);
  const uint8_t* x = X + (static_cast<size_t>(n) * C + c) * g.H * g.W;
  // the word sources: group (j, kw) covers kh = 4 j .. 4 j + 3
  const int KG = (g.KH + 3) / 4, groups = KG * g.KW;
  const uint32_t* src[kDwMaxTaps];
  const size_t plane = p.plane();
  for (int j = 0; j < KG; j++) {
    const int rr = 4 * j * g.dil_h;
    for (int kw = 0; kw < g.KW; kw++) {
      const int cc = kw * g.dil_w;
      src[j * g.KW + kw] = b.ph + (static_cast<size_t>(rr % p.sh) * p.sw + cc % p.sw) * plane + static_cast<size_t>(rr / p.sh) * p.Wq + cc / p.sw;
    }
  }
  const int omax = (4 * (KG - 1) * g.dil_h) / p.sh;  // plane rows an output row reaches past its own
  const int qmin = r && r->out_signed ? -128 : 0, qmax = r && r->out_signed ? 127 : 255;
  const float fz = r ? static_cast<float>(r->zp) : 0.0f, fmin = static_cast<float>(qmin), fmax = static_cast<float>(qmax);
  const float nanq = fz < fmin ? fmin : (fz > fmax ? fmax : fz);
  // the weight words and initial sums of the channel's outputs
  std::vector<int32_t> wqs(static_cast<size_t>(per) * groups), inits(per);
  for (int m = c * per; m < (c + 1) * per; m++) {
    const int32_t z = zw[zw_n == 1 ? 0 : m];
    int32_t wsum = 0;
    int32_t* wq = wqs.data() + static_cast<size_t>(m - c * per) * groups;
    for (int j = 0; j < KG; j++)
      for (int kw = 0; kw < g.KW; kw++) {
        uint32_t word = 0;
        for (int k = 0; k < 4; k++) {
          const int kh = 4 * j + k;
          if (kh >= g.KH) break;
          const uint8_t wb = W[static_cast<size_t>(m) * taps + kh * g.KW + kw];
          const int32_t v = (w_signed ? static_cast<int32_t>(static_cast<int8_t>(wb)) : static_cast<int32_t>(wb)) - z;
          wsum += v;
          word |= static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(v))) << (8 * k);
        }
        wq[j * g.KW + kw] = static_cast<int32_t>(word);
      }
    inits[m - c * per] = -uz * wsum;
  }
  // strips of output rows (about 1024 outputs): their padded and word rows are built just before use, so they are
  // still in L1 when the taps read them (the junk columns of a strip's last row may read the next, unbuilt row)
  const int S = p.Wq >= 1024 ? 1 : 1024 / p.Wq;
  int built_i = 0, built_u = 0;
  for (int oh0 = 0; oh0 < g.OH; oh0 += S) {
    const int oh1 = oh0 + S < g.OH ? oh0 + S : g.OH;
    const int ue = oh1 + omax < p.Hq ? oh1 + omax : p.Hq;
    const int ie0 = (p.sh - 1) + p.sh * (ue - 1) + 3 * g.dil_h + 1, ie = ie0 < b.Hp ? ie0 : b.Hp;
    if (ie > built_i) dwq_pad_rows(x, x_signed, g, p, static_cast<uint8_t>(uz), b, built_i, ie);
    built_i = ie > built_i ? ie : built_i;
    if (ue > built_u) dwq_word_rows(g, p, b, built_u, ue);
    built_u = ue > built_u ? ue : built_u;
    const int base = oh0 * p.Wq, F = (oh1 - oh0) * p.Wq;
    for (int m = c * per; m < (c + 1) * per; m++) {
      const int32_t* wq = wqs.data() + static_cast<size_t>(m - c * per) * groups;
      const int32_t init = inits[m - c * per];
      // local: Y32 holds this input channel's M / C output planes only
      const size_t o = local ? static_cast<size_t>(m - c * per) * P : (static_cast<size_t>(n) * M + m) * P;
      if (!r) {
        int32_t* flat = b.flat;
        dwq_row(src, wq, groups, base, F, init, [flat](__m512i a, int j, __mmask16 mk) { _mm512_mask_storeu_epi32(flat + j, mk, a); });
        for (int oh = oh0; oh < oh1; oh++) std::memcpy(Y32 + o + static_cast<size_t>(oh) * g.OW, b.flat + static_cast<size_t>(oh) * p.Wq, sizeof(int32_t) * g.OW);
        continue;
      }
      const float mult = r->mult[r->mult_n == 1 ? 0 : m];
      const __m512i bv = _mm512_set1_epi32(r->bias ? r->bias[m] : 0);
      const __m512 mv = _mm512_set1_ps(mult);
      uint8_t* q8 = p.Wq == g.OW ? Y8 + o : b.q8;
      if (std::isfinite(mult)) {
        // finite multiplier: no NaN; round(clamp(x)) by cvtps (ties to even, |value| <= 2^22 exact) is quant_round's
        // add / subtract of 1.5 * 2^23, and + zp then the clamp to [qmin, qmax] in integers is the same as in floats
        // (integers < 2^24); the saturating narrowings clamp
        const __m512i zv = _mm512_set1_epi32(r->zp);
        const __m512 lo = _mm512_set1_ps(-4194304.0f), hi = _mm512_set1_ps(4194304.0f);
        if (r->out_signed) {
          dwq_row(src, wq, groups, base, F, init, [=](__m512i a, int j, __mmask16 mk) {
            const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(a, bv)), mv);
            const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zv);
            _mm512_mask_cvtsepi32_storeu_epi8(q8 + j, mk, q);
          });
        } else {
          const __m512i zero = _mm512_setzero_si512();
          dwq_row(src, wq, groups, base, F, init, [=](__m512i a, int j, __mmask16 mk) {
            const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(a, bv)), mv);
            const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zv);
            _mm512_mask_cvtusepi32_storeu_epi8(q8 + j, mk, _mm512_max_epi32(q, zero));
          });
        }
      } else {
        dwq_row(src, wq, groups, base, F, init, [=](__m512i a, int j, __mmask16 mk) {
          // 16 lanes of requant_float_acc (quant_round's operations)
          const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(a, bv)), mv);
          const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          const __m512 cl = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-4194304.0f)), _mm512_set1_ps(4194304.0f));
          __m512 q = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(cl, _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(fz));
          q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(fmin)), _mm512_set1_ps(fmax));
          q = _mm512_mask_blend_ps(nan, q, _mm512_set1_ps(nanq));
          _mm_mask_storeu_epi8(q8 + j, mk, _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(q)));
        });
      }
      if (p.Wq != g.OW)
        for (int oh = oh0; oh < oh1; oh++) std::memcpy(Y8 + o + static_cast<size_t>(oh) * g.OW, b.q8 + static_cast<size_t>(oh) * p.Wq, g.OW);
    }
  }
}

// ---- the AVX512-VNNI row path: horizontal byte quads straight from the input rows, no staging planes ----------------
//
// For stride_w 1 or 2 (dilation_w 1) the word of 4 consecutive input bytes at column ow * sw + 4 g is what output ow
// needs for taps kw = 4 g .. 4 g + 3. One (masked) vector load of the input row at byte offset s * sw + 4 g (phase s)
// holds in its dword j the word of output ph * j + s, where ph = 4 / sw phases cover 4 consecutive dwords' worth of
// outputs: one vpdpbusd per (kh, g, phase) adds 4 horizontal taps (missing kw weighted 0) for L outputs, the rows read
// where they lie (no padded copies). Padding bytes hold uz (masked-off lanes, rows outside the input), as the plane
// path: the sums are the reference's exactly (see above), bias folded into the initial sum (the same int32 wrap).
// The requantized bytes come out phase-major and are interleaved back (byte unpacks / one pshufb) before the store;
// ConvInteger's int32 sums by a dword / lane transpose. Output rows are covered by 64 / 32 / 16-output blocks (stride 2:
// 32 / 16 / 8) so that short rows waste few lanes.
// Weights whose w - zw do not all fit int8 swap the operands: the unsigned bytes are the weights wu (w, or w + 128 for
// int8 w) and the signed ones the input x' (x, or x - 128 for uint8 x), with x - xzp = x' + cx and w - zw = wu - zwu:
// sum (x - xzp)(w - zw) = sum x' wu - zwu sum x' + cx sum (w - zw), the second sum a vpdpbusd by 1-byte words (padding
// holds xzp, where x' + cx = 0): every product and sum exact, so again the reference's int32 sums.

template <int L> struct DwV;
template <> struct DwV<16> {
  using V = __m512i;
  static V set1(int32_t v) { return _mm512_set1_epi32(v); }
  static V load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static V mload(V src, uint64_t m, const uint8_t* p) { return _mm512_mask_loadu_epi8(src, static_cast<__mmask64>(m), p); }
  static V dp(V a, V x, V w) { return _mm512_dpbusd_epi32(a, x, w); }
  static V xr(V a, V b) { return _mm512_xor_si512(a, b); }
  static V msub(V a, V b, V z) { return _mm512_sub_epi32(a, _mm512_mullo_epi32(b, z)); }
};
template <> struct DwV<8> {
  using V = __m256i;
  static V set1(int32_t v) { return _mm256_set1_epi32(v); }
  static V load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V mload(V src, uint64_t m, const uint8_t* p) { return _mm256_mask_loadu_epi8(src, static_cast<__mmask32>(m), p); }
  static V dp(V a, V x, V w) { return _mm256_dpbusd_epi32(a, x, w); }
  static V xr(V a, V b) { return _mm256_xor_si256(a, b); }
  static V msub(V a, V b, V z) { return _mm256_sub_epi32(a, _mm256_mullo_epi32(b, z)); }
};
template <> struct DwV<4> {
  using V = __m128i;
  static V set1(int32_t v) { return _mm_set1_epi32(v); }
  static V load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static V mload(V src, uint64_t m, const uint8_t* p) { return _mm_mask_loadu_epi8(src, static_cast<__mmask16>(m), p); }
  static V dp(V a, V x, V w) { return _mm_dpbusd_epi32(a, x, w); }
  static V xr(V a, V b) { return _mm_xor_si128(a, b); }
  static V msub(V a, V b, V z) { return _mm_sub_epi32(a, _mm_mullo_epi32(b, z)); }
};

constexpr int kDwRowMaxKH = 16, kDwRowMaxG = 4;

/** Per output channel constants of the row path. */
struct DwRowCh {
  const uint8_t* const* rows;  // KH input rows of the output row (nullptr: outside the input)
  const int32_t* wq;           // [KH][G] weight words (signed bytes w - zw; SWAP: unsigned bytes wu)
  const int32_t* ones;         // SWAP: [G] words of 1 bytes for the taps kw < KW
  int KH, G, sw, W;
  int32_t init;                // the initial sum (bias and the zero-point terms)
  int32_t zp;                  // the output zero point
  int32_t zwu;                 // SWAP: the weight zero point in wu terms
  uint8_t xb, ub;              // masked-lane fill as loaded (the x zero point's byte) and as vpdpbusd sees it
  __m512 mult;
  const DwScaled* f;           // OUT 3: the float epilogue
  float fb;                    // OUT 3: this channel's bias (f->bias[m])
  int fk;                      // OUT 3: the activation kind, and its parameters in 16 lanes
  __m512 fs, fbv, flo, fhi, fp, fq;
};

/** 16 lanes of the finite-multiplier requantize (as run_input_channel_vnni): round(clamp(acc * mult)) + zp as int32. */
inline __m512i dwr_requant32(__m512i a, __m512 mv, __m512i zv) {
  const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a), mv);
  // clamp to [-2^22, 2^22] in one vrangeps: the smaller magnitude of v and 2^22, with v's sign (v is never NaN here)
  const __m512 c = _mm512_range_ps(v, _mm512_set1_ps(4194304.0f), 0x02);
  return _mm512_add_epi32(_mm512_cvt_roundps_epi32(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zv);
}

/** The same saturated to bytes (uint8 / int8 by OUT). */
template <int OUT>
inline __m128i dwr_requant(__m512i a, __m512 mv, __m512i zv) {
  const __m512i q = dwr_requant32(a, mv, zv);
  if (OUT == 1) return _mm512_cvtsepi32_epi8(q);
  return _mm512_cvtusepi32_epi8(_mm512_max_epi32(q, _mm512_setzero_si512()));
}

inline __mmask16 dwr_count(int n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : n <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << n) - 1); }

/** OUT 3: act(float(a) * scale [+ bias]) in 16 lanes, the float32 (HardSigmoid: float64) steps of scale_accumulators and
 *  float_act_row with the reference's selects as lane masks. */
inline __m512 dwr_float16(__m512i a, const DwRowCh& ch) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a), ch.fs);
  if (ch.f->bias) v = _mm512_add_ps(v, ch.fbv);
  switch (ch.fk) {
    case 1: {
      const __m512 zero = _mm512_setzero_ps();
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), zero, v);
    }
    case 2:
      v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, ch.flo, _CMP_LT_OQ), v, ch.flo);
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, ch.fhi, _CMP_GT_OQ), v, ch.fhi);
    case 3: {
      const __m512 t = _mm512_add_ps(v, ch.fp);
      __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, ch.flo, _CMP_LT_OQ), t, ch.flo);
      r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, ch.fhi, _CMP_GT_OQ), r, ch.fhi);
      return _mm512_div_ps(_mm512_mul_ps(v, r), ch.fq);
    }
    case 4: {
      // double: al * v + be (two roundings), then v > 1 ? 1 : v and r > 0 ? r : +0 with NaN kept, rounded once to float
      const __m512d al = _mm512_set1_pd(static_cast<double>(ch.f->act.p)), be = _mm512_set1_pd(static_cast<double>(ch.f->act.q));
      const __m512d one = _mm512_set1_pd(1.0), zd = _mm512_setzero_pd();
      auto h = [&](__m256 x) {
        const __m512d d = _mm512_add_pd(_mm512_mul_pd(al, _mm512_cvtps_pd(x)), be);
        __m512d r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(d, one, _CMP_GT_OQ), d, one);
        r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(r, zd, _CMP_NLE_UQ), zd, r);  // r > 0 or NaN keeps r; else +0 (-0 too)
        return _mm512_cvtpd_ps(r);
      };
      const __m256 lo = h(_mm512_castps512_ps256(v)), hi = h(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
      return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
    default:
      return v;
  }
}

/** The blocks of an output row (the same for every row): outputs ow .. ow + PH * L - 1 (count of them stored), input
 *  byte offset o0 = ow * sw - pad_l, and for blocks that reach outside the input row the load masks [G][PH]. */
struct DwRowBlock {
  int L, ow, o0, count;
  bool edge;
  uint64_t mask[kDwRowMaxG * 4];
};

/** One block. FLIP: the bytes are flipped by 0x80 after the load (into u, or into signed x' for SWAP). SWAP: the weights
 *  are the unsigned operand and the input the signed one (weights whose w - zw does not fit int8), the sum
 *  sum x' wu - zwu sum x' (the second sum by 1-byte words). OUT: 0 uint8, 1 int8 (requantized), 2 int32 sums. */
template <int L, int PH, int KH_, int G_, bool FLIP, bool SWAP, int OUT>
inline void dwr_block(const DwRowCh& ch, const DwRowBlock& bk, void* out) {
  using T = DwV<L>;
  using V = typename T::V;
  const int KH = KH_ ? KH_ : ch.KH, G = G_ ? G_ : ch.G;
  V acc[PH], accb[PH];
  for (int s = 0; s < PH; s++) {
    acc[s] = T::set1(ch.init);
    accb[s] = T::set1(0);
  }
  const V fill = T::set1(static_cast<int32_t>(0x01010101u * ch.xb)), flip = T::set1(static_cast<int32_t>(0x80808080u));
  const V padv = T::set1(static_cast<int32_t>(0x01010101u * ch.ub));
  const int o0 = bk.o0, sw = PH == 4 ? 1 : 2;
  auto tap = [&](int s, V d, V wv, V ov) {
    if (SWAP) {
      acc[s] = T::dp(acc[s], wv, d);
      accb[s] = T::dp(accb[s], ov, d);
    } else {
      acc[s] = T::dp(acc[s], d, wv);
    }
  };
  for (int kh = 0; kh < KH; kh++) {
    const uint8_t* rp = ch.rows[kh];
    for (int g = 0; g < G; g++) {
      const V wv = T::set1(ch.wq[kh * G + g]);
      const V ov = SWAP ? T::set1(ch.ones[g]) : wv;
      if (!rp) {
        for (int s = 0; s < PH; s++) tap(s, padv, wv, ov);
        continue;
      }
      const uint8_t* p = rp + o0 + 4 * g;
      if (bk.edge) {
        for (int s = 0; s < PH; s++) {
          V d = T::mload(fill, bk.mask[g * PH + s], p + s * sw);
          if (FLIP) d = T::xr(d, flip);
          tap(s, d, wv, ov);
        }
      } else {
        for (int s = 0; s < PH; s++) {
          V d = T::load(p + s * sw);
          if (FLIP) d = T::xr(d, flip);
          tap(s, d, wv, ov);
        }
      }
    }
  }
  if (SWAP) {
    const V zv = T::set1(ch.zwu);
    for (int s = 0; s < PH; s++) acc[s] = T::msub(acc[s], accb[s], zv);
  }
  const int count = bk.count;
  if constexpr (OUT >= 2) {
    // 16 sums in output order at output offset off: stored (OUT 2), or scaled, activated and stored as floats (OUT 3)
    auto emit = [&](__m512i v, int off, int cnt) {
      const __mmask16 mk = dwr_count(cnt - off);
      if constexpr (OUT == 3) {
        if (mk) _mm512_mask_storeu_ps(static_cast<float*>(out) + off, mk, dwr_float16(v, ch));
      } else {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out) + off, mk, v);
      }
    };
    if constexpr (L == 16 && PH == 4) {
      // a 4 x 4 transpose of dwords within the 128-bit lanes, then of the lanes: outputs in order
      const __m512i t0 = _mm512_unpacklo_epi32(acc[0], acc[1]), t1 = _mm512_unpackhi_epi32(acc[0], acc[1]);
      const __m512i t2 = _mm512_unpacklo_epi32(acc[2], acc[3]), t3 = _mm512_unpackhi_epi32(acc[2], acc[3]);
      const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
      const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
      const __m512i v0 = _mm512_shuffle_i32x4(u0, u1, 0x44), v1 = _mm512_shuffle_i32x4(u2, u3, 0x44);
      const __m512i v2 = _mm512_shuffle_i32x4(u0, u1, 0xee), v3 = _mm512_shuffle_i32x4(u2, u3, 0xee);
      emit(_mm512_shuffle_i32x4(v0, v1, 0x88), 0, count);
      emit(_mm512_shuffle_i32x4(v0, v1, 0xdd), 16, count);
      emit(_mm512_shuffle_i32x4(v2, v3, 0x88), 32, count);
      emit(_mm512_shuffle_i32x4(v2, v3, 0xdd), 48, count);
    } else if constexpr (L == 16) {
      const __m512i t0 = _mm512_unpacklo_epi32(acc[0], acc[1]), t1 = _mm512_unpackhi_epi32(acc[0], acc[1]);
      const __m512i v0 = _mm512_shuffle_i32x4(t0, t1, 0x44), v1 = _mm512_shuffle_i32x4(t0, t1, 0xee);
      emit(_mm512_shuffle_i32x4(v0, v0, 0xd8), 0, count);
      emit(_mm512_shuffle_i32x4(v1, v1, 0xd8), 16, count);
    } else {
      // short blocks (row tails): through a small buffer (whole-vector stores, element loads: store forwarding holds)
      alignas(64) int32_t tmp[PH][L];
      for (int s = 0; s < PH; s++) std::memcpy(tmp[s], &acc[s], sizeof(V));
      const int n = count < PH * L ? count : PH * L;
      if constexpr (OUT == 3) {
        // in registers: the PH phases' L sums side by side (output i = PH j + s at s L + j), put in order by one
        // permutation (32 sums: two registers, two permutations)
        __m512i z0, z1 = _mm512_setzero_si512();
        if constexpr (L == 4) {
          z0 = _mm512_inserti32x4(_mm512_castsi128_si512(acc[0]), acc[1], 1);
          if constexpr (PH == 4) z0 = _mm512_inserti32x4(_mm512_inserti32x4(z0, acc[2], 2), acc[3], 3);
        } else {
          z0 = _mm512_inserti64x4(_mm512_castsi256_si512(acc[0]), acc[1], 1);
          if constexpr (PH == 4) z1 = _mm512_inserti64x4(_mm512_castsi256_si512(acc[2]), acc[3], 1);
        }
        constexpr int lp = PH == 4 ? 2 : 1, ll = L == 8 ? 3 : 2;
        const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        auto order = [&](int base) {
          const __m512i i = _mm512_add_epi32(iota, _mm512_set1_epi32(base));
          const __m512i pos = _mm512_add_epi32(_mm512_slli_epi32(_mm512_and_si512(i, _mm512_set1_epi32(PH - 1)), ll), _mm512_srli_epi32(i, lp));
          return PH * L > 16 ? _mm512_permutex2var_epi32(z0, pos, z1) : _mm512_permutexvar_epi32(pos, z0);
        };
        emit(order(0), 0, n);
        if constexpr (PH * L > 16) emit(order(16), 16, n);
      } else {
        int32_t* dst = static_cast<int32_t*>(out);
        for (int i = 0; i < n; i++) dst[i] = tmp[i % PH][i / PH];
      }
    }
  } else {
    uint8_t* dst = static_cast<uint8_t*>(out);
    constexpr bool YS = OUT == 1;
    const __m512i zv = _mm512_set1_epi32(ch.zp);
    if constexpr (L == 16) {
      // int32 results saturated to 16 then 8 bits by packs (in 128-bit lanes), the lane's bytes put in output order by
      // one pshufb: the clamp to [qmin, qmax] of the narrowing stores, done by the packs
      __m512i z[PH];
      for (int s = 0; s < PH; s++) z[s] = dwr_requant32(acc[s], ch.mult, zv);
      if constexpr (PH == 4) {
        const __m512i p01 = _mm512_packs_epi32(z[0], z[1]), p23 = _mm512_packs_epi32(z[2], z[3]);
        const __m512i b = YS ? _mm512_packs_epi16(p01, p23) : _mm512_packus_epi16(p01, p23);
        const __m512i idx = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
        const __mmask64 mk = count >= 64 ? ~static_cast<__mmask64>(0) : (static_cast<__mmask64>(1) << count) - 1;
        _mm512_mask_storeu_epi8(dst, mk, _mm512_shuffle_epi8(b, idx));
      } else {
        const __m512i p = _mm512_packs_epi32(z[0], z[1]);
        const __m512i b = YS ? _mm512_packs_epi16(p, p) : _mm512_packus_epi16(p, p);
        const __m512i idx = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15));
        const __m512i o = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), _mm512_shuffle_epi8(b, idx));
        const __mmask32 mk = count >= 32 ? ~static_cast<__mmask32>(0) : (static_cast<__mmask32>(1) << count) - 1;
        _mm256_mask_storeu_epi8(dst, mk, _mm512_castsi512_si256(o));
      }
    } else if constexpr (L == 8) {
      if constexpr (PH == 4) {
        const __m128i A = dwr_requant<OUT>(_mm512_inserti64x4(_mm512_castsi256_si512(acc[0]), acc[2], 1), ch.mult, zv);  // q0 | q2
        const __m128i B = dwr_requant<OUT>(_mm512_inserti64x4(_mm512_castsi256_si512(acc[1]), acc[3], 1), ch.mult, zv);  // q1 | q3
        const __m128i lo = _mm_unpacklo_epi8(A, B), hi = _mm_unpackhi_epi8(A, B);
        _mm_mask_storeu_epi8(dst, dwr_count(count), _mm_unpacklo_epi16(lo, hi));
        _mm_mask_storeu_epi8(dst + 16, dwr_count(count - 16), _mm_unpackhi_epi16(lo, hi));
      } else {
        const __m128i A = dwr_requant<OUT>(_mm512_inserti64x4(_mm512_castsi256_si512(acc[0]), acc[1], 1), ch.mult, zv);  // q0 | q1
        _mm_mask_storeu_epi8(dst, dwr_count(count), _mm_unpacklo_epi8(A, _mm_srli_si128(A, 8)));
      }
    } else {
      if constexpr (PH == 4) {
        __m512i z = _mm512_castsi128_si512(acc[0]);
        z = _mm512_inserti32x4(z, acc[1], 1);
        z = _mm512_inserti32x4(z, acc[2], 2);
        z = _mm512_inserti32x4(z, acc[3], 3);
        const __m128i idx = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        _mm_mask_storeu_epi8(dst, dwr_count(count), _mm_shuffle_epi8(dwr_requant<OUT>(z, ch.mult, zv), idx));
      } else {
        const __m512i z = _mm512_inserti32x4(_mm512_castsi128_si512(acc[0]), acc[1], 1);
        const __m128i idx = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 8, 8, 8, 8, 8, 8, 8);
        _mm_mask_storeu_epi8(dst, dwr_count(count < 8 ? count : 8), _mm_shuffle_epi8(dwr_requant<OUT>(z, ch.mult, zv), idx));
      }
    }
  }
}

/** Whether the row path takes this node: stride_w 1 or 2, dilation_w 1, at most 16 x 16 taps, finite multipliers. */
inline bool dwr_fits(const ConvGeom& g, const Requant* r) {
  if (g.dil_w != 1 || (g.stride_w != 1 && g.stride_w != 2) || g.KH > kDwRowMaxKH || g.KW > 4 * kDwRowMaxG) return false;
  if (r)
    for (int i = 0; i < r->mult_n; i++)
      if (!std::isfinite(r->mult[i])) return false;
  return true;
}

/** The block plan of an output row: wide blocks while more than half a wide block remains. */
inline void dwr_plan(const ConvGeom& g, std::vector<DwRowBlock>& plan) {
  plan.clear();
  const int PH = g.stride_w == 1 ? 4 : 2, sw = g.stride_w, G = (g.KW + 3) / 4;
  for (int ow = 0; ow < g.OW;) {
    const int R = g.OW - ow;
    DwRowBlock bk;
    bk.L = R > 8 * PH ? 16 : R > 4 * PH ? 8 : 4;
    bk.ow = ow;
    bk.o0 = ow * sw - g.pad_l;
    bk.count = R;
    bk.edge = bk.o0 < 0 || bk.o0 + (PH - 1) * sw + 4 * (G - 1) + 4 * bk.L > g.W;
    for (int gi = 0; gi < G; gi++)
      for (int s = 0; s < PH; s++) {
        const int o = bk.o0 + s * sw + 4 * gi, n = 4 * bk.L;
        const int a = o < 0 ? -o : 0, e = g.W - o < n ? g.W - o : n;
        uint64_t m = 0;
        if (e > a) m = (e >= 64 ? ~static_cast<uint64_t>(0) : ((static_cast<uint64_t>(1) << e) - 1)) & ~((static_cast<uint64_t>(1) << a) - 1);
        bk.mask[gi * PH + s] = m;
      }
    plan.push_back(bk);
    ow += PH * bk.L;
  }
}

template <int PH, int KH_, int G_, bool FLIP, bool SWAP, int OUT>
void dwr_plane(const uint8_t* x, const ConvGeom& g, DwRowCh& ch, const std::vector<DwRowBlock>& plan, void* y) {
  const uint8_t* rows[kDwRowMaxKH];
  ch.rows = rows;
  constexpr size_t es = OUT >= 2 ? 4 : 1;
  for (int oh = 0; oh < g.OH; oh++) {
    for (int kh = 0; kh < g.KH; kh++) {
      const int ih = oh * g.stride_h - g.pad_t + kh * g.dil_h;
      rows[kh] = ih >= 0 && ih < g.H ? x + static_cast<size_t>(ih) * g.W : nullptr;
    }
    uint8_t* yr = static_cast<uint8_t*>(y) + es * oh * g.OW;
    for (const DwRowBlock& bk : plan) {
      if (bk.L == 16) dwr_block<16, PH, KH_, G_, FLIP, SWAP, OUT>(ch, bk, yr + es * bk.ow);
      else if (bk.L == 8) dwr_block<8, PH, KH_, G_, FLIP, SWAP, OUT>(ch, bk, yr + es * bk.ow);
      else dwr_block<4, PH, KH_, G_, FLIP, SWAP, OUT>(ch, bk, yr + es * bk.ow);
    }
  }
}

template <bool FLIP, bool SWAP, int OUT>
inline void dwr_plane_sel(const uint8_t* x, const ConvGeom& g, DwRowCh& ch, const std::vector<DwRowBlock>& plan, void* y) {
  // 3x3 and 5x5 (MobileNet-style) with their tap loops unrolled
  const bool k3 = g.KH == 3 && g.KW <= 4, k5 = g.KH == 5 && g.KW > 4 && g.KW <= 8;
  if (g.stride_w == 1) {
    if (k3) dwr_plane<4, 3, 1, FLIP, SWAP, OUT>(x, g, ch, plan, y);
    else if (k5) dwr_plane<4, 5, 2, FLIP, SWAP, OUT>(x, g, ch, plan, y);
    else dwr_plane<4, 0, 0, FLIP, SWAP, OUT>(x, g, ch, plan, y);
  } else {
    if (k3) dwr_plane<2, 3, 1, FLIP, SWAP, OUT>(x, g, ch, plan, y);
    else if (k5) dwr_plane<2, 5, 2, FLIP, SWAP, OUT>(x, g, ch, plan, y);
    else dwr_plane<2, 0, 0, FLIP, SWAP, OUT>(x, g, ch, plan, y);
  }
}

template <bool SWAP, int OUT>
inline void dwr_plane_flip(bool flip, const uint8_t* x, const ConvGeom& g, DwRowCh& ch, const std::vector<DwRowBlock>& plan, void* y) {
  if (flip) dwr_plane_sel<true, SWAP, OUT>(x, g, ch, plan, y);
  else dwr_plane_sel<false, SWAP, OUT>(x, g, ch, plan, y);
}

/** Input channel `task` (image n, channel c) and its M / C outputs. swap: weights whose w - zw do not all fit int8. */
void run_input_channel_rows(const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int M, const ConvGeom& g, int32_t xzp,
                            const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, int task,
                            const std::vector<DwRowBlock>& plan, bool swap, const DwScaled* f = nullptr) {
  const int C = g.C, n = task / C, c = task % C, per = M / C, taps = g.KH * g.KW, P = g.OH * g.OW;
  const int G = (g.KW + 3) / 4;
  const uint8_t* x = X + (static_cast<size_t>(n) * C + c) * g.H * g.W;
  // the bytes vpdpbusd takes: u = x (+128 for int8 x) unsigned, or (swap) x' = x (-128 for uint8 x) signed
  const bool flip = swap ? !x_signed : x_signed;
  int32_t wq[kDwRowMaxKH * kDwRowMaxG], ones[kDwRowMaxG];
  for (int gi = 0; gi < G; gi++) {
    uint32_t word = 0;
    for (int k = 0; k < 4 && 4 * gi + k < g.KW; k++) word |= 1u << (8 * k);
    ones[gi] = static_cast<int32_t>(word);
  }
  DwRowCh ch;
  ch.wq = wq;
  ch.ones = ones;
  ch.KH = g.KH;
  ch.G = G;
  ch.sw = g.stride_w;
  ch.W = g.W;
  ch.zp = r ? r->zp : 0;
  ch.xb = static_cast<uint8_t>(xzp);
  ch.ub = static_cast<uint8_t>(static_cast<uint8_t>(xzp) ^ (flip ? 0x80 : 0));
  ch.f = f;
  ch.fb = 0.0f;
  if (f) {
    ch.fk = f->act.kind;
    ch.fs = _mm512_set1_ps(f->scale);
    ch.flo = _mm512_set1_ps(f->act.lo);
    ch.fhi = _mm512_set1_ps(f->act.hi);
    ch.fp = _mm512_set1_ps(f->act.p);
    ch.fq = _mm512_set1_ps(f->act.q);
  }
  for (int m = c * per; m < (c + 1) * per; m++) {
    const int32_t z = zw[zw_n == 1 ? 0 : m];
    const int32_t wflip = swap && w_signed ? 128 : 0;  // swap: weights as unsigned bytes wu = w + 128 for int8 w
    uint32_t wsum = 0;
    for (int kh = 0; kh < g.KH; kh++)
      for (int gi = 0; gi < G; gi++) {
        uint32_t word = 0;
        for (int k = 0; k < 4; k++) {
          const int kw = 4 * gi + k;
          if (kw >= g.KW) break;
          const uint8_t wb = W[static_cast<size_t>(m) * taps + kh * g.KW + kw];
          const int32_t wv = w_signed ? static_cast<int32_t>(static_cast<int8_t>(wb)) : static_cast<int32_t>(wb);
          wsum += static_cast<uint32_t>(wv - z);
          const int32_t byte = swap ? wv + wflip : wv - z;  // swap: 0..255; else w - zw, which fits int8
          word |= static_cast<uint32_t>(static_cast<uint8_t>(byte)) << (8 * k);
        }
        wq[kh * G + gi] = static_cast<int32_t>(word);
      }
    const uint32_t bias = r && r->bias ? static_cast<uint32_t>(r->bias[m]) : 0u;
    if (swap) {
      // sum (x' + cx) (wu - zwu) = sum x' wu - zwu sum x' + cx sum (w - zw), x - xzp = x' + cx
      const int32_t cx = (x_signed ? 0 : 128) - xzp;
      ch.zwu = z + wflip;
      ch.init = static_cast<int32_t>(bias + static_cast<uint32_t>(cx) * wsum);
    } else {
      // sum (u - uz) (w - zw) = sum u (w - zw) - uz sum (w - zw), x - xzp = u - uz
      const int32_t uz = xzp + (x_signed ? 128 : 0);
      ch.zwu = 0;
      ch.init = static_cast<int32_t>(bias - static_cast<uint32_t>(uz) * wsum);
    }
    const size_t o = (static_cast<size_t>(n) * M + m) * P;
    if (f) {
      ch.fb = f->bias ? f->bias[m] : 0.0f;
      ch.fbv = _mm512_set1_ps(ch.fb);
      if (swap) dwr_plane_flip<true, 3>(flip, x, g, ch, plan, f->Y + o);
      else dwr_plane_flip<false, 3>(flip, x, g, ch, plan, f->Y + o);
      continue;
    }
    if (!r) {
      if (swap) dwr_plane_flip<true, 2>(flip, x, g, ch, plan, Y32 + o);
      else dwr_plane_flip<false, 2>(flip, x, g, ch, plan, Y32 + o);
      continue;
    }
    ch.mult = _mm512_set1_ps(r->mult[r->mult_n == 1 ? 0 : m]);
    if (swap) {
      if (r->out_signed) dwr_plane_flip<true, 1>(flip, x, g, ch, plan, Y8 + o);
      else dwr_plane_flip<true, 0>(flip, x, g, ch, plan, Y8 + o);
    } else {
      if (r->out_signed) dwr_plane_flip<false, 1>(flip, x, g, ch, plan, Y8 + o);
      else dwr_plane_flip<false, 0>(flip, x, g, ch, plan, Y8 + o);
    }
  }
}
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
  const int tasks = grain_tasks(pool, static_cast<int64_t>(batch) * M * g.OH * g.OW * g.KH * g.KW, kGrainDw, total < want ? total : want, g.KH * g.KW);
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
            int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8, const DwScaled* f) {
  // Direct path (taps <= 256): one task per input channel and image, its M / C output channels together.
  const bool direct = g.KH * g.KW <= kDwMaxTaps;
#ifdef LOWBIT_DW_VNNI
  // byte quads where every weight minus its zero point fits int8
  const bool vnni = direct && dw_vnni_fits(W, w_signed, M, g.KH * g.KW, zw, zw_n);
  // and the row path where the geometry suits it (stride_w 1 or 2, dilation_w 1, finite multipliers), for any weights
  const bool rows = direct && dwr_fits(g, r);
#endif
  const int total = direct ? batch * g.C : batch * M;
  const int threads = pool ? pool->size() : 1;
  // several threads: 4 pieces per thread, claimed in turn (a thread the OS runs late holds back one small piece)
  const int want = threads > 1 ? 4 * threads : 1;
  // and no piece under the grain (all taps: M outputs of OH * OW, each KH * KW)
  const int tasks = grain_tasks(pool, static_cast<int64_t>(batch) * M * g.OH * g.OW * g.KH * g.KW, kGrainDw, total < want ? total : want, g.KH * g.KW);
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
      for (int i = c0; i < c1; i++) run_input_channel_rows(X, x_signed, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, plan, !vnni, f);
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
                 int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8) {
  DWCONV_NS::dw_run(pool, X, x_signed, W, w_signed, batch, M, g, xzp, zw, zw_n, Y32, r, Y8, nullptr);
}

void DWCONV_SCALED_NAME(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
                        int32_t xzp, const int32_t* zw, int zw_n, const DwScaled& f) {
  DWCONV_NS::dw_run(pool, X, x_signed, W, w_signed, batch, M, g, xzp, zw, zw_n, nullptr, nullptr, nullptr, &f);
}

}  // namespace lowbit
