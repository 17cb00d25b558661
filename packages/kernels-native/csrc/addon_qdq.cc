// N-API binding: quantize / dequantize, element-wise float ops (Relu, Clip, Erf, GELU, Softmax, Exp, LayerNorm, Cast,
// broadcast binary ops), Transpose, strided byte runs (Concat / Slice) and DynamicQuantizeLinear.
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "addon_util.h"
#include "elementwise.h"
#include "qdq.h"

namespace lowbit {

/**
 * DynamicQuantizeLinear over the pool's threads (AVX-512 CPUs, x of 64 Ki elements or more; otherwise the one-thread
 * kernel): each piece's range (avx512::dynamic_range), combined (min / max of finite values without -0: any order gives
 * the sequential result), then dynamic_quantize_ranged (the parameters as qdq_kernels.inc computes them, each piece
 * quantized with the same division, rounding, zero point and clamp per element). The same bytes, scale and zero point
 * as dynamic_quantize_linear; false for an empty or non-finite x.
 */
bool dynamic_quantize_pooled(ThreadPool* pool, const float* x, size_t n, uint8_t* y, float* s, uint8_t* z) {
#if defined(__x86_64__)
  const int T = pool ? pool->size() : 1;
  if (T >= 2 && T <= 256 && n >= (size_t(1) << 16) && use_avx512()) {
    const size_t piece = ((n + T - 1) / T + 63) / 64 * 64;
    float lo[256], hi[256];
    bool ok[256];
    pool->run(T, [&](int t) {
      const size_t a = static_cast<size_t>(t) * piece, b = a + piece < n ? a + piece : n;
      lo[t] = hi[t] = 0.0f;
      ok[t] = a >= b || avx512::dynamic_range(x + a, b - a, &lo[t], &hi[t]);
    });
    float l, h;
    if (!range_of_pieces(lo, hi, ok, static_cast<size_t>(T), &l, &h)) return false;
    dynamic_quantize_ranged(pool, x, n, l, h, y, s, z);
    return true;
  }
#endif
  (void)pool;
  return LOWBIT_EW512(dynamic_quantize_linear, x, n, y, s, z);
}

void dynamic_quantize_ranged(ThreadPool* pool, const float* x, size_t n, float lo, float hi, uint8_t* y, float* s, uint8_t* z) {
  float scale;
  int zp;
  dynamic_params(lo, hi, &scale, &zp);
  const uint8_t zb = static_cast<uint8_t>(zp);
  const int T = pool ? pool->size() : 1;
#if defined(__x86_64__)
  const bool in_range = use_avx512() && avx512::range_quantizable(scale);
#else
  const bool in_range = false;
#endif
  auto part = [&](size_t a, size_t b) {
#if defined(__x86_64__)
    if (in_range) {
      avx512::quantize_in_range(x + a, b - a, scale, zb, y + a);
      return;
    }
#endif
    LOWBIT_EW512(quantize_linear, x + a, &scale, &zb, false, 1, 1, b - a, false, y + a);
  };
  if (T >= 2 && T <= 256 && n >= (size_t(1) << 16)) {
    // pieces of whole 64-value blocks (each element's bytes do not depend on the split)
    const size_t piece = ((n + T - 1) / T + 63) / 64 * 64;
    pool->run(T, [&](int t) {
      const size_t a = static_cast<size_t>(t) * piece, b = a + piece < n ? a + piece : n;
      if (a < b) part(a, b);
    });
  } else {
    part(0, n);
  }
  *s = scale;
  *z = zb;
}

bool QuantOut::run(ThreadPool* pool, const float* Y, size_t n) {
  if (n == 0) return false;
  if (sink.merged == 0) return dynamic_quantize_pooled(pool, Y, n, y, s, z);
  if (!sink.ok()) return false;  // a NaN or an infinity: the caller's reference reports it
  dynamic_quantize_ranged(pool, Y, n, sink.lo, sink.hi, y, s, z);
  return true;
}

namespace {

/**
 * Splits an (outer, C, inner) quantize / dequantize over the pool (split_rows, kGrainCheap): per tensor as 64-value
 * chunks of the flat tensor; per axis by `outer` rows, or by channels when outer is 1. fn(element offset, outer, first
 * channel, channels, inner) for each piece: every element computed as by the whole call, for any split.
 */
template <class F>
void split_qdq(ThreadPool* pool, size_t outer, size_t C, size_t inner, bool per_axis, const F& fn) {
  const size_t n = outer * C * inner;
  if (!per_axis) {
    split_rows(pool, (n + 63) / 64, 64, [&](size_t k0, size_t k1) {
      const size_t i0 = k0 * 64, i1 = k1 * 64 < n ? k1 * 64 : n;
      fn(i0, 1, 0, 1, i1 - i0);
    }, kGrainCheap);
  } else if (outer > 1) {
    split_rows(pool, outer, C * inner, [&](size_t r0, size_t r1) { fn(r0 * C * inner, r1 - r0, 0, C, inner); }, kGrainCheap);
  } else {
    split_rows(pool, C, inner, [&](size_t c0, size_t c1) { fn(c0 * inner, 1, c0, c1 - c0, inner); }, kGrainCheap);
  }
}

// quantizeLinear(x Float32Array, scale Float32Array, zp Uint8Array | Int8Array | null, outer, C, inner, y Uint8Array | Int8Array
// [, pool]) (scale / zp of length 1: per tensor; of length C: per axis; split_qdq)
Napi::Value QuantizeLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t outer = int_arg(info, 3, "outer"), C = int_arg(info, 4, "C"), inner = int_arg(info, 5, "inner"), n = outer * C * inner;
  const size_t sn = info[1].IsTypedArray() ? info[1].As<Napi::TypedArray>().ElementLength() : 0;
  if (sn != 1 && sn != C) throw Napi::RangeError::New(env, "scale: expected 1 or C values");
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  const float* s = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, sn, "scale");
  const uint8_t* z = info[2].IsNull() ? nullptr : array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, sn, "zero_point");
  const bool ys = info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  uint8_t* y = array_data<uint8_t>(env, info[6], napi_uint8_array, napi_int8_array, n, "y");
  split_qdq(optional_pool(info, 7), outer, C, inner, sn != 1, [&](size_t off, size_t o, size_t c0, size_t c, size_t in) {
    LOWBIT_EW512(quantize_linear, x + off, s + c0, z ? z + c0 : nullptr, ys, o, c, in, sn != 1, y + off);
  });
  return env.Undefined();
}

