// N-API binding: QGemm (packed int8 B + workspace: GEMM, requantized / float / dynamic outputs, direct convolution)
// and FGemm (packed float B: GEMM and convolution).
#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "addon_util.h"
#include "qdq.h"

namespace lowbit {
namespace {

// ---- QGemm ------------------------------------------------------------------------------------------------------

class QGemm : public Napi::ObjectWrap<QGemm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "QGemm", {InstanceMethod("run", &QGemm::Run), InstanceMethod("runRequant", &QGemm::RunRequant),
                                      InstanceMethod("runFloat", &QGemm::RunFloat), InstanceMethod("runDynamic", &QGemm::RunDynamic),
                                      InstanceMethod("runConv", &QGemm::RunConv), InstanceMethod("runConvRequant", &QGemm::RunConvRequant), InstanceMethod("runConvScaled", &QGemm::RunConvScaled),
                                      InstanceMethod("runConvScaledQuantize", &QGemm::RunConvScaledQuantize),
                                      InstanceMethod("bindConvRequant", &QGemm::BindConvRequant), InstanceMethod("runConvBound", &QGemm::RunConvBound),
                                      InstanceMethod("bindDynamicConv", &QGemm::BindDynamicConv), InstanceMethod("runDynamicConv", &QGemm::RunDynamicConv), InstanceMethod("runDynamicConvQ", &QGemm::RunDynamicConvQ),
                                      InstanceMethod("dispose", &QGemm::Dispose),
                                      InstanceAccessor("sevenBit", &QGemm::SevenBit, nullptr)});
  }
  // new QGemm(kernel, B (Uint8Array | Int8Array, K*N), K, N, threads)
  explicit QGemm(const Napi::CallbackInfo& info) : Napi::ObjectWrap<QGemm>(info) {
    Napi::Env env = info.Env();
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    k_ = find_q(name);
    const Machine m = machine();
    if (!k_ || !runs(m.isas, k_->needs)) throw Napi::Error::New(env, "QGemm: kernel \"" + name + "\" is not available on this CPU");
    const int K = int_arg(info, 2, "K"), N = int_arg(info, 3, "N"), threads = int_arg(info, 4, "threads");
    Napi::TypedArray b = info[1].As<Napi::TypedArray>();
    const bool bs = b.TypedArrayType() == napi_int8_array;
    const uint8_t* bp = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, static_cast<size_t>(K) * N, "B");
    if (!qpack(*k_, bp, bs, K, N, &packed_)) throw Napi::Error::New(env, "QGemm: kernel \"" + name + "\" needs 7-bit weights (max - min <= 127)");
    ws_ = std::make_unique<Workspace>(k_->scratch_bytes, threads < 1 ? 1 : threads);
  }
  ~QGemm() override { qfree(&packed_); }

 private:
  // run(pool, A (Uint8Array | Int8Array), M, za (same types, 1 or M) | null, zb (1 or N) | null, C Int32Array)
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int M = int_arg(info, 2, "M"), K = packed_.K, N = packed_.N;
    const bool as = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const uint8_t* A = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * K, "A");
    int32_t* C = array_data<int32_t>(env, info[5], napi_int32_array, napi_int32_array, static_cast<size_t>(M) * N, "C");
    const ZeroPoints z(*this, info, M);
    qgemm(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, z.za, z.zan, z.zb, z.zbn, C);
    return env.Undefined();
  }
  // runConv(pool, X, batch, geometry Int32Array(13), xZeroPoint, zw | null, Y Int32Array)   (ConvInteger)
  Napi::Value RunConv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    ConvIn in;
    conv_in(info, in);
    int32_t* Y = array_data<int32_t>(env, info[6], napi_int32_array, napi_int32_array, static_cast<size_t>(in.batch) * packed_.N * in.g.OH * in.g.OW, "Y");
    qconv(pool_arg(info, 0), *ws_, *k_, packed_, in.X, in.xs, in.batch, in.g, in.xzp, in.zwp, in.zwn, Y);
    return env.Undefined();
  }
  // runConvRequant(pool, X, batch, geometry, xZeroPoint, zw | null, mult, yZeroPoint, Y Uint8Array | Int8Array,
  //                bias Int32Array (M) | null)   (QLinearConv)
  Napi::Value RunConvRequant(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    ConvIn in;
    conv_in(info, in);
    const ConvGeom& g = in.g;
    if (!info[6].IsTypedArray()) throw Napi::TypeError::New(env, "mult: expected a Float32Array");
    const size_t mn = info[6].As<Napi::TypedArray>().ElementLength();
    if (mn != 1 && mn != static_cast<size_t>(packed_.N)) throw Napi::RangeError::New(env, "mult: expected 1 or M values");
    const float* mult = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, mn, "mult");
    const int32_t yzp = info[7].As<Napi::Number>().Int32Value();
    const bool ys = info[8].IsTypedArray() && info[8].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    uint8_t* Y = array_data<uint8_t>(env, info[8], napi_uint8_array, napi_int8_array, static_cast<size_t>(in.batch) * packed_.N * g.OH * g.OW, "Y");
    const int32_t* bias = info[9].IsNull() || info[9].IsUndefined() ? nullptr : array_data<int32_t>(env, info[9], napi_int32_array, napi_int32_array, packed_.N, "bias");
    const Requant r{mult, static_cast<int>(mn), yzp, ys, nullptr, bias};
    qconv_requant(pool_arg(info, 0), *ws_, *k_, packed_, in.X, in.xs, in.batch, g, in.xzp, in.zwp, in.zwn, r, Y);
    return env.Undefined();
  }
  // bindConvRequant(geometry, xZeroPoint, zw | null, mult Float32Array (1 or M), yZeroPoint, bias Int32Array (M) | null)
  // Checks and copies runConvRequant's per-session operands into the object once (replacing an earlier binding), for
  // runConvBound.
  Napi::Value BindConvRequant(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    bound_ = false;
    const ConvGeom g = geom_arg(env, info[0], packed_.K, 0, 0);
    if (!info[1].IsNumber() || !info[4].IsNumber()) throw Napi::TypeError::New(env, "xZeroPoint, yZeroPoint: expected numbers");
    const int32_t xzp = info[1].As<Napi::Number>().Int32Value();
    const int32_t yzp = info[4].As<Napi::Number>().Int32Value();
    int32_t zw1[1] = {0};
    const int32_t* zwp = zw1;
    int zwn = 1;
    zpoint(env, info[2], packed_.N, "w_zero_point", zw1, zwp, zwn, zbbuf_);
    if (!info[3].IsTypedArray()) throw Napi::TypeError::New(env, "mult: expected a Float32Array");
    const size_t mn = info[3].As<Napi::TypedArray>().ElementLength();
    if (mn != 1 && mn != static_cast<size_t>(packed_.N)) throw Napi::RangeError::New(env, "mult: expected 1 or M values");
    const float* mult = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, mn, "mult");
    const bool has_bias = !info[5].IsNull() && !info[5].IsUndefined();
    const int32_t* bias = has_bias ? array_data<int32_t>(env, info[5], napi_int32_array, napi_int32_array, packed_.N, "bias") : nullptr;
    bg_ = g;
    bxzp_ = xzp;
    byzp_ = yzp;
    bzw_.assign(zwp, zwp + zwn);
    bmult_.assign(mult, mult + mn);
    if (has_bias) bbias_.assign(bias, bias + packed_.N);
    else bbias_.clear();
    bhas_bias_ = has_bias;
    bound_ = true;
    return env.Undefined();
  }
  // runConvBound(pool, X (Uint8Array | Int8Array), batch, Y (Uint8Array | Int8Array)): runConvRequant with the bound
  // operands; X and Y checked against the bound geometry.
  Napi::Value RunConvBound(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    if (!bound_) throw Napi::Error::New(env, "QGemm: runConvBound before bindConvRequant");
    const int batch = int_arg(info, 2, "batch");
    const ConvGeom& g = bg_;
    bool xs = false, ys = false;
    const uint8_t* X = bytes_arg(env, info[1], static_cast<size_t>(batch) * g.C * g.H * g.W, "X", &xs);
    uint8_t* Y = bytes_arg(env, info[3], static_cast<size_t>(batch) * packed_.N * g.OH * g.OW, "Y", &ys);
    const Requant r{bmult_.data(), static_cast<int>(bmult_.size()), byzp_, ys, nullptr, bhas_bias_ ? bbias_.data() : nullptr};
    qconv_requant(pool_arg(info, 0), *ws_, *k_, packed_, X, xs, batch, g, bxzp_, bzw_.data(), static_cast<int>(bzw_.size()), r, Y);
    return env.Undefined();
  }
  // bindDynamicConv(geometry, zw | null, wScale (number), bias Float32Array (M) | null[, activation kind, lo, hi, p, q])
  // Checks and copies lowbit.DynamicQConv's per-session operands once (replacing an earlier binding), for
  // runDynamicConv; throws when this kernel has no direct convolution.
  Napi::Value BindDynamicConv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    if (!k_->conv) throw Napi::Error::New(env, "QGemm: bindDynamicConv needs a kernel with a direct convolution");
    dbound_ = false;
    const ConvGeom g = geom_arg(env, info[0], packed_.K, 0, 0);
    int32_t zw1[1] = {0};
    const int32_t* zwp = zw1;
    int zwn = 1;
    zpoint(env, info[1], packed_.N, "w_zero_point", zw1, zwp, zwn, zbbuf_);
    if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "wScale: expected a number");
    const bool has_bias = !info[3].IsNull() && !info[3].IsUndefined();
    const float* bias = has_bias ? array_data<float>(env, info[3], napi_float32_array, napi_float32_array, packed_.N, "bias") : nullptr;
    dact_ = float_act_arg(info, 4);
    dg_ = g;
    dws_ = static_cast<float>(info[2].As<Napi::Number>().DoubleValue());
    dzw_.assign(zwp, zwp + zwn);
    if (has_bias) dbias_.assign(bias, bias + packed_.N);
    else dbias_.clear();
    dhas_bias_ = has_bias;
    dbound_ = true;
    return env.Undefined();
  }
  // runDynamicConv(pool, X Float32Array, batch, Y Float32Array[, range Float32Array(3)[, Yq, yScale, yZeroPoint]]) -> false
  // (nothing written) when X or the result is empty or not finite: lowbit.DynamicQConv with the bound operands in one
  // call, the steps of the unbound path: (x_q, x_s, x_zp) = DynamicQuantizeLinear(X), then runConvScaled with scale
  // fround(x_s * wScale) (and its range); with Yq (DynamicQConvQuantize) also the result's DynamicQuantizeLinear
  // (QuantOut, addon_util.h: from the gathered range).
  Napi::Value RunDynamicConv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    if (!dbound_) throw Napi::Error::New(env, "QGemm: runDynamicConv before bindDynamicConv");
    const int batch = int_arg(info, 2, "batch");
    const ConvGeom& g = dg_;
    const size_t n = static_cast<size_t>(batch) * g.C * g.H * g.W;
    const float* X = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "X");
    ThreadPool* pool = pool_arg(info, 0);
    // x_q in the calling thread's scratch (consumed within this call)
    uint8_t* xq = static_cast<uint8_t*>(thread_scratch(kScratchQuant, n));
    float xs = 0.0f;
    uint8_t xz = 0;
    if (n == 0 || !dynamic_quantize_pooled(pool, X, n, xq, &xs, &xz)) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, bound_conv(info, pool, xq, xs, xz, batch, 3));
  }
  // runDynamicConvQ(pool, Xq Uint8Array, xScale, xZeroPoint, batch, Y Float32Array[, range[, Yq, yScale, yZeroPoint]])
  // -> false (nothing written) for an empty or non-finite result: lowbit.DynamicQConv's quantized-input form with the
  // bound operands in one call (runConvScaled with scale fround(xScale * wScale), then as runDynamicConv).
  Napi::Value RunDynamicConvQ(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    if (!dbound_) throw Napi::Error::New(env, "QGemm: runDynamicConvQ before bindDynamicConv");
    const int batch = int_arg(info, 4, "batch");
    const QuantIn in(info, 1, static_cast<size_t>(batch) * dg_.C * dg_.H * dg_.W);
    return Napi::Boolean::New(env, bound_conv(info, pool_arg(info, 0), in.x, in.scale, in.zp, batch, 5));
  }
  // The bound convolution of x_q into Y = info[yi] with range (info[yi + 1]) and the quantizing tail (yi + 2 ..).
  bool bound_conv(const Napi::CallbackInfo& info, ThreadPool* pool, const uint8_t* xq, float xs, int32_t xz, int batch, size_t yi) {
    const ConvGeom& g = dg_;
    const size_t ny = static_cast<size_t>(batch) * packed_.N * g.OH * g.OW;
    float* Y = array_data<float>(info.Env(), info[yi], napi_float32_array, napi_float32_array, ny, "Y");
    RangeOut range(info, yi + 1);
    QuantOut qo(info, yi + 2, ny);
    const float scale = xs * dws_;  // float32 product, as fround(x_s * w_s)
    qconv_scaled(pool, *ws_, *k_, packed_, xq, false, batch, g, xz, dzw_.data(), static_cast<int>(dzw_.size()), scale, dhas_bias_ ? dbias_.data() : nullptr, Y, dact_,
                 qo.present() ? &qo.sink : range.get());
    if (qo.present()) return qo.run(pool, Y, ny);
    range.write();
    return true;
  }
  // runConvScaled(pool, X, batch, geometry, xZeroPoint, zw | null, scale (number), bias Float32Array (M) | null,
  //               Y Float32Array [, activation kind, lo, hi, p, q[, range Float32Array(3)]]) -> false when this kernel
  //               has no direct convolution (nothing written); range: RangeOut (addon_util.h)
  Napi::Value RunConvScaled(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    ConvIn in;
    conv_scaled_in(info, in);
    const ConvGeom& g = in.g;
    float* Y = array_data<float>(env, info[8], napi_float32_array, napi_float32_array, static_cast<size_t>(in.batch) * packed_.N * g.OH * g.OW, "Y");
    RangeOut range(info, 14);
    const bool done = qconv_scaled(pool_arg(info, 0), *ws_, *k_, packed_, in.X, in.xs, in.batch, g, in.xzp, in.zwp, in.zwn, in.scale, in.bias, Y, float_act_arg(info, 9), range.get());
    range.write();
    return Napi::Boolean::New(env, done);
  }
  // runConvScaledQuantize(pool, X, batch, geometry, xZeroPoint, zw | null, scale (number), bias Float32Array (M) | null,
  //                       Yq Uint8Array, yScale Float32Array(1), yZeroPoint Uint8Array(1)[, activation kind, lo, hi, p, q])
  //                       -> 1 (Yq, yScale, yZeroPoint written), 0 (this kernel has no such path: nothing written), -1 (a
  //                       non-finite value: nothing written): conv.h qconv_scaled_quantize
  Napi::Value RunConvScaledQuantize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    ConvIn in;
    conv_scaled_in(info, in);
    const ConvGeom& g = in.g;
    uint8_t* Yq = array_data<uint8_t>(env, info[8], napi_uint8_array, napi_uint8_array, static_cast<size_t>(in.batch) * packed_.N * g.OH * g.OW, "Yq");
    float* ys = array_data<float>(env, info[9], napi_float32_array, napi_float32_array, 1, "yScale");
    uint8_t* yz = array_data<uint8_t>(env, info[10], napi_uint8_array, napi_uint8_array, 1, "yZeroPoint");
    const int r = qconv_scaled_quantize(pool_arg(info, 0), *ws_, *k_, packed_, in.X, in.xs, in.batch, g, in.xzp, in.zwp, in.zwn, in.scale, in.bias, float_act_arg(info, 11), Yq, ys, yz);
    return Napi::Number::New(env, r);
  }
  // runRequant(pool, A, M, za | null, zb | null, mult Float32Array (1 or N), yZeroPoint, Y (Uint8Array | Int8Array))
  Napi::Value RunRequant(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int M = int_arg(info, 2, "M"), K = packed_.K, N = packed_.N;
    const bool as = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const uint8_t* A = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * K, "A");
    if (!info[5].IsTypedArray()) throw Napi::TypeError::New(env, "mult: expected a Float32Array");
    const size_t mn = info[5].As<Napi::TypedArray>().ElementLength();
    if (mn != 1 && mn != static_cast<size_t>(N)) throw Napi::RangeError::New(env, "mult: expected 1 or N values");
    const float* mult = array_data<float>(env, info[5], napi_float32_array, napi_float32_array, mn, "mult");
    if (!info[6].IsNumber()) throw Napi::TypeError::New(env, "yZeroPoint: expected a number");
    const int32_t yzp = info[6].As<Napi::Number>().Int32Value();
    const bool ys = info[7].IsTypedArray() && info[7].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    uint8_t* Y = array_data<uint8_t>(env, info[7], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * N, "Y");
    const ZeroPoints z(*this, info, M);
    const Requant r{mult, static_cast<int>(mn), yzp, ys, Y};
    qgemm_requant(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, z.za, z.zan, z.zb, z.zbn, r);
    return env.Undefined();
  }
  // runFloat(pool, A, M, za | null, zb | null, mult Float32Array (1 or N), bias Float32Array (1 or N) | null,
  //          Y Float32Array, yScale number | null, yZeroPoint, ySigned[, residual Float32Array (M * N) | null])
  //   (QFloatEpi: with yScale null y = acc * mult (+ bias); else q = requantize(acc, mult, yZeroPoint) in ySigned's
  //   range, y = (q - yZeroPoint) * yScale (+ bias); then + residual[i, j], never Y's memory, when given)
  //   Y may be an array of Float32Arrays [M, n_g] taking the result's columns in order (runDynamic's split output);
  //   yScale and yZeroPoint are then a Float32Array and an Int32Array of one value per group (each group requantized
  //   and dequantized with its own; lowbit.QLinearMatMulToFloatSplit), and there is no residual.
  Napi::Value RunFloat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int M = int_arg(info, 2, "M"), K = packed_.K, N = packed_.N;
    const bool as = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const uint8_t* A = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * K, "A");
    const size_t mn = per_column(env, info[5], "mult");
    const float* mult = array_data<float>(env, info[5], napi_float32_array, napi_float32_array, mn, "mult");
    fill_columns(fmult_, mult, mn);
    const bool has_bias = !info[6].IsNull() && !info[6].IsUndefined();
    if (has_bias) {
      const size_t bn = per_column(env, info[6], "bias");
      fill_columns(fbias_, array_data<float>(env, info[6], napi_float32_array, napi_float32_array, bn, "bias"), bn);
    }
    if (info[7].IsArray()) return RunFloatSplit(info, M, has_bias);
    float* Y = array_data<float>(env, info[7], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * N, "Y");
    QFloatEpi f{fmult_.data(), has_bias ? fbias_.data() : nullptr, false, 0, 0, 0, 0, 1.0f};
    f.res = residual_arg(info, 11, M, Y);
    if (!info[8].IsNull() && !info[8].IsUndefined()) {
      if (!info[8].IsNumber() || !info[9].IsNumber()) throw Napi::TypeError::New(env, "yScale, yZeroPoint: expected numbers");
      f.requant = true;
      f.ys = static_cast<float>(info[8].As<Napi::Number>().DoubleValue());
      f.zp = info[9].As<Napi::Number>().Int32Value();
      const bool ys = info[10].ToBoolean().Value();
      f.qmin = ys ? -128 : 0;
      f.qmax = ys ? 127 : 255;
      f.nanq = f.zp < f.qmin ? f.qmin : (f.zp > f.qmax ? f.qmax : f.zp);  // NaN -> the zero point, as the reference
    }
    const ZeroPoints z(*this, info, M);
    qgemm_float(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, z.za, z.zan, z.zb, z.zbn, f, Y);
    return env.Undefined();
  }
  // runDynamic(pool, X Float32Array, M, zb | null, wScale Float32Array (1 or N), bias Float32Array (1 or N) | null,
  //            Y Float32Array[, activation, lo, hi, p, q[, residual Float32Array (M * N) | null]]) -> false (nothing
  //   written) when X is empty or not finite. The dynamic-int8 MatMul: (x_q, x_s, x_zp) = DynamicQuantizeLinear(X),
  //   y = float(acc(x_q - x_zp, w - zb)) * float(x_s * wScale[j]) (+ bias[j]) (+ residual[i, j]: lowbit.DynamicQMatMul's
  //   folded residual Add, added by the GEMM over each finished block; never Y's memory), then the optional FloatAct
  //   (float_act_row's operations: lowbit.DynamicQConv's activation for a 1x1 convolution of a 1x1 input; not with a
  //   residual).
  Napi::Value RunDynamic(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int M = int_arg(info, 2, "M"), K = packed_.K, N = packed_.N;
    const size_t n = static_cast<size_t>(M) * K;
    const float* X = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, n, "X");
    const size_t sn = per_column(env, info[4], "wScale");
    const float* wscale = array_data<float>(env, info[4], napi_float32_array, napi_float32_array, sn, "wScale");
    const bool has_bias = !info[5].IsNull() && !info[5].IsUndefined();
    const size_t bn = has_bias ? per_column(env, info[5], "bias") : 0;
    const float* bias = has_bias ? array_data<float>(env, info[5], napi_float32_array, napi_float32_array, bn, "bias") : nullptr;
    // Y: one Float32Array [M, N], or an array of them [M, n_g] taking the result's columns in order (sum n_g = N)
    const bool split = info[6].IsArray();
    float* Y = split ? nullptr : array_data<float>(env, info[6], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * N, "Y");
    if (split) split_arg(info[6].As<Napi::Array>(), M);
    int32_t zb[1] = {0};
    const int32_t* zbp = zb;
    int zbn = 1;
    zpoint(env, info[3], N, "b_zero_point", zb, zbp, zbn, zbbuf_);
    uint8_t* xq = static_cast<uint8_t*>(thread_scratch(kScratchQuant, n));  // x_q in the calling thread's scratch, for this call
    float xs = 0.0f;
    uint8_t xz = 0;
    const int32_t* rowsum = nullptr;
