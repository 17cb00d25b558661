// N-API binding: depthwise convolutions, the dynamic-int8 epilogue (scaleAccumulators), MaxPool and GlobalAveragePool.
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "addon_util.h"
#include "dwconv.h"
#include "elementwise.h"
#include "pool.h"
#include "qdq.h"

namespace lowbit {
namespace {

// maxPool(x Float32Array | Uint8Array | Int8Array, planes, geometry Int32Array(18), y of x's type): see pool.h
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a typed array");
  const size_t planes = int_arg(info, 1, "planes");
  const int32_t* g = array_data<int32_t>(env, info[2], napi_int32_array, napi_int32_array, 18, "geometry");
  for (int i = 0; i < 18; i++)
    if (g[i] < 0 || (i < 15 && i >= 6 && g[i] == 0)) throw Napi::RangeError::New(env, "geometry: bad value");
  const size_t in_n = planes * g[0] * g[1] * g[2], out_n = planes * g[3] * g[4] * g[5];
  const napi_typedarray_type t = info[0].As<Napi::TypedArray>().TypedArrayType();
  if (t == napi_float32_array) {
    LOWBIT_EW(max_pool_f32, array_data<float>(env, info[0], t, t, in_n, "x"), planes, g, array_data<float>(env, info[3], t, t, out_n, "y"));
  } else if (t == napi_uint8_array) {
    LOWBIT_EW(max_pool_u8, array_data<uint8_t>(env, info[0], t, t, in_n, "x"), planes, g, array_data<uint8_t>(env, info[3], t, t, out_n, "y"));
  } else if (t == napi_int8_array) {
    LOWBIT_EW(max_pool_i8, array_data<int8_t>(env, info[0], t, t, in_n, "x"), planes, g, array_data<int8_t>(env, info[3], t, t, out_n, "y"));
  } else {
    throw Napi::TypeError::New(env, "x: expected a Float32Array, Uint8Array or Int8Array");
  }
  return env.Undefined();
}

/** The integer depthwise operands both dwConv calls take: X at 2, batch 3, geometry 4, W 5, M 6, xZeroPoint 7, zw 8. */
struct DwOperands {
  int batch = 0, M = 0;
  bool xs = false, ws = false;
  ConvGeom g{};
  const uint8_t* X = nullptr;
  const uint8_t* W = nullptr;
  int32_t xzp = 0;
  int32_t zw1[1] = {0};  // a per-tensor weight zero point (zwp points here unless zw has M values)
  const int32_t* zwp = nullptr;
  int zwn = 1;
  std::vector<int32_t> zbuf;
};
void dw_operands(const Napi::CallbackInfo& info, const char* op, DwOperands& d) {
  Napi::Env env = info.Env();
  d.batch = int_arg(info, 3, "batch");
  d.M = int_arg(info, 6, "M");
  if (!info[2].IsTypedArray() || !info[5].IsTypedArray()) throw Napi::TypeError::New(env, "X, W: expected typed arrays");
  d.xs = info[2].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  d.ws = info[5].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  const size_t xlen = info[2].As<Napi::TypedArray>().ElementLength();
  const int32_t* gp = array_data<int32_t>(env, info[4], napi_int32_array, napi_int32_array, 13, "geometry");
  const int taps = gp[3] * gp[4];
  d.g = geom_arg(env, info[4], gp[0] * taps, d.batch, xlen);
  if (d.M < 1 || d.M % d.g.C != 0) throw Napi::RangeError::New(env, std::string(op) + ": M must be a positive multiple of C");
  d.X = array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, 0, "X");
  d.W = array_data<uint8_t>(env, info[5], napi_uint8_array, napi_int8_array, static_cast<size_t>(d.M) * taps, "W");
  d.xzp = info[7].As<Napi::Number>().Int32Value();
  d.zwp = d.zw1;
  zpoint(env, info[8], d.M, "w_zero_point", d.zw1, d.zwp, d.zwn, d.zbuf);
}