// dequantizeLinear(x Uint8Array | Int8Array, scale, zp | null, outer, C, inner, y Float32Array [, pool]) (split_qdq)
Napi::Value DequantizeLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t outer = int_arg(info, 3, "outer"), C = int_arg(info, 4, "C"), inner = int_arg(info, 5, "inner"), n = outer * C * inner;
  const size_t sn = info[1].IsTypedArray() ? info[1].As<Napi::TypedArray>().ElementLength() : 0;
  if (sn != 1 && sn != C) throw Napi::RangeError::New(env, "scale: expected 1 or C values");
  const bool xs = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  const uint8_t* x = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_int8_array, n, "x");
  const float* s = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, sn, "scale");
  const uint8_t* z = info[2].IsNull() ? nullptr : array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, sn, "zero_point");
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, n, "y");
  split_qdq(optional_pool(info, 7), outer, C, inner, sn != 1, [&](size_t off, size_t o, size_t c0, size_t c, size_t in) {
    LOWBIT_EW(dequantize_linear, x + off, xs, s + c0, z ? z + c0 : nullptr, o, c, in, sn != 1, y + off);
  });
  return env.Undefined();
}

// dequantizeBias(x (Uint8Array | Int8Array, rows * n), scale, zeroPoint, rows, n, bias Float32Array (n or 1), y Float32Array)
// y = float(float((x - zeroPoint) * scale) + bias[j]): DequantizeLinear (per tensor) and the row-bias Add in one pass.
Napi::Value DequantizeBias(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t rows = int_arg(info, 3, "rows"), n = int_arg(info, 4, "n"), total = rows * n;
  const bool xs = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  const uint8_t* x = array_data<uint8_t>(env, info[0], napi_uint8_array, napi_int8_array, total, "x");
  const float scale = info[1].As<Napi::Number>().FloatValue();
  const int zp = info[2].As<Napi::Number>().Int32Value();
  const size_t bn = info[5].IsTypedArray() ? info[5].As<Napi::TypedArray>().ElementLength() : 0;
  if (bn != 1 && bn != n) throw Napi::RangeError::New(env, "bias: expected 1 or n values");
  const float* bias = array_data<float>(env, info[5], napi_float32_array, napi_float32_array, bn, "bias");
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, total, "y");
  LOWBIT_EW(dequantize_bias, x, xs, scale, zp, rows, n, bias, bn != 1, y);
  return env.Undefined();
}

