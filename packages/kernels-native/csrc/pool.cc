// MaxPool kernels of pool.h. float32 keeps the reference's tap order (a NaN's place in it decides the result). For
// the 8-bit types max is exact in any order (no NaN), so each output row is separable: first the element-wise maximum
// of the window's in-bounds input rows (contiguous bytes, vector max), then the maximum over each output's in-bounds
// columns of that row (2x2-stride-2-like windows: 16 outputs per step on x86-64); a window with no in-bounds tap
// gives 0, as the reference.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace lowbit {
namespace {

template <typename T>
void max_pool_t(const T* x, size_t planes, const int32_t* g, T* y, T empty) {
  const int D = g[0], H = g[1], W = g[2], OD = g[3], OH = g[4], OW = g[5], KD = g[6], KH = g[7], KW = g[8];
  const int sd = g[9], sh = g[10], sw = g[11], dd = g[12], dh = g[13], dw = g[14], pd = g[15], ph = g[16], pw = g[17];
  const size_t in_plane = static_cast<size_t>(D) * H * W, out_plane = static_cast<size_t>(OD) * OH * OW;
  for (size_t pl = 0; pl < planes; pl++) {
    const T* xp = x + pl * in_plane;
    T* yp = y + pl * out_plane;
    for (int od = 0; od < OD; od++)
      for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
          bool any = false;
          T acc = empty;
          for (int kd = 0; kd < KD; kd++) {
            const int id = od * sd - pd + kd * dd;
            if (id < 0 || id >= D) continue;
            for (int kh = 0; kh < KH; kh++) {
              const int ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              const T* row = xp + (static_cast<size_t>(id) * H + ih) * W;
              for (int kw = 0; kw < KW; kw++) {
                const int iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                const T v = row[iw];
                // v != v: NaN (never true for integers); a NaN replaces a non-NaN maximum and then stays.
                if (!any || v > acc || (v != v && acc == acc)) acc = v;
                any = true;
              }
            }
          }
          *yp++ = acc;
        }
  }
}

// The 8-bit kernels work on bytes in unsigned order: int8 values are flipped (x ^ 0x80) on the way in and out, which
// keeps their order, so one unsigned max serves both.
template <bool Signed>
inline uint8_t key8(uint8_t v) { return Signed ? static_cast<uint8_t>(v ^ 0x80) : v; }

// Row maximum: m[w] = max(m[w], r[w]) over W bytes (in flipped order when Signed; the first row is copied flipped).
template <bool Signed>
void row_max(uint8_t* m, const uint8_t* r, int W, bool first) {
  int w = 0;
#if defined(__x86_64__)
  const __m128i flip = _mm_set1_epi8(Signed ? static_cast<char>(0x80) : 0);
  for (; w + 16 <= W; w += 16) {
    const __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + w)), flip);
    const __m128i o = first ? v : _mm_max_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(m + w)), v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(m + w), o);
  }
  if (w + 8 <= W) {
    const __m128i v = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + w)), flip);
    const __m128i o = first ? v : _mm_max_epu8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m + w)), v);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(m + w), o);
    w += 8;
  }
#endif
  for (; w < W; w++) {
    const uint8_t v = key8<Signed>(r[w]);
    m[w] = first ? v : std::max(m[w], v);
  }
}

