// MaxPool kernels of pool.h: plain loops (the windows are small; the compiler unrolls the in-bounds tap loop).
#include "pool.h"

#include <cmath>
#include <limits>

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

}  // namespace

void max_pool_f32(const float* x, size_t planes, const int32_t* g, float* y) {
  max_pool_t(x, planes, g, y, -std::numeric_limits<float>::infinity());
}
void max_pool_u8(const uint8_t* x, size_t planes, const int32_t* g, uint8_t* y) { max_pool_t<uint8_t>(x, planes, g, y, 0); }
void max_pool_i8(const int8_t* x, size_t planes, const int32_t* g, int8_t* y) { max_pool_t<int8_t>(x, planes, g, y, 0); }

}  // namespace lowbit
