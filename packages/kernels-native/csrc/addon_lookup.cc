// N-API binding: byte / 32-bit table lookups (lowbit.QLookup) and the lookup fusions of the squeeze-excite block.
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "addon_util.h"
#include "elementwise.h"
#include "lookup.h"
#include "qdq.h"

namespace lowbit {
namespace {

// lookupU8(x Uint8Array, table Uint8Array of 256, y Uint8Array as long as x): y[i] = table[x[i]] (lowbit.QLookup,
// int8 tensors passed as their bytes); lookupU32: the same with a Uint32Array table and output (a float32 table,
// passed as its bits)
#if defined(__x86_64__)
// AVX-512 VBMI byte lookup (when the CPU has it, with AVX-512 F/BW usable): 64 bytes per step, the 256-entry table as
// four registers; vpermi2b picks from the lower or upper half by bits 0-6, bit 7 chooses between the two. Exact.
bool use_vbmi() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return use_avx512() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 1)) != 0;
  }();
  return yes;
}
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lookup_u8_vbmi(const uint8_t* x, size_t n, const uint8_t* t, uint8_t* y) {
  const __m512i t0 = _mm512_loadu_si512(t), t1 = _mm512_loadu_si512(t + 64), t2 = _mm512_loadu_si512(t + 128), t3 = _mm512_loadu_si512(t + 192);
  size_t i = 0;
  for (; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~0ULL : ((1ULL << (n - i)) - 1);
    const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi));
  }
}
#endif

template <class T, napi_typedarray_type Ty>
Napi::Value Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Uint8Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const uint8_t* x = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_uint8_array, n, "x");
  const T* t = array_data<T>(env, info[1], Ty, Ty, 256, "table");
  T* y = array_data<T>(env, info[2], Ty, Ty, n, "y");
#if defined(__x86_64__)
  if constexpr (sizeof(T) == 1) {
    if (use_vbmi()) {
      lookup_u8_vbmi(x, n, reinterpret_cast<const uint8_t*>(t), reinterpret_cast<uint8_t*>(y));
      return env.Undefined();
    }
  }
#endif
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T a = t[x[i]], b = t[x[i + 1]], c = t[x[i + 2]], d = t[x[i + 3]];
    y[i] = a; y[i + 1] = b; y[i + 2] = c; y[i + 3] = d;
  }
  for (; i < n; i++) y[i] = t[x[i]];
  return env.Undefined();
}

#if defined(__x86_64__)
// lookupMulQuantize's per-element path, eight at a time (AVX2 gather of the table entries); the same float32 product,
// division, clamp to +-1024 and rounding by 1.5 * 2^23 as its scalar `quant`, so identical bytes. Returns how many
// elements it wrote (a multiple of 8).
__attribute__((target("avx2"))) size_t lookup_mul_quantize_avx2(const uint8_t* x, size_t n, const float* t, float g, float scale, float zp, float lo, float hi, uint8_t* y) {
  const __m256 vg = _mm256_set1_ps(g), vs = _mm256_set1_ps(scale), vz = _mm256_set1_ps(zp), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const __m256 lim = _mm256_set1_ps(1024.0f), nlim = _mm256_set1_ps(-1024.0f), magic = _mm256_set1_ps(12582912.0f);
  const __m128i low8 = _mm_set1_epi16(0xff);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + j)));
    const __m256 d = _mm256_div_ps(_mm256_mul_ps(_mm256_i32gather_ps(t, idx, 4), vg), vs);
    const __m256 nan = _mm256_cmp_ps(d, d, _CMP_UNORD_Q);
    const __m256 c = _mm256_min_ps(_mm256_max_ps(d, nlim), lim);
    const __m256 r = _mm256_sub_ps(_mm256_add_ps(c, magic), magic);
    const __m256 q = _mm256_blendv_ps(_mm256_min_ps(_mm256_max_ps(_mm256_add_ps(r, vz), vlo), vhi), vlo, nan);
    const __m256i qi = _mm256_cvtps_epi32(q);
    const __m128i w = _mm_and_si128(_mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1)), low8);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + j), _mm_packus_epi16(w, w));
  }
  return j;
}
#endif

// lookupGap(x Uint8Array (rows * plane bytes), table Float32Array of 256, rows, plane, y Float32Array (rows)):
// lowbit.QLookupGlobalAveragePool, y[r] = float(double(sum) / plane) with sum the float32 running sum of
// table[x] over the row in order (the reference GlobalAveragePool of the looked-up values).
Napi::Value LookupGap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t rows = int_arg(info, 2, "rows"), plane = int_arg(info, 3, "plane");
  const uint8_t* x = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_uint8_array, rows * plane, "x");
  const float* t = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, 256, "table");
  float* y = array_data<float>(env, info[4], napi_float32_array, napi_float32_array, rows, "y");
  lookup_gap(x, t, rows, plane, y);  // lookup.cc: eight rows at a time, each in its own order
  return env.Undefined();
}