template <bool Signed>
void max_pool_8(const uint8_t* x, size_t planes, const int32_t* g, uint8_t* y) {
  const int D = g[0], H = g[1], W = g[2], OD = g[3], OH = g[4], OW = g[5], KD = g[6], KH = g[7], KW = g[8];
  const int sd = g[9], sh = g[10], sw = g[11], dd = g[12], dh = g[13], dw = g[14], pd = g[15], ph = g[16], pw = g[17];
  const size_t in_plane = static_cast<size_t>(D) * H * W, out_plane = static_cast<size_t>(OD) * OH * OW;
  std::vector<uint8_t> mbuf(static_cast<size_t>(W) + 16);
  uint8_t* m = mbuf.data();
  // Output columns whose taps are all in bounds: ow in [lo, hi).
  int lo = 0;
  while (lo < OW && lo * sw - pw < 0) lo++;
  int hi = OW;
  while (hi > lo && (hi - 1) * sw - pw + (KW - 1) * dw >= W) hi--;
  const uint8_t zero = key8<Signed>(0);
  for (size_t pl = 0; pl < planes; pl++) {
    const uint8_t* xp = x + pl * in_plane;
    uint8_t* yp = y + pl * out_plane;
    for (int od = 0; od < OD; od++)
      for (int oh = 0; oh < OH; oh++, yp += OW) {
        bool any = false;
        for (int kd = 0; kd < KD; kd++) {
          const int id = od * sd - pd + kd * dd;
          if (id < 0 || id >= D) continue;
          for (int kh = 0; kh < KH; kh++) {
            const int ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            row_max<Signed>(m, xp + (static_cast<size_t>(id) * H + ih) * W, W, !any);
            any = true;
          }
        }
        if (!any) {
          std::fill(yp, yp + OW, static_cast<uint8_t>(0));
          continue;
        }
        // Edge columns: only their in-bounds taps; none gives 0.
        auto edge = [&](int ow) {
          bool seen = false;
          uint8_t acc = zero;
          for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * sw - pw + kw * dw;
            if (iw < 0 || iw >= W) continue;
            acc = seen ? std::max(acc, m[iw]) : m[iw];
            seen = true;
          }
          yp[ow] = key8<Signed>(seen ? acc : zero);
        };
        for (int ow = 0; ow < lo; ow++) edge(ow);
        for (int ow = hi > lo ? hi : lo; ow < OW; ow++) edge(ow);
        int ow = lo;
#if defined(__x86_64__)
        if (KW == 2 && sw == 2 && dw == 1) {
          // Pairs of bytes as 16-bit lanes: max(low byte, high byte), packed back to 16 bytes.
          const __m128i lomask = _mm_set1_epi16(0x00ff);
          const __m128i flip = _mm_set1_epi8(Signed ? static_cast<char>(0x80) : 0);
          for (; ow + 16 <= hi; ow += 16) {
            const __m128i a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(m + (2 * ow - pw)));
            const __m128i a1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(m + (2 * ow - pw) + 16));
            const __m128i m0 = _mm_max_epi16(_mm_and_si128(a0, lomask), _mm_srli_epi16(a0, 8));
            const __m128i m1 = _mm_max_epi16(_mm_and_si128(a1, lomask), _mm_srli_epi16(a1, 8));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(yp + ow), _mm_xor_si128(_mm_packus_epi16(m0, m1), flip));
          }
          if (ow + 8 <= hi) {
            const __m128i a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(m + (2 * ow - pw)));
            const __m128i m0 = _mm_max_epi16(_mm_and_si128(a0, lomask), _mm_srli_epi16(a0, 8));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(yp + ow), _mm_xor_si128(_mm_packus_epi16(m0, m0), flip));
            ow += 8;
          }
        }
#endif
        if (dw == 1) {
          for (; ow < hi; ow++) {
            const uint8_t* t = m + (ow * sw - pw);  // in bounds for ow in [lo, hi)
            uint8_t acc = t[0];
            for (int kw = 1; kw < KW; kw++) acc = std::max(acc, t[kw]);
            yp[ow] = key8<Signed>(acc);
          }
        } else {
          for (; ow < hi; ow++) {
            const uint8_t* t = m + (ow * sw - pw);  // in bounds for ow in [lo, hi)
            uint8_t acc = t[0];
            for (int kw = 1; kw < KW; kw++) acc = std::max(acc, t[kw * dw]);
            yp[ow] = key8<Signed>(acc);
          }
        }
      }
  }
}

}  // namespace

void max_pool_f32(const float* x, size_t planes, const int32_t* g, float* y) {
  max_pool_t(x, planes, g, y, -std::numeric_limits<float>::infinity());
}
void max_pool_u8(const uint8_t* x, size_t planes, const int32_t* g, uint8_t* y) { max_pool_8<false>(x, planes, g, y); }
void max_pool_i8(const int8_t* x, size_t planes, const int32_t* g, int8_t* y) {
  max_pool_8<true>(reinterpret_cast<const uint8_t*>(x), planes, g, reinterpret_cast<uint8_t*>(y));
}

}  // namespace lowbit