// relu(x Float32Array, y Float32Array of the same length)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  float* y = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW(relu_f32, x, n, y);
  return env.Undefined();
}

// clip(x Float32Array, lo, hi, sequential (bool), y Float32Array of the same length)
Napi::Value Clip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  const float lo = static_cast<float>(info[1].As<Napi::Number>().DoubleValue()), hi = static_cast<float>(info[2].As<Napi::Number>().DoubleValue());
  float* y = array_data<float>(env, info[4], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW(clip_f32, x, n, lo, hi, info[3].ToBoolean().Value(), y);
  return env.Undefined();
}

// erf(x Float32Array, y Float32Array of the same length)
Napi::Value Erf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  float* y = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW512(erf_f32, x, n, y);
  return env.Undefined();
}

// castI32F32(x Int32Array, y Float32Array of the same length): y = float(x), nearest even
Napi::Value CastI32F32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected an Int32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const int32_t* x = array_data<int32_t>(env, info[0], napi_int32_array, napi_int32_array, n, "x");
  float* y = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW(cast_i32_f32, x, n, y);
  return env.Undefined();
}

// An 8-bit output with its per-tensor quantization: y (Uint8Array | Int8Array of n), yScale, yZeroPoint at info[i..i+2].
struct Q8Out {
  uint8_t* y;
  bool sign;
  float scale;
  uint8_t zp;
};
Q8Out q8_out(const Napi::CallbackInfo& info, int i, size_t n) {
  Napi::Env env = info.Env();
  Q8Out o;
  o.sign = info[i].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  o.y = array_data<uint8_t>(env, info[i], napi_uint8_array, napi_int8_array, n, "y");
  o.scale = info[i + 1].As<Napi::Number>().FloatValue();
  const int zp = info[i + 2].As<Napi::Number>().Int32Value();
  if (zp < (o.sign ? -128 : 0) || zp > (o.sign ? 127 : 255)) throw Napi::RangeError::New(env, "zeroPoint: outside the output type");
  o.zp = static_cast<uint8_t>(zp);
  return o;
}