#if defined(__x86_64__)
    if (use_avx512()) {  // the row sums in the same pass
      if (rs_.size() < static_cast<size_t>(M)) rs_.resize(M);
      if (!quantize_rows_pooled(pool_arg(info, 0), X, M, K, xq, &xs, &xz)) return Napi::Boolean::New(env, false);
      rowsum = rs_.data();
    } else
#endif
    if (!LOWBIT_EW(dynamic_quantize_linear, X, n, xq, &xs, &xz)) {
      return Napi::Boolean::New(env, false);
    }
    fill_columns(fmult_, wscale, sn);
    for (int j = 0; j < N; j++) fmult_[j] = xs * fmult_[j];  // float32 products, as fround(x_s * w_s[j])
    if (has_bias) fill_columns(fbias_, bias, bn);
    const FloatAct act = float_act_arg(info, 7);
    const float* res = split ? nullptr : residual_arg(info, 12, M, Y);
    if (res && act.kind != 0) throw Napi::Error::New(env, "runDynamic: a residual with an activation");
    if (split && act.kind != 0) throw Napi::Error::New(env, "runDynamic: a split output with an activation");
    QFloatEpi f{fmult_.data(), has_bias ? fbias_.data() : nullptr, false, 0, 0, 0, 0, 1.0f};
    f.res = res;
    const int32_t za = xz;
    if (split) {
      const ColumnSplit cs{static_cast<int>(split_n_.size()), split_off_.data(), split_n_.data(), split_y_.data()};
      qgemm_float_split(pool_arg(info, 0), *ws_, *k_, packed_, xq, false, M, &za, 1, zbp, zbn, f, cs, rowsum);
      return Napi::Boolean::New(env, true);
    }
    qgemm_float(pool_arg(info, 0), *ws_, *k_, packed_, xq, false, M, &za, 1, zbp, zbn, f, Y, rowsum);
    if (act.kind != 0) float_act_row(Y, static_cast<size_t>(M) * N, act);
    return Napi::Boolean::New(env, true);
  }
  /** a_zero_point (argument 3: null, 1 or M values) and b_zero_point (4: null, 1 or N values) of a GEMM call as int32
   *  (the instance's zabuf_ / zbbuf_ hold per-row / per-column ones); used where it is made, never copied. */
  struct ZeroPoints {
    int32_t za1[1] = {0}, zb1[1] = {0};
    const int32_t* za = za1;
    const int32_t* zb = zb1;
    int zan = 1, zbn = 1;
    ZeroPoints(QGemm& g, const Napi::CallbackInfo& info, int M) {
      zpoint(info.Env(), info[3], M, "a_zero_point", za1, za, zan, g.zabuf_);
      zpoint(info.Env(), info[4], g.packed_.N, "b_zero_point", zb1, zb, zbn, g.zbbuf_);
    }
    ZeroPoints(const ZeroPoints&) = delete;
    ZeroPoints& operator=(const ZeroPoints&) = delete;
  };
  /** runFloat with a split output (fmult_ / fbias_ filled): each group requantized with its own yScale / yZeroPoint. */
  Napi::Value RunFloatSplit(const Napi::CallbackInfo& info, int M, bool has_bias) {
    Napi::Env env = info.Env();
    const int K = packed_.K, N = packed_.N;
    const bool as = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const uint8_t* A = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * K, "A");
    split_arg(info[7].As<Napi::Array>(), M);
    const size_t groups = split_n_.size();
    const float* ys = array_data<float>(env, info[8], napi_float32_array, napi_float32_array, groups, "yScale");
    const int32_t* yz = array_data<int32_t>(env, info[9], napi_int32_array, napi_int32_array, groups, "yZeroPoint");
    const bool ysigned = info[10].ToBoolean().Value();
    split_fe_.assign(groups, QFloatEpi{fmult_.data(), has_bias ? fbias_.data() : nullptr, true, 0, 0, 0, 0, 1.0f});
    split_fep_.resize(groups);
    for (size_t g = 0; g < groups; g++) {
      QFloatEpi& f = split_fe_[g];
      f.ys = ys[g];
      f.zp = yz[g];
      f.qmin = ysigned ? -128 : 0;
      f.qmax = ysigned ? 127 : 255;
      f.nanq = f.zp < f.qmin ? f.qmin : (f.zp > f.qmax ? f.qmax : f.zp);  // NaN -> the zero point, as the reference
      split_fep_[g] = &split_fe_[g];
    }
    const ZeroPoints z(*this, info, M);
    ColumnSplit cs{static_cast<int>(groups), split_off_.data(), split_n_.data(), split_y_.data()};
    cs.fe = split_fep_.data();
    qgemm_float_split(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, z.za, z.zan, z.zb, z.zbn, split_fe_[0], cs);
    return env.Undefined();
  }
  /** runDynamic's split output: Float32Arrays of M * n_g values (n_g >= 1) whose n_g sum to N, into split_*_. */
  void split_arg(const Napi::Array& ys, int M) {
    Napi::Env env = ys.Env();
    const uint32_t groups = ys.Length();
    if (groups == 0 || M <= 0) throw Napi::RangeError::New(env, "Y: expected one or more Float32Arrays and M > 0");
    split_n_.resize(groups);
    split_off_.resize(groups);
    split_y_.resize(groups);
    int off = 0;
    for (uint32_t g = 0; g < groups; g++) {
      const Napi::Value v = ys[g];
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::TypeError::New(env, "Y: expected Float32Arrays");
      const size_t len = v.As<Napi::TypedArray>().ElementLength();
      if (len == 0 || len % static_cast<size_t>(M) != 0 || len / M > static_cast<size_t>(packed_.N - off)) throw Napi::RangeError::New(env, "Y: a group's length is not M * n with the groups' n summing to N");
      split_n_[g] = static_cast<int>(len / M);
      split_off_[g] = off;
      split_y_[g] = array_data<float>(env, v, napi_float32_array, napi_float32_array, len, "Y");
      off += split_n_[g];
    }
    if (off != packed_.N) throw Napi::RangeError::New(env, "Y: the groups' widths do not sum to N");
    for (uint32_t g = 0; g < groups; g++)
      for (uint32_t h = g + 1; h < groups; h++) {
        const float* a = split_y_[g];
        const float* b = split_y_[h];
        if (a < b + static_cast<size_t>(M) * split_n_[h] && b < a + static_cast<size_t>(M) * split_n_[g]) throw Napi::RangeError::New(env, "Y: groups overlap");
      }
  }