// dwConv(kernel 'scalar-c' | 'avx2', pool, X (Uint8Array | Int8Array), batch, geometry Int32Array(13) (C = X's channels), W (Uint8Array | Int8Array,
//        M*KH*KW), M, xZeroPoint, zw (1 or M) | null, mult Float32Array (1 or M) | null, yZeroPoint,
//        Y (Int32Array when mult is null, else Uint8Array | Int8Array), bias Int32Array (M) | null)
// Depthwise-style convolution (one input channel per group, M a multiple of C), see dwconv.h.
Napi::Value DwConv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kernel = info[0].As<Napi::String>().Utf8Value();
  auto* fn = &dwconv;
#if defined(__x86_64__)
  if (kernel == "avx2") {
    if (!use_avx2()) throw Napi::Error::New(env, "dwConv: avx2 is not available on this CPU");  // CPUID once (a VM exit per call otherwise)
    // identical results: 16 lanes where the CPU has them, vpdpbusd on byte quads with AVX512-VNNI
    fn = use_avx512vnni() ? &dwconv_avx512vnni : use_avx512() ? &dwconv_avx512 : &dwconv_avx2;
  } else
#endif
  if (kernel != "scalar-c") throw Napi::Error::New(env, "dwConv: unknown kernel \"" + kernel + "\"");
  DwOperands d;
  dw_operands(info, "dwConv", d);
  const int batch = d.batch, M = d.M;
  const ConvGeom& g = d.g;
  const size_t ylen = static_cast<size_t>(batch) * M * g.OH * g.OW;
  if (info[9].IsNull() || info[9].IsUndefined()) {
    int32_t* Y = array_data<int32_t>(env, info[11], napi_int32_array, napi_int32_array, ylen, "Y");
    fn(pool_arg(info, 1), d.X, d.xs, d.W, d.ws, batch, M, g, d.xzp, d.zwp, d.zwn, Y, nullptr, nullptr, nullptr);
    return env.Undefined();
  }
  const size_t mn = info[9].As<Napi::TypedArray>().ElementLength();
  if (mn != 1 && mn != static_cast<size_t>(M)) throw Napi::RangeError::New(env, "mult: expected 1 or M values");
  const float* mult = array_data<float>(env, info[9], napi_float32_array, napi_float32_array, mn, "mult");
  const int32_t yzp = info[10].As<Napi::Number>().Int32Value();
  const bool ys = info[11].IsTypedArray() && info[11].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  uint8_t* Y = array_data<uint8_t>(env, info[11], napi_uint8_array, napi_int8_array, ylen, "Y");
  const int32_t* bias = info[12].IsNull() || info[12].IsUndefined() ? nullptr : array_data<int32_t>(env, info[12], napi_int32_array, napi_int32_array, M, "bias");
  const Requant r{mult, static_cast<int>(mn), yzp, ys, nullptr, bias};
  fn(pool_arg(info, 1), d.X, d.xs, d.W, d.ws, batch, M, g, d.xzp, d.zwp, d.zwn, nullptr, &r, Y, nullptr);
  return env.Undefined();
}

// new DwConvBound(kernel 'scalar-c' | 'avx2', geometry Int32Array(13), W (Uint8Array | Int8Array, M*KH*KW), M,
//                 xZeroPoint, zw (1 or M) | null, mult Float32Array (1 or M), yZeroPoint, bias Int32Array (M) | null)
// dwConv's requantizing form with every per-session operand checked and copied once (W included); then
// run(pool, X (Uint8Array | Int8Array), batch, Y (Uint8Array | Int8Array)) checks only X and Y against the geometry.
class DwConvBound : public Napi::ObjectWrap<DwConvBound> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineClass(env, "DwConvBound", {InstanceMethod("run", &DwConvBound::Run)}); }
  explicit DwConvBound(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DwConvBound>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "kernel: expected a string");
    const std::string kernel = info[0].As<Napi::String>().Utf8Value();
    fn_ = &dwconv;
#if defined(__x86_64__)
    if (kernel == "avx2") {
      if (!use_avx2()) throw Napi::Error::New(env, "DwConvBound: avx2 is not available on this CPU");
      fn_ = use_avx512vnni() ? &dwconv_avx512vnni : use_avx512() ? &dwconv_avx512 : &dwconv_avx2;
    } else
