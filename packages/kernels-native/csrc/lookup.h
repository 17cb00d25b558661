// Byte-table kernels of the squeeze-excite fusion (lowbit.QLookupMulQuantize, lowbit.QLookupGlobalAveragePool) and
// the plain byte lookup they share: exact (bit-identical to the scalar reference), with AVX-512 VBMI / AVX-512 paths
// chosen at run time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lowbit {

/** y[i] = t[x[i]] over n bytes (t 256 long). */
void lookup_bytes(const uint8_t* x, size_t n, const uint8_t* t, uint8_t* y);

/** The per-tensor QuantizeLinear of lowbit.QLookupMulQuantize: saturate(roundHalfEven(float(v / scale)) + zp), NaN
    giving lo; lo/hi the 8-bit range (0, 255 or -128, 127); the result's low byte. */
uint8_t lookup_quantize_one(float v, float scale, int zp, int lo, int hi);

/** table[k] = lookup_quantize_one(float(t[k] * g), ...) for k < 256: one squeeze-excite plane's output table. */
void lookup_mul_quantize_table(const float* t, float g, float scale, int zp, int lo, int hi, uint8_t table[256]);

/** GlobalAveragePool of t[x] over rows of `plane` bytes: y[r] = float(double(float32 running sum in order) / plane). */
void lookup_gap(const uint8_t* x, const float* t, size_t rows, size_t plane, float* y);

/** y[i] = t[(a[i] << 8) | b[i]] over n byte pairs (t 65536 long): a binary function of two 8-bit values. */
void lookup_pairs(const uint8_t* a, const uint8_t* b, size_t n, const uint8_t* t, uint8_t* y);

}  // namespace lowbit
