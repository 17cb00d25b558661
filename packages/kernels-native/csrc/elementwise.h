// Float element-wise, normalisation and data-movement ops the JS reference computes slowly.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lowbit {

/** y = Relu(x) as the reference: x > 0 ? x : 0, NaN stays NaN, -0 gives +0. */
void relu_f32(const float* x, size_t n, float* y);
/** y = Clip(x, lo, hi) as the reference: sequential (opset >= 11) r = x < lo ? lo : x; y = r > hi ? hi : r; else
    y = x < lo ? lo : (x > hi ? hi : x). NaN passes through. */
void clip_f32(const float* x, size_t n, float lo, float hi, bool sequential, float* y);
/** GlobalAveragePool over rows of `plane` values: y[r] = float(double(sum) / plane), the sum in float32 in order. */
void global_avg_pool_f32(const float* x, size_t rows, size_t plane, float* y);

/** y = erf(x): piecewise polynomials evaluated in double (relative error below 1e-14, erf_table.inc), rounded once to
    float32: within 1 float32 ulp of the reference (equal unless the exact value lies within 1e-14 of a rounding
    boundary); x = -0 gives +0 like the reference, |x| >= 4 gives +-1, NaN gives NaN. */
void erf_f32(const float* x, size_t n, float* y);

/** GELU in the erf form as a graph spells it, every step one float32 operation as the unfused ops compute it:
    s = div ? x / c1 : x * c1; e = erf(s) (erf_f32 above); a = e + c2; y = scale_first ? (x * c3) * a : (x * a) * c3. */
void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y);

/** Cast int32 -> float32: y = float(x), rounded to nearest even (as a Float32Array store of the number). */
void cast_i32_f32(const int32_t* x, size_t n, float* y);

/** Softmax over the last axis of a [rows, n] view, in double like the reference: y = float(exp(x - max) / sum). */
void softmax_f32(const float* x, size_t rows, size_t n, float* y);

/**
 * LayerNormalization over the trailing `inner` elements of each of `outer` rows, bit-exact with the reference
 * (stash_type 1): sums in double, every other step one float32 operation; `eps` added in double then rounded.
 * scale has `inner` values; bias `inner` values or null. mean / inv (one value per row) may be null.
 */
void layer_norm_f32(const float* x, size_t outer, size_t inner, const float* scale, const float* bias, double eps, float* y, float* mean, float* inv);

/** y = float(exp(double(x))): the reference's Math.exp in double rounded once (the scalar build calls the C library's
    exp, which may differ from V8's in the last double bit, so a result may round to the neighbouring float32). */
void exp_f32(const float* x, size_t n, float* y);

/** `count` runs of `run` bytes: run c is src[c * sstep ..) to dst[c * dstep ..) (byte steps, either sign); the runs
    must not overlap. Bit-exact (memcpy). */
void copy_runs(void* dst, int64_t dstep, const void* src, int64_t sstep, size_t run, size_t count);

/**
 * Transpose of elements of `esize` bytes (1, 2, 4 or 8): out dims `dims[k]` (rank <= 8), `in_strides[k]` the input
 * stride (in elements) of the input axis that becomes output axis k. Writes every output element in order.
 */
void transpose(const void* x, int esize, int rank, const int32_t* dims, const int64_t* in_strides, void* y);

/** Binary float op (0 Add, 1 Sub, 2 Mul, 3 Div) over an output of `rank` dims (<= 8) with per-input element strides
    (0 on broadcast axes): y[i] = a[.] op b[.], one float32 operation each. */
void binary_f32(int op, const float* a, const float* b, float* y, int rank, const int32_t* dims, const int64_t* sa, const int64_t* sb);

/** The same kernels built with AVX2 (x64 only; call when the CPU has AVX2). Identical results, except erf_f32 /
    gelu_f32: there a float32 evaluation (elementwise_avx512.cc's, eight lanes), at most 1.0 ulp from the true erf, so
    within 1 ulp of the reference like the scalar build but not always equal to it. */
namespace avx2 {
void relu_f32(const float* x, size_t n, float* y);
void clip_f32(const float* x, size_t n, float lo, float hi, bool sequential, float* y);
void global_avg_pool_f32(const float* x, size_t rows, size_t plane, float* y);
void erf_f32(const float* x, size_t n, float* y);
void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y);
void softmax_f32(const float* x, size_t rows, size_t n, float* y);
void cast_i32_f32(const int32_t* x, size_t n, float* y);
void exp_f32(const float* x, size_t n, float* y);
void copy_runs(void* dst, int64_t dstep, const void* src, int64_t sstep, size_t run, size_t count);
void layer_norm_f32(const float* x, size_t outer, size_t inner, const float* scale, const float* bias, double eps, float* y, float* mean, float* inv);
void transpose(const void* x, int esize, int rank, const int32_t* dims, const int64_t* in_strides, void* y);
void binary_f32(int op, const float* a, const float* b, float* y, int rank, const int32_t* dims, const int64_t* sa, const int64_t* sb);
}  // namespace avx2

/** erf_f32, gelu_f32 (and softmax_f32, see below) with AVX-512 F/DQ (x64 only; call when the CPU has it): erf in
    float32, sixteen lanes (erf_table_f32.inc; the 16-row table lookup is a register permute), bit-identical to the
    AVX2 build's erf_f32 / gelu_f32. */
namespace avx512 {
void erf_f32(const float* x, size_t n, float* y);
/** softmax_f32 with exp in double evaluated eight lanes at a time (Cody-Waite reduction, degree-12 Taylor polynomial,
    relative error below 1e-15, scaled with vscalefpd) and the row sum accumulated in eight lanes (rows shorter than
    16: blocks of rows through exp8 at once, each row's sum in element order): differs from the scalar build in the
    last double bits only, so at most 1 float32 ulp after rounding (Softmax's declared tolerance). */
void softmax_f32(const float* x, size_t rows, size_t n, float* y);
void gelu_f32(const float* x, size_t n, float c1, bool div, float c2, float c3, bool scale_first, float* y);
/** exp_f32 with exp in double eight lanes at a time (softmax_f32's exp8, relative error below 1e-15), rounded once to
    float32: within 1 float32 ulp of the reference; x > 89 (and +inf) gives +inf, x < -745.2 (and -inf) +0, NaN NaN. */
void exp_f32(const float* x, size_t n, float* y);
}  // namespace avx512

}  // namespace lowbit