#endif
    if (kernel != "scalar-c") throw Napi::Error::New(env, "DwConvBound: unknown kernel \"" + kernel + "\"");
    M_ = int_arg(info, 3, "M");
    const int32_t* gp = array_data<int32_t>(env, info[1], napi_int32_array, napi_int32_array, 13, "geometry");
    const int taps = gp[3] * gp[4];
    g_ = geom_arg(env, info[1], gp[0] * taps, 0, 0);
    if (M_ < 1 || M_ % g_.C != 0) throw Napi::RangeError::New(env, "DwConvBound: M must be a positive multiple of C");
    if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "W: expected a typed array");
    ws_ = info[2].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const size_t wn = static_cast<size_t>(M_) * taps;
    const uint8_t* W = array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, wn, "W");
    w_.assign(W, W + wn);
    if (!info[4].IsNumber() || !info[7].IsNumber()) throw Napi::TypeError::New(env, "xZeroPoint, yZeroPoint: expected numbers");
    xzp_ = info[4].As<Napi::Number>().Int32Value();
    yzp_ = info[7].As<Napi::Number>().Int32Value();
    int32_t zw1[1] = {0};
    const int32_t* zwp = zw1;
    int zwn = 1;
    std::vector<int32_t> zbuf;
    zpoint(env, info[5], M_, "w_zero_point", zw1, zwp, zwn, zbuf);
    zw_.assign(zwp, zwp + zwn);
    if (!info[6].IsTypedArray()) throw Napi::TypeError::New(env, "mult: expected a Float32Array");
    const size_t mn = info[6].As<Napi::TypedArray>().ElementLength();
    if (mn != 1 && mn != static_cast<size_t>(M_)) throw Napi::RangeError::New(env, "mult: expected 1 or M values");
    const float* mult = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, mn, "mult");
    mult_.assign(mult, mult + mn);
    if (!info[8].IsNull() && !info[8].IsUndefined()) {
      const int32_t* bias = array_data<int32_t>(env, info[8], napi_int32_array, napi_int32_array, M_, "bias");
      bias_.assign(bias, bias + M_);
    }
    dw_row_weights(w_.data(), ws_, M_, g_.KH, g_.KW, zw_.data(), static_cast<int>(zw_.size()), rw_);
  }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int batch = int_arg(info, 2, "batch");
    bool xs = false, ys = false;
    const uint8_t* X = bytes_arg(env, info[1], static_cast<size_t>(batch) * g_.C * g_.H * g_.W, "X", &xs);
    uint8_t* Y = bytes_arg(env, info[3], static_cast<size_t>(batch) * M_ * g_.OH * g_.OW, "Y", &ys);
    const Requant r{mult_.data(), static_cast<int>(mult_.size()), yzp_, ys, nullptr, bias_.empty() ? nullptr : bias_.data()};
    fn_(pool_arg(info, 0), X, xs, w_.data(), ws_, batch, M_, g_, xzp_, zw_.data(), static_cast<int>(zw_.size()), nullptr, &r, Y, rw_.empty() ? nullptr : &rw_);
    return env.Undefined();
  }
  decltype(&dwconv) fn_ = nullptr;
  int M_ = 0;
  ConvGeom g_{};
  bool ws_ = false;
  int32_t xzp_ = 0, yzp_ = 0;
  std::vector<uint8_t> w_;
  std::vector<int32_t> zw_, bias_;
  std::vector<float> mult_;
  DwRowWeights rw_;  // the row path's words of w_, built once
};

// new DwConvScaledBound(kernel 'scalar-c' | 'avx2', geometry Int32Array(13), W (Uint8Array | Int8Array, M*KH*KW), M,
//                       zw (1 or M) | null, wScale (number), bias Float32Array (M) | null[, activation kind, lo, hi, p, q])
// lowbit.DynamicQConv's depthwise form with every per-session operand checked and copied once; then
// runDynamicConv(pool, X Float32Array, batch, Y Float32Array[, range Float32Array(3)]) -> false (nothing written) for an empty
// or non-finite X: (x_q, x_s, x_zp) = DynamicQuantizeLinear(X) into the object's buffer, then dwConvScaled with scale
// fround(x_s * wScale) (and its range: RangeOut, addon_util.h).
class DwConvScaledBound : public Napi::ObjectWrap<DwConvScaledBound> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DwConvScaledBound", {InstanceMethod("runDynamicConv", &DwConvScaledBound::Run), InstanceMethod("runDynamicConvQ", &DwConvScaledBound::RunQ)});
  }
  explicit DwConvScaledBound(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DwConvScaledBound>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "kernel: expected a string");
    const std::string kernel = info[0].As<Napi::String>().Utf8Value();
    fn_ = &dwconv_scaled;
