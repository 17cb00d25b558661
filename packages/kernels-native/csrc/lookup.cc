// Byte-table kernels (lookup.h). Compiled with the baseline flags: the wide paths are functions with their own target
// attributes, called only when detect_isas() (and CPUID for VBMI) says the CPU runs them.
#include "lookup.h"

#include "common.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace lowbit {

namespace {

#if defined(__x86_64__)
bool has_avx512() {
  static const bool yes = (detect_isas() & ISA_AVX512) != 0;
  return yes;
}

bool has_vbmi() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return has_avx512() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 1)) != 0;
  }();
  return yes;
}

// 64 bytes per step, the table as four registers: vpermi2b picks from the lower or upper half by bits 0-6, bit 7
// chooses between the two.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lookup_bytes_vbmi(const uint8_t* x, size_t n, const uint8_t* t, uint8_t* y) {
  const __m512i t0 = _mm512_loadu_si512(t), t1 = _mm512_loadu_si512(t + 64), t2 = _mm512_loadu_si512(t + 128), t3 = _mm512_loadu_si512(t + 192);
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~0ULL : ((1ULL << (n - i)) - 1);
    const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi));
  }
}

// Sixteen entries per step: the same float32 product and division as the scalar path, rounded to nearest even by
// roundscale (exact), the zero point added and the range clamped in float (exact: |values| stay far below 2^24 after
// the clamp, and an infinity clamps to the range's end), NaN replaced by lo; the int32 results' low bytes stored.
__attribute__((target("avx512f,avx512bw,avx512dq"))) void mul_quantize_table_avx512(const float* t, float g, float scale, int zp, int lo, int hi, uint8_t* out) {
  const __m512 vg = _mm512_set1_ps(g), vs = _mm512_set1_ps(scale), vz = _mm512_set1_ps(static_cast<float>(zp));
  const __m512 vlo = _mm512_set1_ps(static_cast<float>(lo)), vhi = _mm512_set1_ps(static_cast<float>(hi));
  for (int k = 0; k < 256; k += 16) {
    const __m512 d = _mm512_div_ps(_mm512_mul_ps(_mm512_loadu_ps(t + k), vg), vs);
    const __mmask16 nan = _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
    const __m512 r = _mm512_roundscale_ps(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(r, vz), vlo), vhi);
    q = _mm512_mask_blend_ps(nan, q, vlo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
  }
}

// Sixteen pairs per step: the 65536-byte table read by dword gathers (sixteen independent loads in flight where the
// scalar loop waits on each), each at the entry's offset minus 3 (never past the table's end; offsets below 3 read
// from 0), the entry's byte then shifted down out of the dword. Returns how many pairs it wrote (a multiple of 16).
__attribute__((target("avx512f,avx512bw"))) size_t lookup_pairs_avx512(const uint8_t* a, const uint8_t* b, size_t n, const uint8_t* t, uint8_t* y) {
  const __m512i three = _mm512_set1_epi32(3), ff = _mm512_set1_epi32(255);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i ia = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m512i ib = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    const __m512i idx = _mm512_or_si512(_mm512_slli_epi32(ia, 8), ib);
    const __m512i off = _mm512_max_epi32(_mm512_sub_epi32(idx, three), _mm512_setzero_si512());
    const __m512i w = _mm512_i32gather_epi32(off, reinterpret_cast<const int*>(t), 1);
    const __m512i v = _mm512_and_si512(_mm512_srlv_epi32(w, _mm512_slli_epi32(_mm512_sub_epi32(idx, off), 3)), ff);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm512_cvtepi32_epi8(v));
  }
  return i;
}
#endif

}  // namespace

void lookup_bytes(const uint8_t* x, size_t n, const uint8_t* t, uint8_t* y) {
#if defined(__x86_64__)
  if (has_vbmi()) {
    lookup_bytes_vbmi(x, n, t, y);
    return;
  }
#endif
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint8_t a = t[x[i]], b = t[x[i + 1]], c = t[x[i + 2]], d = t[x[i + 3]];
    y[i] = a; y[i + 1] = b; y[i + 2] = c; y[i + 3] = d;
  }
  for (; i < n; i++) y[i] = t[x[i]];
}

uint8_t lookup_quantize_one(float v, float scale, int zp, int lo, int hi) {
  float d = v / scale;
  if (d != d) return static_cast<uint8_t>(lo & 255);
  // Clamped first (anything beyond +-1024 saturates either way), then rounded to nearest even by adding and
  // subtracting 1.5 * 2^23 (exact for |d| < 2^22 under the default rounding mode).
  d = d < -1024.0f ? -1024.0f : (d > 1024.0f ? 1024.0f : d);
  const float r = (d + 12582912.0f) - 12582912.0f;
  double q = static_cast<double>(r) + zp;
  q = q < lo ? lo : (q > hi ? hi : q);
  return static_cast<uint8_t>(static_cast<int>(q) & 255);
}

void lookup_mul_quantize_table(const float* t, float g, float scale, int zp, int lo, int hi, uint8_t table[256]) {
#if defined(__x86_64__)
  if (has_avx512()) {
    mul_quantize_table_avx512(t, g, scale, zp, lo, hi, table);
    return;
  }
#endif
  for (int k = 0; k < 256; k++) table[k] = lookup_quantize_one(t[k] * g, scale, zp, lo, hi);
}

void lookup_pairs(const uint8_t* a, const uint8_t* b, size_t n, const uint8_t* t, uint8_t* y) {
  size_t i = 0;
#if defined(__x86_64__)
  if (has_avx512()) i = lookup_pairs_avx512(a, b, n, t, y);
#endif
  for (; i + 4 <= n; i += 4) {
    const uint8_t p0 = t[(a[i] << 8) | b[i]], p1 = t[(a[i + 1] << 8) | b[i + 1]], p2 = t[(a[i + 2] << 8) | b[i + 2]], p3 = t[(a[i + 3] << 8) | b[i + 3]];
    y[i] = p0; y[i + 1] = p1; y[i + 2] = p2; y[i + 3] = p3;
  }
  for (; i < n; i++) y[i] = t[(a[i] << 8) | b[i]];
}

void lookup_gap(const uint8_t* x, const float* t, size_t rows, size_t plane, float* y) {
  // Each row's float32 sum in order (one rounding per add, as the reference); eight rows at a time so eight
  // dependent chains overlap.
  size_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    const uint8_t* p = x + r * plane;
    float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < plane; j++)
      for (int k = 0; k < 8; k++) a[k] = a[k] + t[p[k * plane + j]];
    for (int k = 0; k < 8; k++) y[r + k] = static_cast<float>(static_cast<double>(a[k]) / static_cast<double>(plane));
  }
  for (; r < rows; r++) {
    const uint8_t* p = x + r * plane;
    float a = 0.0f;
    for (size_t j = 0; j < plane; j++) a = a + t[p[j]];
    y[r] = static_cast<float>(static_cast<double>(a) / static_cast<double>(plane));
  }
}

}  // namespace lowbit