// gelu(x Float32Array, c1, div (bool), c2, c3, scaleFirst (bool), y Float32Array of the same length):
// a = erf(x op c1) + c2, y = scaleFirst ? (x * c3) * a : (x * a) * c3
// gelu(..., y Uint8Array | Int8Array of the same length, scale, zeroPoint): the same GELU, then quantizeLinear per
// tensor (lowbit.QGeluErf), 1024 values at a time through a stack buffer: bit-identical to gelu then quantizeLinear.
// A trailing pool (after y, or after zeroPoint) splits either form over its threads in whole 1024-value chunks.
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  const float c1 = info[1].As<Napi::Number>().FloatValue();
  const bool div = info[2].ToBoolean().Value();
  const float c2 = info[3].As<Napi::Number>().FloatValue(), c3 = info[4].As<Napi::Number>().FloatValue();
  const bool scale_first = info[5].ToBoolean().Value();
  // Element-wise: pieces of whole 1024-value chunks over the pool (split_rows), the same bytes for any split.
  const size_t chunks = (n + 1023) / 1024;
  if (info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    const Q8Out q = q8_out(info, 6, n);
    split_rows(optional_pool(info, 9), chunks, 1024, [&](size_t k0, size_t k1) {
      float buf[1024];
      for (size_t i = k0 * 1024; i < n && i < k1 * 1024; i += 1024) {
        const size_t m = n - i < 1024 ? n - i : 1024;
        LOWBIT_EW512(gelu_f32, x + i, m, c1, div, c2, c3, scale_first, buf);
        LOWBIT_EW512(quantize_linear, buf, &q.scale, &q.zp, q.sign, 1, 1, m, false, q.y + i);
      }
    });
    return env.Undefined();
  }
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, n, "y");
  split_rows(optional_pool(info, 7), chunks, 1024, [&](size_t k0, size_t k1) {
    const size_t i0 = k0 * 1024, i1 = k1 * 1024 < n ? k1 * 1024 : n;
    LOWBIT_EW512(gelu_f32, x + i0, i1 - i0, c1, div, c2, c3, scale_first, y + i0);
  });
  return env.Undefined();
}

// exp(x Float32Array, n, y Float32Array): y[i] = float(exp(double(x[i]))) for i < n
Napi::Value Exp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 1, "n");
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  float* y = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW512(exp_f32, x, n, y);
  return env.Undefined();
}

// copyRuns(dst TypedArray, d, dStep, src TypedArray, s, sStep, run, count), all in bytes: run c is
// src[s + c*sStep, + run) to dst[d + c*dStep, + run). Every run must lie inside both arrays (steps may be negative).
Napi::Value CopyRuns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || !info[3].IsTypedArray()) throw Napi::TypeError::New(env, "dst, src: expected typed arrays");
  Napi::TypedArray dt = info[0].As<Napi::TypedArray>(), st = info[3].As<Napi::TypedArray>();
  auto num = [&](size_t i, const char* what) -> int64_t {
    if (!info[i].IsNumber()) throw Napi::TypeError::New(env, std::string(what) + ": expected a number");
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= -9007199254740991.0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      throw Napi::RangeError::New(env, std::string(what) + ": expected an integer");
    return static_cast<int64_t>(v);
  };
  const int64_t d = num(1, "d"), ds = num(2, "dStep"), s = num(4, "s"), ss = num(5, "sStep"), run = num(6, "run"), count = num(7, "count");
  if (run < 0 || count < 0) throw Napi::RangeError::New(env, "run, count: expected >= 0");
  if (run == 0 || count == 0) return env.Undefined();
  auto inside = [&](int64_t start, int64_t step, size_t len, const char* what) {
    const int64_t last = start + step * (count - 1);
    if (start < 0 || last < 0 || start + run > static_cast<int64_t>(len) || last + run > static_cast<int64_t>(len))
      throw Napi::RangeError::New(env, std::string(what) + ": runs outside the array");
  };
  inside(d, ds, dt.ByteLength(), "dst");
  inside(s, ss, st.ByteLength(), "src");
  uint8_t* dp = static_cast<uint8_t*>(dt.ArrayBuffer().Data()) + dt.ByteOffset() + d;
  const uint8_t* sp = static_cast<const uint8_t*>(st.ArrayBuffer().Data()) + st.ByteOffset() + s;
  copy_runs(dp, ds, sp, ss, static_cast<size_t>(run), static_cast<size_t>(count));
  return env.Undefined();
}