#if defined(__x86_64__)
    if (kernel == "avx2") {
      if (!use_avx2()) throw Napi::Error::New(env, "DwConvScaledBound: avx2 is not available on this CPU");
      fn_ = use_avx512vnni() ? &dwconv_scaled_avx512vnni : use_avx512() ? &dwconv_scaled_avx512 : &dwconv_scaled_avx2;
    } else
#endif
    if (kernel != "scalar-c") throw Napi::Error::New(env, "DwConvScaledBound: unknown kernel \"" + kernel + "\"");
    M_ = int_arg(info, 3, "M");
    const int32_t* gp = array_data<int32_t>(env, info[1], napi_int32_array, napi_int32_array, 13, "geometry");
    const int taps = gp[3] * gp[4];
    g_ = geom_arg(env, info[1], gp[0] * taps, 0, 0);
    if (M_ < 1 || M_ % g_.C != 0) throw Napi::RangeError::New(env, "DwConvScaledBound: M must be a positive multiple of C");
    if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "W: expected a typed array");
    ws_ = info[2].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const size_t wn = static_cast<size_t>(M_) * taps;
    const uint8_t* W = array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, wn, "W");
    w_.assign(W, W + wn);
    int32_t zw1[1] = {0};
    const int32_t* zwp = zw1;
    int zwn = 1;
    std::vector<int32_t> zbuf;
    zpoint(env, info[4], M_, "w_zero_point", zw1, zwp, zwn, zbuf);
    zw_.assign(zwp, zwp + zwn);
    if (!info[5].IsNumber()) throw Napi::TypeError::New(env, "wScale: expected a number");
    wscale_ = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
    if (!info[6].IsNull() && !info[6].IsUndefined()) {
      const float* bias = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, M_, "bias");
      bias_.assign(bias, bias + M_);
    }
    act_ = float_act_arg(info, 7);
    dw_row_weights(w_.data(), ws_, M_, g_.KH, g_.KW, zw_.data(), static_cast<int>(zw_.size()), rw_);
  }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int batch = int_arg(info, 2, "batch");
    const size_t n = static_cast<size_t>(batch) * g_.C * g_.H * g_.W;
    const float* X = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "X");
    ThreadPool* pool = pool_arg(info, 0);
    // x_q in the calling thread's scratch (consumed within this call)
    uint8_t* xq = static_cast<uint8_t*>(thread_scratch(kScratchQuant, n));
    float xs = 0.0f;
    uint8_t xz = 0;
    if (n == 0 || !dynamic_quantize_pooled(pool, X, n, xq, &xs, &xz)) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, bound_conv(info, pool, xq, xs, xz, batch, 3));
  }
  // runDynamicConvQ(pool, Xq Uint8Array, xScale, xZeroPoint, batch, Y[, range[, Yq, yScale, yZeroPoint]]): the
  // quantized-input form (no DynamicQuantizeLinear of its own), as QGemm.runDynamicConvQ
  Napi::Value RunQ(const Napi::CallbackInfo& info) {
    const int batch = int_arg(info, 4, "batch");
    const QuantIn in(info, 1, static_cast<size_t>(batch) * g_.C * g_.H * g_.W);
    return Napi::Boolean::New(info.Env(), bound_conv(info, pool_arg(info, 0), in.x, in.scale, in.zp, batch, 5));
  }
  // dwConvScaled of x_q into Y = info[yi] with range (info[yi + 1]) and the quantizing tail (QuantOut, yi + 2 ..)
  bool bound_conv(const Napi::CallbackInfo& info, ThreadPool* pool, const uint8_t* xq, float xs, int32_t xz, int batch, size_t yi) {
    const size_t ny = static_cast<size_t>(batch) * M_ * g_.OH * g_.OW;
    DwScaled f;
    f.Y = array_data<float>(info.Env(), info[yi], napi_float32_array, napi_float32_array, ny, "Y");
    RangeOut range(info, yi + 1);
    QuantOut qo(info, yi + 2, ny);
    f.scale = xs * wscale_;  // float32 product, as fround(x_s * w_s)
    f.bias = bias_.empty() ? nullptr : bias_.data();
    f.act = act_;
    f.range = qo.present() ? &qo.sink : range.get();
    f.rw = rw_.empty() ? nullptr : &rw_;
    fn_(pool, xq, false, w_.data(), ws_, batch, M_, g_, xz, zw_.data(), static_cast<int>(zw_.size()), f);
    if (qo.present()) return qo.run(pool, f.Y, ny);
    range.write();
    return true;
  }
  decltype(&dwconv_scaled) fn_ = nullptr;
  int M_ = 0;
  ConvGeom g_{};
  bool ws_ = false;
  float wscale_ = 0.0f;
  FloatAct act_{};
  std::vector<uint8_t> w_;
  std::vector<int32_t> zw_;
  std::vector<float> bias_;
  DwRowWeights rw_;  // the row path's words of w_, built once
};