#if defined(__x86_64__)
  /**
   * avx512::dynamic_quantize_rows of X [M, K] into xq and rs_, over the pool's threads by whole rows (split_rows):
   * each piece's range (avx512::dynamic_range; they combine to the whole range in any order), the parameters as
   * dynamic_quantize_rows computes them, then each piece's rows quantized with them (avx512::quantize_rows_with). The
   * same bytes, row sums, scale and zero point for any split; false when some x is not finite.
   */
  bool quantize_rows_pooled(ThreadPool* pool, const float* X, int M, int K, uint8_t* xq, float* xs, uint8_t* xz) {
    if (M <= 0 || K <= 0) return false;  // empty, as dynamic_quantize_rows
    if (lo_.size() < static_cast<size_t>(M)) {
      lo_.resize(M);
      hi_.resize(M);
      ok_.resize(M);
    }
    std::fill(lo_.begin(), lo_.begin() + M, 0.0f);
    std::fill(hi_.begin(), hi_.begin() + M, 0.0f);
    std::fill(ok_.begin(), ok_.begin() + M, 1);
    const size_t rows = static_cast<size_t>(M), k = static_cast<size_t>(K);
    // Two hand-offs for a cheap pass (about 0.3 ns a value): pieces of at least kGrainQuant values (BERT's 64 x 1024
    // inputs split, its 64 x 256 ones stay on the caller).
    constexpr int64_t kGrainQuant = 16384;
    split_rows(pool, rows, k, [&](size_t r0, size_t r1) { ok_[r0] = avx512::dynamic_range(X + r0 * k, (r1 - r0) * k, &lo_[r0], &hi_[r0]); }, kGrainQuant);
    float scale;
    uint8_t zp;
    if (!dynamic_params_of_pieces(lo_.data(), hi_.data(), ok_.data(), rows, &scale, &zp)) return false;
    split_rows(pool, rows, k, [&](size_t r0, size_t r1) { avx512::quantize_rows_with(X + r0 * k, r1 - r0, k, xq + r0 * k, scale, zp, rs_.data() + r0); }, kGrainQuant);
    *xs = scale;
    *xz = zp;
    return true;
  }