// softmax(x Float32Array, rows, n, y Float32Array [, pool]): softmax over the last axis of a [rows, n] view (split_rows)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int rows = int_arg(info, 1, "rows"), n = int_arg(info, 2, "n");
  const size_t total = static_cast<size_t>(rows) * n;
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, total, "x");
  float* y = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, total, "y");
  split_rows(optional_pool(info, 4), rows, n, [&](size_t r0, size_t r1) {
    LOWBIT_EW512(softmax_f32, x + r0 * n, r1 - r0, n, y + r0 * n);
  });
  return env.Undefined();
}

const float* optional_f32(const Napi::Env& env, const Napi::Value& v, size_t need, const char* what) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return array_data<float>(env, v, napi_float32_array, napi_float32_array, need, what);
}

// layerNorm(x, outer, inner, scale (inner), bias (inner) | null, eps, y, mean (outer) | null, inv (outer) | null [, pool])
// (pool at 9 in either form; split_rows)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int outer = int_arg(info, 1, "outer"), inner = int_arg(info, 2, "inner");
  const size_t total = static_cast<size_t>(outer) * inner;
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, total, "x");
  const float* scale = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, inner, "scale");
  const float* bias = optional_f32(env, info[4], inner, "bias");
  if (!info[5].IsNumber()) throw Napi::TypeError::New(env, "epsilon: expected a number");
  const double eps = info[5].As<Napi::Number>().DoubleValue();
  if (info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    // y Uint8Array | Int8Array, then yScale, yZeroPoint (lowbit.QLayerNorm): rows normalized into a stack buffer, then
    // quantizeLinear per tensor over them; bit-identical to layerNorm then quantizeLinear.
    // Pieces of whole rows over the pool (split_rows): every row normalized and quantized alike for any split.
    const Q8Out q = q8_out(info, 6, total);
    split_rows(optional_pool(info, 9), outer, inner, [&](size_t p0, size_t p1) {
      constexpr size_t kBuf = 8192;
      float stack[kBuf];
      std::unique_ptr<float[]> heap(static_cast<size_t>(inner) * 8 > kBuf ? new float[static_cast<size_t>(inner) * 8] : nullptr);
      float* buf = heap ? heap.get() : stack;
      const size_t rows = heap ? 8 : kBuf / inner;
      for (size_t r = p0; r < p1; r += rows) {
        const size_t k = p1 - r < rows ? p1 - r : rows;
        LOWBIT_EW(layer_norm_f32, x + r * inner, k, inner, scale, bias, eps, buf, nullptr, nullptr);
        LOWBIT_EW512(quantize_linear, buf, &q.scale, &q.zp, q.sign, 1, 1, k * inner, false, q.y + r * inner);
      }
    });
    return env.Undefined();
  }
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, total, "y");
  float* mean = const_cast<float*>(optional_f32(env, info[7], outer, "mean"));
  float* inv = const_cast<float*>(optional_f32(env, info[8], outer, "invStdDev"));
  split_rows(optional_pool(info, 9), outer, inner, [&](size_t r0, size_t r1) {
    LOWBIT_EW(layer_norm_f32, x + r0 * inner, r1 - r0, inner, scale, bias, eps, y + r0 * inner, mean ? mean + r0 : nullptr, inv ? inv + r0 : nullptr);
  });
  return env.Undefined();
}