// lookupMulQuantize(x Uint8Array (N * C * plane bytes), table Float32Array of 256, gate Float32Array, N, C, plane,
// gateStrideN, gateStrideC, scale, zeroPoint, signed (bool), y Uint8Array (as x)): lowbit.QLookupMulQuantize with one
// gate value per [n, c] plane (gate[n * gateStrideN + c * gateStrideC]): y = saturate(roundHalfEven(float(float(
// table[x] * g) / scale)) + zeroPoint), NaN giving the range's low end; written as bytes (int8 as its bits). A plane
// of 64 or more elements goes through a 256-entry byte table made for its gate value (lookup.cc).
Napi::Value LookupMulQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t N = int_arg(info, 3, "N"), C = int_arg(info, 4, "C"), plane = int_arg(info, 5, "plane");
  const size_t gn = int_arg(info, 6, "gateStrideN"), gc = int_arg(info, 7, "gateStrideC");
  const size_t total = N * C * plane;
  const uint8_t* x = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_uint8_array, total, "x");
  const float* t = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, 256, "table");
  const size_t glen = N == 0 || C == 0 ? 0 : (N - 1) * gn + (C - 1) * gc + 1;
  const float* gate = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, glen, "gate");
  const float scale = info[8].As<Napi::Number>().FloatValue();
  const int zp = info[9].As<Napi::Number>().Int32Value();
  const bool sgn = info[10].ToBoolean().Value();
  uint8_t* y = array_data<uint8_t>(env, info[11], napi_uint8_array, napi_uint8_array, total, "y");
  const double lo = sgn ? -128.0 : 0.0, hi = sgn ? 127.0 : 255.0;
  auto quant = [&](float v) -> uint8_t {
    float d = v / scale;
    if (d != d) return static_cast<uint8_t>(static_cast<int>(lo) & 255);
    // Clamped first (anything beyond +-1024 saturates either way), then rounded to nearest even by adding and
    // subtracting 1.5 * 2^23 (exact for |d| < 2^22 under the default rounding mode).
    d = d < -1024.0f ? -1024.0f : (d > 1024.0f ? 1024.0f : d);
    const float r = (d + 12582912.0f) - 12582912.0f;
    double q = static_cast<double>(r) + zp;
    q = q < lo ? lo : (q > hi ? hi : q);
    return static_cast<uint8_t>(static_cast<int>(q) & 255);
  };
  uint8_t bytes[256];
  for (size_t n = 0; n < N; n++)
    for (size_t c = 0; c < C; c++) {
      const float g = gate[n * gn + c * gc];
      const size_t start = (n * C + c) * plane;
      if (plane >= 64) {
        // One output table per plane (256 entries, vectorized), then the byte lookup: fewer steps than per element.
        lookup_mul_quantize_table(t, g, scale, zp, static_cast<int>(lo), static_cast<int>(hi), bytes);
        lookup_bytes(x + start, plane, bytes, y + start);
        continue;
      }
      size_t j = 0;
#if defined(__x86_64__)
      if (use_avx2()) j = lookup_mul_quantize_avx2(x + start, plane, t, g, scale, static_cast<float>(zp), static_cast<float>(lo), static_cast<float>(hi), y + start);
#endif
      for (; j < plane; j++) y[start + j] = quant(t[x[start + j]] * g);
    }
  return env.Undefined();
}

// lookupPairs(a Uint8Array, b Uint8Array (as long as a), table Uint8Array of 65536, y Uint8Array (as a)):
// y[i] = table[a[i] * 256 + b[i]] (lowbit.QLookup2 with same-shape inputs; int8 tensors passed as their bytes).
Napi::Value LookupPairs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "a: expected a Uint8Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const uint8_t* a = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_uint8_array, n, "a");
  const uint8_t* b = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_uint8_array, n, "b");
  const uint8_t* t = array_data<uint8_t>(env, info[2], napi_uint8_array, napi_uint8_array, 65536, "table");
  uint8_t* y = array_data<uint8_t>(env, info[3], napi_uint8_array, napi_uint8_array, n, "y");
  lookup_pairs(a, b, n, t, y);
  return env.Undefined();
}

}  // namespace

void register_lookup(Napi::Env env, Napi::Object exports) {
  exports.Set("lookupU8", Napi::Function::New(env, Lookup<uint8_t, napi_uint8_array>));
  exports.Set("lookupU32", Napi::Function::New(env, Lookup<uint32_t, napi_uint32_array>));
  exports.Set("lookupGap", Napi::Function::New(env, LookupGap));
  exports.Set("lookupMulQuantize", Napi::Function::New(env, LookupMulQuantize));
  exports.Set("lookupPairs", Napi::Function::New(env, LookupPairs));
}

}  // namespace lowbit