#endif
  /** An optional residual (M * N float32 values, not overlapping Y) at argument i, or null when absent / null. */
  const float* residual_arg(const Napi::CallbackInfo& info, size_t i, int M, const float* Y) const {
    if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
    const size_t n = static_cast<size_t>(M) * packed_.N;
    const float* r = array_data<float>(info.Env(), info[i], napi_float32_array, napi_float32_array, n, "residual");
    if (r < Y + n && Y < r + n) throw Napi::RangeError::New(info.Env(), "residual: overlaps Y");
    return r;
  }
  /** The length of a per-column parameter (1 or N values of a typed array). */
  size_t per_column(const Napi::Env& env, const Napi::Value& v, const char* what) const {
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected a Float32Array");
    const size_t len = v.As<Napi::TypedArray>().ElementLength();
    if (len != 1 && len != static_cast<size_t>(packed_.N)) throw Napi::RangeError::New(env, std::string(what) + ": expected 1 or N values");
    return len;
  }
  /** dst = src broadcast to N columns (len 1) or copied, then zeros to a whole number of panels (QFloatEpi). */
  void fill_columns(std::vector<float>& dst, const float* src, size_t len) const {
    const size_t n = static_cast<size_t>(packed_.N), padded = static_cast<size_t>(packed_.panels) * packed_.nr;
    dst.assign(padded, 0.0f);
    for (size_t j = 0; j < n; j++) dst[j] = src[len == 1 ? 0 : j];
  }
  /** A zero point: null -> 0; a typed array of 1 or n int8/uint8 values -> int32 (buffer kept by the instance). */
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    qfree(&packed_);
    ws_.reset();
    return info.Env().Undefined();
  }
  // The convolution operands every runConv* call takes: X at 1, batch 2, geometry 3, xZeroPoint 4, zw 5.
  struct ConvIn {
    int batch = 0;
    bool xs = false;
    const uint8_t* X = nullptr;
    ConvGeom g{};
    int32_t xzp = 0;
    int32_t zw1[1] = {0};  // a per-tensor weight zero point (zwp points here unless zw has M values)
    const int32_t* zwp = nullptr;
    int zwn = 1;
    float scale = 1.0f;            // conv_scaled_in: the float epilogue's scale and bias (M values or null)
    const float* bias = nullptr;
  };
  /** conv_in, then the float epilogue's scale (number) and bias (Float32Array of M, or null) at 6 and 7. */
  void conv_scaled_in(const Napi::CallbackInfo& info, ConvIn& in) {
    conv_in(info, in);
    in.scale = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
    in.bias = info[7].IsNull() || info[7].IsUndefined() ? nullptr : array_data<float>(info.Env(), info[7], napi_float32_array, napi_float32_array, packed_.N, "bias");
  }
  void conv_in(const Napi::CallbackInfo& info, ConvIn& in) {
    Napi::Env env = info.Env();
    in.batch = int_arg(info, 2, "batch");
    if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a typed array");
    in.xs = info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const size_t xlen = info[1].As<Napi::TypedArray>().ElementLength();
    in.X = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, 0, "X");
    in.g = geom_arg(env, info[3], packed_.K, in.batch, xlen);
    in.xzp = info[4].As<Napi::Number>().Int32Value();
    in.zwp = in.zw1;
    zpoint(env, info[5], packed_.N, "w_zero_point", in.zw1, in.zwp, in.zwn, zbbuf_);
  }
  Napi::Value SevenBit(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), packed_.sevenbit); }

  const QGemmKernel* k_ = nullptr;
  QPackedB packed_;
  std::unique_ptr<Workspace> ws_;
  std::vector<int32_t> zabuf_, zbbuf_;
  std::vector<float> fmult_, fbias_;  // QFloatEpi columns (padded)
  std::vector<int32_t> rs_;           // runDynamic's row sums of the quantized X
  std::vector<int> split_n_, split_off_;  // runDynamic's split output (split_arg), for the call
  std::vector<float*> split_y_;
  std::vector<QFloatEpi> split_fe_;  // runFloat's split output: each group's output stage
  std::vector<const QFloatEpi*> split_fep_;
  std::vector<float> lo_, hi_;        // quantize_rows_pooled's ranges by first row of a piece
  std::vector<char> ok_;
  // bindConvRequant's operands
  bool bound_ = false, bhas_bias_ = false;
  ConvGeom bg_{};
  int32_t bxzp_ = 0, byzp_ = 0;
  std::vector<int32_t> bzw_, bbias_;
  std::vector<float> bmult_;
  // bindDynamicConv's operands
  bool dbound_ = false, dhas_bias_ = false;
  ConvGeom dg_{};
  float dws_ = 0.0f;
  FloatAct dact_{};
  std::vector<int32_t> dzw_;
  std::vector<float> dbias_;
};