// dwConvScaled(kernel 'scalar-c' | 'avx2', pool, X (Uint8Array | Int8Array), batch, geometry Int32Array(13), W (M*KH*KW bytes), M,
//              xZeroPoint, zw (1 or M) | null, scale, bias Float32Array (M) | null, Y Float32Array, activation kind, lo, hi, p, q
//              [, range Float32Array(3)])
// The depthwise integer convolution with lowbit.DynamicQConv's float epilogue in its own pass (dwconv.h DwScaled); range:
// RangeOut (addon_util.h).
Napi::Value DwConvScaled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kernel = info[0].As<Napi::String>().Utf8Value();
  auto* fn = &dwconv_scaled;
#if defined(__x86_64__)
  if (kernel == "avx2") {
    if (!use_avx2()) throw Napi::Error::New(env, "dwConvScaled: avx2 is not available on this CPU");
    fn = use_avx512vnni() ? &dwconv_scaled_avx512vnni : use_avx512() ? &dwconv_scaled_avx512 : &dwconv_scaled_avx2;
  } else
#endif
  if (kernel != "scalar-c") throw Napi::Error::New(env, "dwConvScaled: unknown kernel \"" + kernel + "\"");
  DwOperands d;
  dw_operands(info, "dwConvScaled", d);
  const int batch = d.batch, M = d.M;
  const ConvGeom& g = d.g;
  DwScaled f;
  f.scale = static_cast<float>(info[9].As<Napi::Number>().DoubleValue());
  f.bias = info[10].IsNull() || info[10].IsUndefined() ? nullptr : array_data<float>(env, info[10], napi_float32_array, napi_float32_array, M, "bias");
  f.Y = array_data<float>(env, info[11], napi_float32_array, napi_float32_array, static_cast<size_t>(batch) * M * g.OH * g.OW, "Y");
  f.act = float_act_arg(info, 12);
  RangeOut range(info, 17);
  f.range = range.get();
  fn(pool_arg(info, 1), d.X, d.xs, d.W, d.ws, batch, M, g, d.xzp, d.zwp, d.zwn, f);
  range.write();
  return env.Undefined();
}

