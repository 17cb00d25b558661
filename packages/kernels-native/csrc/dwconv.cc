#include "dwconv.h"

// Compiled twice: as `dwconv` in the portable core, and as `dwconv_avx2` (dwconv_avx2.cc) with AVX2 code generation.
#ifndef DWCONV_NAME
#define DWCONV_NAME dwconv
#define DWCONV_NS dw_portable
#endif

#include <cmath>
#include <vector>

namespace lowbit {

namespace DWCONV_NS {

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
                 int32_t* Y32, const Requant* r, uint8_t* Y8, int task, std::vector<uint32_t>& acc) {
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
  const size_t o = (static_cast<size_t>(n) * M + m) * P;
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

}  // namespace DWCONV_NS

using namespace DWCONV_NS;

void DWCONV_NAME(ThreadPool* pool, const uint8_t* X, bool x_signed, const uint8_t* W, bool w_signed, int batch, int M, const ConvGeom& g,
            int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y32, const Requant* r, uint8_t* Y8) {
  const int total = batch * M;
  const int threads = pool ? pool->size() : 1;
  const int tasks = total < threads ? total : threads;
  auto body = [&](int t) {
    std::vector<uint32_t> acc;
    const int c0 = static_cast<int>(static_cast<long>(total) * t / tasks), c1 = static_cast<int>(static_cast<long>(total) * (t + 1) / tasks);
    for (int i = c0; i < c1; i++) {
      if (x_signed) run_channel<int8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, acc);
      else run_channel<uint8_t>(X, W, w_signed, M, g, xzp, zw, zw_n, Y32, r, Y8, i, acc);
    }
  };
  if (pool && tasks > 1) pool->run(tasks, body);
  else if (tasks > 0) body(0);
}

}  // namespace lowbit
