// MaxPool over NCHW-style planes (pool_kernels.inc) on the 3-D spatial view of @lowbit/kernels' window.ts (1-D and 2-D lifted with unit
// leading dims): y = max over the window's in-bounds taps, as the reference (nn/pool.ts): the first in-bounds tap
// starts the maximum, a greater value or a NaN (over a non-NaN) replaces it, padding never wins; a window with no
// in-bounds tap gives -inf (float32) or 0 (8-bit).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lowbit {

/** geometry: D, H, W, OD, OH, OW, KD, KH, KW, stride d/h/w, dilation d/h/w, pad begin d/h/w (18 values). */
void max_pool_f32(const float* x, size_t planes, const int32_t* geometry, float* y);
void max_pool_u8(const uint8_t* x, size_t planes, const int32_t* geometry, uint8_t* y);
void max_pool_i8(const int8_t* x, size_t planes, const int32_t* geometry, int8_t* y);

/** The same kernels built with AVX2 (x64 only; call when the CPU has AVX2). Identical results. */
namespace avx2 {
void max_pool_f32(const float* x, size_t planes, const int32_t* geometry, float* y);
void max_pool_u8(const uint8_t* x, size_t planes, const int32_t* geometry, uint8_t* y);
void max_pool_i8(const int8_t* x, size_t planes, const int32_t* geometry, int8_t* y);
}  // namespace avx2

}  // namespace lowbit