// dwConvF(kernel 'scalar-c' | 'avx2', pool, X Float32Array, batch, geometry Int32Array(13) (C = X's channels),
//         W Float32Array (M*KH*KW, at most 256 taps), M, bias Float32Array (M) | null, Y Float32Array)
// Depthwise-style Conv:f32, see dwconv.h.
Napi::Value DwConvF(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kernel = info[0].As<Napi::String>().Utf8Value();
  auto* fn = &dwconv_f32;
#if defined(__x86_64__)
  if (kernel == "avx2") {
    if (!use_avx2()) throw Napi::Error::New(env, "dwConvF: avx2 is not available on this CPU");
    fn = use_avx512() ? &dwconv_f32_avx512 : &dwconv_f32_avx2;
  } else
#endif
  if (kernel != "scalar-c") throw Napi::Error::New(env, "dwConvF: unknown kernel \"" + kernel + "\"");
  const int batch = int_arg(info, 3, "batch"), M = int_arg(info, 6, "M");
  if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a Float32Array");
  const size_t xlen = info[2].As<Napi::TypedArray>().ElementLength();
  const int32_t* gp = array_data<int32_t>(env, info[4], napi_int32_array, napi_int32_array, 13, "geometry");
  const int taps = gp[3] * gp[4];
  const ConvGeom g = geom_arg(env, info[4], gp[0] * taps, batch, xlen);
  if (M < 1 || M % g.C != 0) throw Napi::RangeError::New(env, "dwConvF: M must be a positive multiple of C");
  if (taps > 256) throw Napi::RangeError::New(env, "dwConvF: at most 256 taps");
  const float* X = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, 0, "X");
  const float* W = array_data<float>(env, info[5], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * taps, "W");
  const float* bias = info[7].IsNull() || info[7].IsUndefined() ? nullptr : array_data<float>(env, info[7], napi_float32_array, napi_float32_array, M, "bias");
  float* Y = array_data<float>(env, info[8], napi_float32_array, napi_float32_array, static_cast<size_t>(batch) * M * g.OH * g.OW, "Y");
  fn(pool_arg(info, 1), X, W, batch, M, g, bias, Y);
  return env.Undefined();
}

// scaleAccumulators(acc Int32Array, scale Float32Array (1 or C), bias Float32Array (1 or C) | null, outer, C, inner,
//                   y Float32Array [, activation kind, lo, hi, p, q])   (the dynamic-int8 epilogue, see qdq.h)
Napi::Value ScaleAccumulators(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int outer = int_arg(info, 3, "outer"), C = int_arg(info, 4, "C"), inner = int_arg(info, 5, "inner");
  const size_t n = static_cast<size_t>(outer) * C * inner;
  const int32_t* acc = array_data<int32_t>(env, info[0], napi_int32_array, napi_int32_array, n, "acc");
  if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "scale: expected a Float32Array");
  const size_t sn = info[1].As<Napi::TypedArray>().ElementLength();
  if (sn != 1 && sn != static_cast<size_t>(C)) throw Napi::RangeError::New(env, "scale: expected 1 or C values");
  const float* scale = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, sn, "scale");
  const float* bias = nullptr;
  size_t bn = 0;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "bias: expected a Float32Array");
    bn = info[2].As<Napi::TypedArray>().ElementLength();
    if (bn != 1 && bn != static_cast<size_t>(C)) throw Napi::RangeError::New(env, "bias: expected 1 or C values");
    bias = array_data<float>(env, info[2], napi_float32_array, napi_float32_array, bn, "bias");
  }
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, n, "y");
  const FloatAct act = float_act_arg(info, 7);
#if defined(__x86_64__)
  if (use_avx512()) {
    avx512::scale_accumulators(acc, scale, sn != 1, bias, bn != 1, outer, C, inner, y, act);
    return env.Undefined();
  }
#endif
  scale_accumulators(acc, scale, sn != 1, bias, bn != 1, outer, C, inner, y, act);
  return env.Undefined();
}

// globalAvgPool(x Float32Array (rows * plane), rows, plane, y Float32Array (rows))
Napi::Value GlobalAvgPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t rows = int_arg(info, 1, "rows"), plane = int_arg(info, 2, "plane");
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, rows * plane, "x");
  float* y = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, rows, "y");
  LOWBIT_EW(global_avg_pool_f32, x, rows, plane, y);
  return env.Undefined();
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("dwConv", Napi::Function::New(env, DwConv));
  exports.Set("DwConvBound", DwConvBound::Define(env));
  exports.Set("DwConvScaledBound", DwConvScaledBound::Define(env));
  exports.Set("dwConvF", Napi::Function::New(env, DwConvF));
  exports.Set("dwConvScaled", Napi::Function::New(env, DwConvScaled));
  exports.Set("scaleAccumulators", Napi::Function::New(env, ScaleAccumulators));
  exports.Set("globalAvgPool", Napi::Function::New(env, GlobalAvgPool));
}

}  // namespace lowbit