// ---- FGemm ------------------------------------------------------------------------------------------------------

class FGemm : public Napi::ObjectWrap<FGemm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FGemm", {InstanceMethod("run", &FGemm::Run), InstanceMethod("runConv", &FGemm::RunConv), InstanceMethod("dispose", &FGemm::Dispose)});
  }
  // new FGemm(kernel, B Float32Array, K, N, transB, threads)
  explicit FGemm(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FGemm>(info) {
    Napi::Env env = info.Env();
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    k_ = find_f(name);
    if (!k_ || !runs(machine().isas, k_->needs)) throw Napi::Error::New(env, "FGemm: kernel \"" + name + "\" is not available on this CPU");
    const int K = int_arg(info, 2, "K"), N = int_arg(info, 3, "N"), threads = int_arg(info, 5, "threads");
    const float* b = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, static_cast<size_t>(K) * N, "B");
    fpack(*k_, b, K, N, info[4].ToBoolean().Value(), &packed_);
    ws_ = std::make_unique<Workspace>(k_->scratch_bytes, threads < 1 ? 1 : threads);
  }
  ~FGemm() override { ffree(&packed_); }

 private:
  // run(pool, A Float32Array, M, bias Float32Array (N) | null, C Float32Array)
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "FGemm: disposed");
    const int M = int_arg(info, 2, "M"), K = packed_.K, N = packed_.N;
    const float* A = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * K, "A");
    const float* bias = info[3].IsNull() || info[3].IsUndefined() ? nullptr : array_data<float>(env, info[3], napi_float32_array, napi_float32_array, N, "bias");
    float* C = array_data<float>(env, info[4], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * N, "C");
    fgemm(pool_arg(info, 0), *ws_, *k_, packed_, A, M, bias, C);
    return env.Undefined();
  }
  // runConv(pool, X Float32Array, batch, geometry Int32Array(13), bias Float32Array (M) | null, Y Float32Array)
  Napi::Value RunConv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "FGemm: disposed");
    const int batch = int_arg(info, 2, "batch");
    if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a Float32Array");
    const size_t xlen = info[1].As<Napi::TypedArray>().ElementLength();
    const float* X = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, 0, "X");
    const ConvGeom g = geom_arg(env, info[3], packed_.K, batch, xlen);
    const float* bias = info[4].IsNull() || info[4].IsUndefined() ? nullptr : array_data<float>(env, info[4], napi_float32_array, napi_float32_array, packed_.N, "bias");
    float* Y = array_data<float>(env, info[5], napi_float32_array, napi_float32_array, static_cast<size_t>(batch) * packed_.N * g.OH * g.OW, "Y");
    fconv(pool_arg(info, 0), *ws_, *k_, packed_, X, batch, g, bias, Y);
    return env.Undefined();
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    ffree(&packed_);
    ws_.reset();
    return info.Env().Undefined();
  }
  const FGemmKernel* k_ = nullptr;
  FPackedB packed_;
  std::unique_ptr<Workspace> ws_;
};

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("QGemm", QGemm::Define(env));
  exports.Set("FGemm", FGemm::Define(env));
}

}  // namespace lowbit