// Output dims (Int32Array, rank <= 8), per-axis element strides of one or two inputs (Int32Array each); checks that
// every input element read lies inside its array.
struct Walk {
  int rank = 0;
  int32_t dims[8];
  size_t total = 1;
};
Walk walk_of(const Napi::Env& env, const Napi::Value& v) {
  Walk w;
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "dims: expected an Int32Array");
  w.rank = static_cast<int>(v.As<Napi::TypedArray>().ElementLength());
  if (w.rank > 8) throw Napi::RangeError::New(env, "dims: rank above 8");
  const int32_t* d = array_data<int32_t>(env, v, napi_int32_array, napi_int32_array, w.rank, "dims");
  for (int k = 0; k < w.rank; k++) {
    if (d[k] < 0) throw Napi::RangeError::New(env, "dims: negative");
    w.dims[k] = d[k];
    w.total *= static_cast<size_t>(d[k]);
  }
  return w;
}
void strides_of(const Napi::Env& env, const Napi::Value& v, const Walk& w, size_t len, int64_t* out, const char* what) {
  const int32_t* s = array_data<int32_t>(env, v, napi_int32_array, napi_int32_array, w.rank, what);
  int64_t hi = 0;
  for (int k = 0; k < w.rank; k++) {
    if (s[k] < 0) throw Napi::RangeError::New(env, std::string(what) + ": negative");
    out[k] = s[k];
    if (w.dims[k] > 0) hi += static_cast<int64_t>(s[k]) * (w.dims[k] - 1);
  }
  if (w.total > 0 && static_cast<size_t>(hi) >= len) throw Napi::RangeError::New(env, std::string(what) + ": reads past the input");
}

/**
 * Splits a walk over the pool by its outermost output axis (split_rows, kGrainCheap; 64-index steps of it when it is
 * the only axis): fn(first output element, first index of axis 0, dims with axis 0 cut to the piece) for each piece,
 * which reads its inputs from that index's offset. Every element computed as by the whole walk, for any split.
 */
template <class F>
void split_walk(ThreadPool* pool, const Walk& w, const F& fn) {
  if (w.rank == 0 || w.total == 0) {
    int32_t dims[8];
    std::memcpy(dims, w.dims, sizeof(dims));
    fn(0, 0, dims);
    return;
  }
  const size_t d0 = static_cast<size_t>(w.dims[0]), inner = w.total / d0, step = w.rank == 1 ? 64 : 1;
  split_rows(pool, (d0 + step - 1) / step, inner * step, [&](size_t k0, size_t k1) {
    const size_t r0 = k0 * step, r1 = k1 * step < d0 ? k1 * step : d0;
    int32_t dims[8];
    std::memcpy(dims, w.dims, sizeof(dims));
    dims[0] = static_cast<int32_t>(r1 - r0);
    fn(r0 * inner, r0, dims);
  }, kGrainCheap);
}

// transpose(x TypedArray, dims Int32Array, strides Int32Array, y TypedArray of x's type and dims' product elements
// [, pool]) (split_walk)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || !info[3].IsTypedArray()) throw Napi::TypeError::New(env, "x, y: expected typed arrays");
  Napi::TypedArray xt = info[0].As<Napi::TypedArray>(), yt = info[3].As<Napi::TypedArray>();
  if (xt.TypedArrayType() != yt.TypedArrayType()) throw Napi::TypeError::New(env, "y: not of x's type");
  const int esize = static_cast<int>(xt.ElementSize());
  if (esize != 1 && esize != 2 && esize != 4 && esize != 8) throw Napi::TypeError::New(env, "x: unsupported element size");
  const Walk w = walk_of(env, info[1]);
  int64_t st[8];
  strides_of(env, info[2], w, xt.ElementLength(), st, "strides");
  if (yt.ElementLength() < w.total) throw Napi::RangeError::New(env, "y: too short");
  const uint8_t* x = static_cast<const uint8_t*>(xt.ArrayBuffer().Data()) + xt.ByteOffset();
  uint8_t* y = static_cast<uint8_t*>(yt.ArrayBuffer().Data()) + yt.ByteOffset();
  split_walk(optional_pool(info, 4), w, [&](size_t i0, size_t o0, int32_t* dims) {
    LOWBIT_EW(transpose, x + o0 * st[0] * esize, esize, w.rank, dims, st, y + i0 * esize);
  });
  return env.Undefined();
}

