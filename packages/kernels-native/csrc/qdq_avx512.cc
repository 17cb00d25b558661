// QuantizeLinear of qdq.h with AVX-512, sixteen lanes: y = clamp(roundHalfEven(clamp(x / s, -2^22, 2^22)) + z, qmin,
// qmax), the division one IEEE operation as in qdq_kernels.inc. The rounding is vcvtps2dq with embedded
// round-to-nearest-even (independent of MXCSR) where the other builds add and subtract 1.5 * 2^23: the same integer
// for every value in [-2^22, 2^22]; the zero point and the clamp in int32, exact. NaN: vmaxps returns its second
// operand for a NaN first operand, so NaN becomes -2^22 and then qmin, as quant_store's nan_value = qmin.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "qdq.h"

namespace lowbit {
namespace avx512 {

void quantize_linear(const float* x, const float* scale, const uint8_t* zp, bool q_signed, size_t outer, size_t C, size_t inner,
                     bool per_axis, uint8_t* y) {
  const __m512 lo = _mm512_set1_ps(-4194304.0f), hi = _mm512_set1_ps(4194304.0f);
  const __m512i mn = _mm512_set1_epi32(q_signed ? -128 : 0), mx = _mm512_set1_epi32(q_signed ? 127 : 255);
  for (size_t o = 0; o < outer; o++)
    for (size_t c = 0; c < C; c++) {
      const size_t p = per_axis ? c : 0;
      const __m512 vs = _mm512_set1_ps(scale[p]);
      const __m512i vz = _mm512_set1_epi32(zp ? (q_signed ? static_cast<int8_t>(zp[p]) : zp[p]) : 0);
      auto q16 = [&](__m512 xv) {
        const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(xv, vs), lo), hi);
        const __m512i t = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vz);
        return _mm512_min_epi32(_mm512_max_epi32(t, mn), mx);
      };
      const float* xr = x + (o * C + c) * inner;
      uint8_t* yr = y + (o * C + c) * inner;
      size_t i = 0;
      for (; i + 16 <= inner; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(yr + i), _mm512_cvtepi32_epi8(q16(_mm512_loadu_ps(xr + i))));
      if (i < inner) {
        const __mmask16 m = static_cast<__mmask16>((1u << (inner - i)) - 1);
        _mm512_mask_cvtepi32_storeu_epi8(yr + i, m, q16(_mm512_maskz_loadu_ps(m, xr + i)));
      }
    }
}

}  // namespace avx512
}  // namespace lowbit