// binary(op 0..3, a Float32Array, b Float32Array, y Float32Array, dims Int32Array, sa Int32Array, sb Int32Array [, pool])
// (split_walk)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = int_arg(info, 0, "op");
  if (op < 0 || op > 3) throw Napi::RangeError::New(env, "op: expected 0..3");
  const Walk w = walk_of(env, info[4]);
  if (!info[1].IsTypedArray() || !info[2].IsTypedArray()) throw Napi::TypeError::New(env, "a, b: expected Float32Arrays");
  int64_t sa[8], sb[8];
  strides_of(env, info[5], w, info[1].As<Napi::TypedArray>().ElementLength(), sa, "sa");
  strides_of(env, info[6], w, info[2].As<Napi::TypedArray>().ElementLength(), sb, "sb");
  const float* a = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, 0, "a");
  const float* b = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, 0, "b");
  float* y = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, w.total, "y");
  split_walk(optional_pool(info, 7), w, [&](size_t i0, size_t o0, int32_t* dims) {
    LOWBIT_EW(binary_f32, op, a + o0 * sa[0], b + o0 * sb[0], y + i0, w.rank, dims, sa, sb);
  });
  return env.Undefined();
}

// dynamicQuantizeLinear(x Float32Array, y Uint8Array, scale Float32Array(1), zp Uint8Array(1)) -> false when the
// input is empty or not finite (nothing written)
Napi::Value DynamicQuantizeLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  uint8_t* y = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_uint8_array, n, "y");
  float* s = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, 1, "scale");
  uint8_t* z = array_data<uint8_t>(env, info[3], napi_uint8_array, napi_uint8_array, 1, "zero_point");
  ThreadPool* pool = info.Length() > 4 ? pool_arg(info, 4) : nullptr;
  return Napi::Boolean::New(env, dynamic_quantize_pooled(pool, x, n, y, s, z));
}

// quantizeLinearRanged(x Float32Array, y Uint8Array, range Float32Array(3), scale Float32Array(1), zp Uint8Array(1)
//                      [, pool]): DynamicQuantizeLinear of x whose range a float-output convolution gathered (its
// RangeOut, [lo, hi, 1]); false (nothing written) when range[2] is not 1 or x is empty: run dynamicQuantizeLinear.
Napi::Value QuantizeLinearRanged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  uint8_t* y = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_uint8_array, n, "y");
  const float* r = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, 3, "range");
  float* s = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, 1, "scale");
  uint8_t* z = array_data<uint8_t>(env, info[4], napi_uint8_array, napi_uint8_array, 1, "zero_point");
  if (n == 0 || r[2] != 1.0f || !(r[0] <= 0.0f && r[1] >= 0.0f && r[0] - r[0] == 0.0f && r[1] - r[1] == 0.0f)) return Napi::Boolean::New(env, false);
  dynamic_quantize_ranged(optional_pool(info, 5), x, n, r[0], r[1], y, s, z);
  return Napi::Boolean::New(env, true);
}

}  // namespace

void register_qdq(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeLinear", Napi::Function::New(env, QuantizeLinear));
  exports.Set("dequantizeLinear", Napi::Function::New(env, DequantizeLinear));
  exports.Set("dequantizeBias", Napi::Function::New(env, DequantizeBias));
  exports.Set("relu", Napi::Function::New(env, Relu));
  exports.Set("clip", Napi::Function::New(env, Clip));
  exports.Set("erf", Napi::Function::New(env, Erf));
  exports.Set("castI32F32", Napi::Function::New(env, CastI32F32));
  exports.Set("gelu", Napi::Function::New(env, Gelu));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("exp", Napi::Function::New(env, Exp));
  exports.Set("copyRuns", Napi::Function::New(env, CopyRuns));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("dynamicQuantizeLinear", Napi::Function::New(env, DynamicQuantizeLinear));
  exports.Set("quantizeLinearRanged", Napi::Function::New(env, QuantizeLinearRanged));
}

}  // namespace lowbit
