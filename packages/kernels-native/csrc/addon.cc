// N-API binding (node-addon-api). Zero-copy: typed arrays are read and written in place; every length is checked
// here, once, before a kernel runs. Objects: Pool (a backend's thread pool), QGemm (packed int8 B + workspace),
// FGemm (packed float B + workspace). Kernels are looked up by name and refused when this CPU lacks their ISA.
#include <napi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "batched.h"
#include "common.h"
#include "conv.h"
#include "dwconv.h"
#include "elementwise.h"
#include "ops.h"
#include "pool.h"
#include <cmath>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif
#include "qdq.h"
#include "threadpool.h"

namespace lowbit {
namespace {

struct Machine {
  uint32_t isas = 0;
  bool amx = false;
};

Machine machine() {
  Machine m;
  m.isas = detect_isas();
  if (m.isas & ISA_AMXINT8) m.amx = request_amx_permission();
  if (!m.amx) m.isas &= ~ISA_AMXINT8;
  return m;
}

bool runs(uint32_t isas, uint32_t needs) { return (needs & isas) == needs; }

const QGemmKernel* find_q(const std::string& name) {
  const QGemmKernel* const* list;
  const int n = qgemm_kernels(&list);
  for (int i = 0; i < n; i++)
    if (name == list[i]->name) return list[i];
  return nullptr;
}
const FGemmKernel* find_f(const std::string& name) {
  const FGemmKernel* const* list;
  const int n = fgemm_kernels(&list);
  for (int i = 0; i < n; i++)
    if (name == list[i]->name) return list[i];
  return nullptr;
}

// The AVX2 builds of elementwise.h and qdq.h's kernels when this CPU has AVX2 (identical results, wider loops).
bool use_avx2() {
#if defined(__x86_64__)
  static const bool yes = (detect_isas() & ISA_AVX2) != 0;
  return yes;
#else
  return false;
#endif
}
// The AVX-512 builds of erf/gelu/softmax (erf/gelu: the AVX2 build's results) and DynamicQuantizeLinear (identical
// results) when this CPU has AVX-512 F/BW/VL/DQ.
bool use_avx512() {
#if defined(__x86_64__)
  static const bool yes = (detect_isas() & ISA_AVX512) != 0;
  return yes;
#else
  return false;
#endif
}
// The AVX512-VNNI builds (depthwise int8) when this CPU has AVX-512 F/BW/VL/DQ and AVX512-VNNI.
bool use_avx512vnni() {
#if defined(__x86_64__)
  static const bool yes = (detect_isas() & (ISA_AVX512 | ISA_AVX512VNNI)) == (ISA_AVX512 | ISA_AVX512VNNI);
  return yes;
#else
  return false;
#endif
}
#if defined(__x86_64__)
#define LOWBIT_EW512(fn, ...) (use_avx512() ? avx512::fn(__VA_ARGS__) : LOWBIT_EW(fn, __VA_ARGS__))
#else
#define LOWBIT_EW512(fn, ...) LOWBIT_EW(fn, __VA_ARGS__)
#endif
#if defined(__x86_64__)
#define LOWBIT_EW(fn, ...) (use_avx2() ? avx2::fn(__VA_ARGS__) : fn(__VA_ARGS__))
#else
#define LOWBIT_EW(fn, ...) fn(__VA_ARGS__)
#endif

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Machine m = machine();
  Napi::Object o = Napi::Object::New(env);
  char brand[64];
  cpu_brand(brand);
  o.Set("cpu", brand);
  o.Set("isaBits", m.isas);
  o.Set("amxPermission", m.amx);
  o.Set("physicalCores", physical_cores());
#if defined(__x86_64__)
  o.Set("arch", "x64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  Napi::Array q = Napi::Array::New(env), f = Napi::Array::New(env);
  const QGemmKernel* const* ql;
  const int nq = qgemm_kernels(&ql);
  for (int i = 0, o2 = 0; i < nq; i++) {
    if (!runs(m.isas, ql[i]->needs)) continue;
    Napi::Object k = Napi::Object::New(env);
    k.Set("name", ql[i]->name);
    k.Set("isa", ql[i]->isa);
    k.Set("needs7bit", ql[i]->needs_7bit);
    q.Set(o2++, k);
  }
  const FGemmKernel* const* fl;
  const int nf = fgemm_kernels(&fl);
  for (int i = 0, o2 = 0; i < nf; i++) {
    if (!runs(m.isas, fl[i]->needs)) continue;
    Napi::Object k = Napi::Object::New(env);
    k.Set("name", fl[i]->name);
    k.Set("isa", fl[i]->isa);
    f.Set(o2++, k);
  }
  o.Set("qgemm", q);
  o.Set("fgemm", f);
  return o;
}

// ---- typed-array access -----------------------------------------------------------------------------------------

template <class T>
T* array_data(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type want1, napi_typedarray_type want2, size_t need, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected a typed array");
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  if (t.TypedArrayType() != want1 && t.TypedArrayType() != want2) throw Napi::TypeError::New(env, std::string(what) + ": wrong typed array type");
  if (t.ElementLength() < need)
    throw Napi::RangeError::New(env, std::string(what) + ": has " + std::to_string(t.ElementLength()) + " elements, needs " + std::to_string(need));
  return reinterpret_cast<T*>(static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset());
}

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d)))
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected an integer in [0, 2^31)");
  return static_cast<int>(d);
}

/** A ConvGeom from an Int32Array of 13 values, checked against the packed K and the input length. */
ConvGeom geom_arg(const Napi::Env& env, const Napi::Value& v, int K, int batch, size_t xlen) {
  const int32_t* p = array_data<int32_t>(env, v, napi_int32_array, napi_int32_array, 13, "geometry");
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]};
  const bool pos = g.C > 0 && g.H > 0 && g.W > 0 && g.KH > 0 && g.KW > 0 && g.stride_h > 0 && g.stride_w > 0 && g.dil_h > 0 && g.dil_w > 0 &&
                   g.pad_t >= 0 && g.pad_l >= 0 && g.OH > 0 && g.OW > 0;
  if (!pos || g.C * g.KH * g.KW != K) throw Napi::RangeError::New(env, "conv geometry: bad values or C*KH*KW != packed K");
  // Every tap must land inside the padded input: (OH-1)*stride + (KH-1)*dil < pad_t + H + pad_bottom is the caller's
  // rule; here only reads are checked: taps outside [0, H) x [0, W) read the pad value, never memory.
  if (xlen < static_cast<size_t>(batch) * g.C * g.H * g.W) throw Napi::RangeError::New(env, "X: too short for the geometry");
  return g;
}

/** A zero-point argument (null: keep `one`, which holds 0): 1 or n values of a uint8 / int8 array, as int32. */
void zpoint(Napi::Env env, const Napi::Value& v, int n, const char* what, int32_t* one, const int32_t*& out, int& count, std::vector<int32_t>& buf) {
  if (v.IsNull() || v.IsUndefined()) return;
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  const size_t len = t.ElementLength();
  if (len != 1 && len != static_cast<size_t>(n)) throw Napi::RangeError::New(env, std::string(what) + ": expected 1 or " + std::to_string(n) + " values");
  const bool s = t.TypedArrayType() == napi_int8_array;
  const uint8_t* p = array_data<uint8_t>(env, v, napi_uint8_array, napi_int8_array, len, what);
  int32_t* dst = one;
  if (len > 1) {
    if (buf.size() < len) buf.resize(len);
    dst = buf.data();
  }
  for (size_t i = 0; i < len; i++) dst[i] = s ? static_cast<int8_t>(p[i]) : p[i];
  out = dst;
  count = static_cast<int>(len);
}


// ---- Pool -------------------------------------------------------------------------------------------------------

class Pool : public Napi::ObjectWrap<Pool> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Pool", {InstanceMethod("close", &Pool::Close), InstanceAccessor("threads", &Pool::Threads, nullptr)});
  }
  explicit Pool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pool>(info) {
    const int t = int_arg(info, 0, "threads");
    const bool grained = info.Length() < 2 || info[1].IsUndefined() || info[1].ToBoolean().Value();
    pool_ = std::make_unique<ThreadPool>(t < 1 ? 1 : (t > 256 ? 256 : t), grained);
  }
  ThreadPool* get() const { return pool_.get(); }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info) {
    pool_.reset();
    return info.Env().Undefined();
  }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pool_ ? pool_->size() : 0); }
  std::unique_ptr<ThreadPool> pool_;
};

ThreadPool* pool_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "pool: expected a Pool");
  Pool* p = Pool::Unwrap(info[i].As<Napi::Object>());
  return p ? p->get() : nullptr;
}

// ---- QGemm ------------------------------------------------------------------------------------------------------

/** The optional trailing (kind, lo, hi, p, q) of runConvScaled / scaleAccumulators: FloatAct (common.h); kind 0 none,
 *  1 Relu, 2 Clip with lo <= hi, 3 the HardSwish decomposition (Clip lo <= hi, add p, divisor q), 4 HardSigmoid(p, q). */
static FloatAct float_act_arg(const Napi::CallbackInfo& info, size_t i) {
  FloatAct a;
  if (info.Length() <= i || info[i].IsUndefined()) return a;
  a.kind = info[i].As<Napi::Number>().Int32Value();
  if (a.kind < 0 || a.kind > 4) throw Napi::RangeError::New(info.Env(), "activation: expected 0 (none), 1 (Relu), 2 (Clip), 3 (HardSwish decomposition) or 4 (HardSigmoid)");
  const auto num = [&](size_t k) { return info.Length() > i + k && info[i + k].IsNumber() ? static_cast<float>(info[i + k].As<Napi::Number>().DoubleValue()) : 0.0f; };
  if (a.kind >= 2) {
    a.lo = num(1);
    a.hi = num(2);
    a.p = num(3);
    a.q = num(4);
    if ((a.kind == 2 || a.kind == 3) && !(a.lo <= a.hi)) throw Napi::RangeError::New(info.Env(), "activation: Clip needs lo <= hi");
  }
  return a;
}

class QGemm : public Napi::ObjectWrap<QGemm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "QGemm", {InstanceMethod("run", &QGemm::Run), InstanceMethod("runRequant", &QGemm::RunRequant),
                                      InstanceMethod("runFloat", &QGemm::RunFloat), InstanceMethod("runDynamic", &QGemm::RunDynamic),
                                      InstanceMethod("runConv", &QGemm::RunConv), InstanceMethod("runConvRequant", &QGemm::RunConvRequant), InstanceMethod("runConvScaled", &QGemm::RunConvScaled), InstanceMethod("dispose", &QGemm::Dispose),
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
    int32_t za[1] = {0}, zb[1] = {0};
    const int32_t* zap = za;
    const int32_t* zbp = zb;
    int zan = 1, zbn = 1;
    zpoint(env, info[3], M, "a_zero_point", za, zap, zan, zabuf_);
    zpoint(env, info[4], N, "b_zero_point", zb, zbp, zbn, zbbuf_);
    qgemm(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, zap, zan, zbp, zbn, C);
    return env.Undefined();
  }
  // runConv(pool, X, batch, geometry Int32Array(13), xZeroPoint, zw | null, Y Int32Array)   (ConvInteger)
  Napi::Value RunConv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int batch = int_arg(info, 2, "batch");
    const bool xs = info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a typed array");
    const size_t xlen = info[1].As<Napi::TypedArray>().ElementLength();
    const uint8_t* X = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, 0, "X");
    const ConvGeom g = geom_arg(env, info[3], packed_.K, batch, xlen);
    const int32_t xzp = info[4].As<Napi::Number>().Int32Value();
    int32_t zw[1] = {0};
    const int32_t* zwp = zw;
    int zwn = 1;
    zpoint(env, info[5], packed_.N, "w_zero_point", zw, zwp, zwn, zbbuf_);
    int32_t* Y = array_data<int32_t>(env, info[6], napi_int32_array, napi_int32_array, static_cast<size_t>(batch) * packed_.N * g.OH * g.OW, "Y");
    qconv(pool_arg(info, 0), *ws_, *k_, packed_, X, xs, batch, g, xzp, zwp, zwn, Y);
    return env.Undefined();
  }
  // runConvRequant(pool, X, batch, geometry, xZeroPoint, zw | null, mult, yZeroPoint, Y Uint8Array | Int8Array,
  //                bias Int32Array (M) | null)   (QLinearConv)
  Napi::Value RunConvRequant(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int batch = int_arg(info, 2, "batch");
    if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a typed array");
    const bool xs = info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const size_t xlen = info[1].As<Napi::TypedArray>().ElementLength();
    const uint8_t* X = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, 0, "X");
    const ConvGeom g = geom_arg(env, info[3], packed_.K, batch, xlen);
    const int32_t xzp = info[4].As<Napi::Number>().Int32Value();
    int32_t zw[1] = {0};
    const int32_t* zwp = zw;
    int zwn = 1;
    zpoint(env, info[5], packed_.N, "w_zero_point", zw, zwp, zwn, zbbuf_);
    if (!info[6].IsTypedArray()) throw Napi::TypeError::New(env, "mult: expected a Float32Array");
    const size_t mn = info[6].As<Napi::TypedArray>().ElementLength();
    if (mn != 1 && mn != static_cast<size_t>(packed_.N)) throw Napi::RangeError::New(env, "mult: expected 1 or M values");
    const float* mult = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, mn, "mult");
    const int32_t yzp = info[7].As<Napi::Number>().Int32Value();
    const bool ys = info[8].IsTypedArray() && info[8].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    uint8_t* Y = array_data<uint8_t>(env, info[8], napi_uint8_array, napi_int8_array, static_cast<size_t>(batch) * packed_.N * g.OH * g.OW, "Y");
    const int32_t* bias = info[9].IsNull() || info[9].IsUndefined() ? nullptr : array_data<int32_t>(env, info[9], napi_int32_array, napi_int32_array, packed_.N, "bias");
    const Requant r{mult, static_cast<int>(mn), yzp, ys, nullptr, bias};
    qconv_requant(pool_arg(info, 0), *ws_, *k_, packed_, X, xs, batch, g, xzp, zwp, zwn, r, Y);
    return env.Undefined();
  }
  // runConvScaled(pool, X, batch, geometry, xZeroPoint, zw | null, scale (number), bias Float32Array (M) | null,
  //               Y Float32Array [, activation kind, lo, hi, p, q]) -> false when this kernel has no direct convolution
  //               (nothing written)
  Napi::Value RunConvScaled(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!packed_.data) throw Napi::Error::New(env, "QGemm: disposed");
    const int batch = int_arg(info, 2, "batch");
    if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "X: expected a typed array");
    const bool xs = info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    const size_t xlen = info[1].As<Napi::TypedArray>().ElementLength();
    const uint8_t* X = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, 0, "X");
    const ConvGeom g = geom_arg(env, info[3], packed_.K, batch, xlen);
    const int32_t xzp = info[4].As<Napi::Number>().Int32Value();
    int32_t zw[1] = {0};
    const int32_t* zwp = zw;
    int zwn = 1;
    zpoint(env, info[5], packed_.N, "w_zero_point", zw, zwp, zwn, zbbuf_);
    const float scale = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
    const float* bias = info[7].IsNull() || info[7].IsUndefined() ? nullptr : array_data<float>(env, info[7], napi_float32_array, napi_float32_array, packed_.N, "bias");
    float* Y = array_data<float>(env, info[8], napi_float32_array, napi_float32_array, static_cast<size_t>(batch) * packed_.N * g.OH * g.OW, "Y");
    return Napi::Boolean::New(env, qconv_scaled(pool_arg(info, 0), *ws_, *k_, packed_, X, xs, batch, g, xzp, zwp, zwn, scale, bias, Y, float_act_arg(info, 9)));
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
    int32_t za[1] = {0}, zb[1] = {0};
    const int32_t* zap = za;
    const int32_t* zbp = zb;
    int zan = 1, zbn = 1;
    zpoint(env, info[3], M, "a_zero_point", za, zap, zan, zabuf_);
    zpoint(env, info[4], N, "b_zero_point", zb, zbp, zbn, zbbuf_);
    const Requant r{mult, static_cast<int>(mn), yzp, ys, Y};
    qgemm_requant(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, zap, zan, zbp, zbn, r);
    return env.Undefined();
  }
  // runFloat(pool, A, M, za | null, zb | null, mult Float32Array (1 or N), bias Float32Array (1 or N) | null,
  //          Y Float32Array, yScale number | null, yZeroPoint, ySigned)   (QFloatEpi: with yScale null y = acc * mult
  //          (+ bias); else q = requantize(acc, mult, yZeroPoint) in ySigned's range, y = (q - yZeroPoint) * yScale (+ bias))
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
    float* Y = array_data<float>(env, info[7], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * N, "Y");
    QFloatEpi f{fmult_.data(), has_bias ? fbias_.data() : nullptr, false, 0, 0, 0, 0, 1.0f};
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
    int32_t za[1] = {0}, zb[1] = {0};
    const int32_t* zap = za;
    const int32_t* zbp = zb;
    int zan = 1, zbn = 1;
    zpoint(env, info[3], M, "a_zero_point", za, zap, zan, zabuf_);
    zpoint(env, info[4], N, "b_zero_point", zb, zbp, zbn, zbbuf_);
    qgemm_float(pool_arg(info, 0), *ws_, *k_, packed_, A, as, M, zap, zan, zbp, zbn, f, Y);
    return env.Undefined();
  }
  // runDynamic(pool, X Float32Array, M, zb | null, wScale Float32Array (1 or N), bias Float32Array (1 or N) | null,
  //            Y Float32Array) -> false (nothing written) when X is empty or not finite. The dynamic-int8 MatMul:
  //   (x_q, x_s, x_zp) = DynamicQuantizeLinear(X), y = float(acc(x_q - x_zp, w - zb)) * float(x_s * wScale[j]) (+ bias[j])
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
    float* Y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, static_cast<size_t>(M) * N, "Y");
    int32_t zb[1] = {0};
    const int32_t* zbp = zb;
    int zbn = 1;
    zpoint(env, info[3], N, "b_zero_point", zb, zbp, zbn, zbbuf_);
    if (xq_.size() < n) xq_.resize(n);
    float xs = 0.0f;
    uint8_t xz = 0;
    const int32_t* rowsum = nullptr;
#if defined(__x86_64__)
    if (use_avx512()) {  // the row sums in the same pass
      if (rs_.size() < static_cast<size_t>(M)) rs_.resize(M);
      if (!avx512::dynamic_quantize_rows(X, M, K, xq_.data(), &xs, &xz, rs_.data())) return Napi::Boolean::New(env, false);
      rowsum = rs_.data();
    } else
#endif
    if (!LOWBIT_EW(dynamic_quantize_linear, X, n, xq_.data(), &xs, &xz)) {
      return Napi::Boolean::New(env, false);
    }
    fill_columns(fmult_, wscale, sn);
    for (int j = 0; j < N; j++) fmult_[j] = xs * fmult_[j];  // float32 products, as fround(x_s * w_s[j])
    if (has_bias) fill_columns(fbias_, bias, bn);
    const QFloatEpi f{fmult_.data(), has_bias ? fbias_.data() : nullptr, false, 0, 0, 0, 0, 1.0f};
    const int32_t za = xz;
    qgemm_float(pool_arg(info, 0), *ws_, *k_, packed_, xq_.data(), false, M, &za, 1, zbp, zbn, f, Y, rowsum);
    return Napi::Boolean::New(env, true);
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
  Napi::Value SevenBit(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), packed_.sevenbit); }

  const QGemmKernel* k_ = nullptr;
  QPackedB packed_;
  std::unique_ptr<Workspace> ws_;
  std::vector<int32_t> zabuf_, zbbuf_;
  std::vector<float> fmult_, fbias_;  // QFloatEpi columns (padded)
  std::vector<uint8_t> xq_;           // runDynamic's quantized X
  std::vector<int32_t> rs_;           // and its row sums
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

// ---- batched GEMMs of two activations (attention) -----------------------------------------------------------------

/**
 * The geometry of run(pool, A, aOff Int32Array, lda, B, bOff Int32Array, ldb, bTrans, M, K, N, ...) from argument 1
 * on, every matrix checked to lie inside its array.
 */
BatchGeom batch_geom(const Napi::CallbackInfo& info, size_t alen, size_t blen) {
  Napi::Env env = info.Env();
  const int32_t* aoff = array_data<int32_t>(env, info[2], napi_int32_array, napi_int32_array, 0, "aOffsets");
  const int32_t* boff = array_data<int32_t>(env, info[5], napi_int32_array, napi_int32_array, 0, "bOffsets");
  const size_t batch = info[2].As<Napi::TypedArray>().ElementLength();
  if (info[5].As<Napi::TypedArray>().ElementLength() != batch) throw Napi::RangeError::New(env, "bOffsets: expected as many offsets as aOffsets");
  const int lda = int_arg(info, 3, "lda"), ldb = int_arg(info, 6, "ldb");
  const bool trans = info[7].ToBoolean().Value();
  const int M = int_arg(info, 8, "M"), K = int_arg(info, 9, "K"), N = int_arg(info, 10, "N");
  const int brows = trans ? N : K, bcols = trans ? K : N;
  if (lda < K || ldb < bcols) throw Napi::RangeError::New(env, "lda / ldb: shorter than a row");
  for (size_t t = 0; t < batch; t++) {
    if (aoff[t] < 0 || boff[t] < 0) throw Napi::RangeError::New(env, "offsets: negative");
    if (M > 0 && K > 0 && static_cast<size_t>(aoff[t]) + static_cast<size_t>(M - 1) * lda + K > alen)
      throw Napi::RangeError::New(env, "A: matrix " + std::to_string(t) + " runs past the end");
    if (brows > 0 && bcols > 0 && static_cast<size_t>(boff[t]) + static_cast<size_t>(brows - 1) * ldb + bcols > blen)
      throw Napi::RangeError::New(env, "B: matrix " + std::to_string(t) + " runs past the end");
  }
  return BatchGeom{static_cast<int>(batch), M, K, N, aoff, lda, boff, ldb, trans};
}

size_t typed_length(const Napi::Env& env, const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected a typed array");
  return v.As<Napi::TypedArray>().ElementLength();
}

class FGemmBatch : public Napi::ObjectWrap<FGemmBatch> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineClass(env, "FGemmBatch", {InstanceMethod("run", &FGemmBatch::Run)}); }
  // new FGemmBatch(kernel, threads)
  explicit FGemmBatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FGemmBatch>(info) {
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    k_ = find_f(name);
    if (!k_ || !runs(machine().isas, k_->needs)) throw Napi::Error::New(info.Env(), "FGemmBatch: kernel \"" + name + "\" is not available on this CPU");
    const int threads = int_arg(info, 1, "threads");
    bw_ = std::make_unique<BatchWorkspace>(k_->scratch_bytes, threads < 1 ? 1 : threads);
  }

 private:
  // run(pool, A Float32Array, aOff, lda, B Float32Array, bOff, ldb, bTrans, M, K, N, C Float32Array [batch, M, N])
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const size_t alen = typed_length(env, info[1], "A"), blen = typed_length(env, info[4], "B");
    const float* A = array_data<float>(env, info[1], napi_float32_array, napi_float32_array, 0, "A");
    const float* B = array_data<float>(env, info[4], napi_float32_array, napi_float32_array, 0, "B");
    const BatchGeom g = batch_geom(info, alen, blen);
    float* C = array_data<float>(env, info[11], napi_float32_array, napi_float32_array, static_cast<size_t>(g.batch) * g.M * g.N, "C");
    fgemm_batched(pool_arg(info, 0), *bw_, *k_, A, B, g, C);
    return env.Undefined();
  }
  const FGemmKernel* k_ = nullptr;
  std::unique_ptr<BatchWorkspace> bw_;
};

class QGemmBatch : public Napi::ObjectWrap<QGemmBatch> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineClass(env, "QGemmBatch", {InstanceMethod("run", &QGemmBatch::Run), InstanceMethod("runRequant", &QGemmBatch::RunRequant), InstanceMethod("runScaled", &QGemmBatch::RunScaled)}); }
  // new QGemmBatch(kernel, threads)
  explicit QGemmBatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<QGemmBatch>(info) {
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    k_ = find_q(name);
    if (!k_ || !runs(machine().isas, k_->needs) || k_->needs_7bit) throw Napi::Error::New(info.Env(), "QGemmBatch: kernel \"" + name + "\" is not available on this CPU");
    const int threads = int_arg(info, 1, "threads");
    bw_ = std::make_unique<BatchWorkspace>(k_->scratch_bytes, threads < 1 ? 1 : threads);
  }

 private:
  struct Ops {
    const uint8_t* A;
    const uint8_t* B;
    bool as, bs;
    BatchGeom g;
    int32_t za, zb;
  };
  Ops ops(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const size_t alen = typed_length(env, info[1], "A"), blen = typed_length(env, info[4], "B");
    Ops o{};
    o.as = info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    o.bs = info[4].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    o.A = array_data<uint8_t>(env, info[1], napi_uint8_array, napi_int8_array, 0, "A");
    o.B = array_data<uint8_t>(env, info[4], napi_uint8_array, napi_int8_array, 0, "B");
    o.g = batch_geom(info, alen, blen);
    if (!info[11].IsNumber() || !info[12].IsNumber()) throw Napi::TypeError::New(env, "za / zb: expected numbers");
    o.za = info[11].As<Napi::Number>().Int32Value();
    o.zb = info[12].As<Napi::Number>().Int32Value();
    if (o.za < (o.as ? -128 : 0) || o.za > (o.as ? 127 : 255) || o.zb < (o.bs ? -128 : 0) || o.zb > (o.bs ? 127 : 255)) throw Napi::RangeError::New(env, "za / zb: outside the operand's type");
    return o;
  }
  // run(pool, A, aOff, lda, B, bOff, ldb, bTrans, M, K, N, za, zb, C Int32Array [batch, M, N])
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Ops o = ops(info);
    int32_t* C = array_data<int32_t>(env, info[13], napi_int32_array, napi_int32_array, static_cast<size_t>(o.g.batch) * o.g.M * o.g.N, "C");
    qgemm_batched(pool_arg(info, 0), *bw_, *k_, o.A, o.as, o.B, o.bs, o.g, o.za, o.zb, C, nullptr);
    return env.Undefined();
  }
  // runRequant(pool, A, aOff, lda, B, bOff, ldb, bTrans, M, K, N, za, zb, mult Float32Array (1), yZeroPoint,
  //            Y Uint8Array | Int8Array [batch, M, N])
  Napi::Value RunRequant(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Ops o = ops(info);
    const float* mult = array_data<float>(env, info[13], napi_float32_array, napi_float32_array, 1, "mult");
    if (!info[14].IsNumber()) throw Napi::TypeError::New(env, "yZeroPoint: expected a number");
    const int32_t yzp = info[14].As<Napi::Number>().Int32Value();
    const bool ys = info[15].IsTypedArray() && info[15].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
    uint8_t* Y = array_data<uint8_t>(env, info[15], napi_uint8_array, napi_int8_array, static_cast<size_t>(o.g.batch) * o.g.M * o.g.N, "Y");
    const Requant r{mult, 1, yzp, ys, Y};
    qgemm_batched(pool_arg(info, 0), *bw_, *k_, o.A, o.as, o.B, o.bs, o.g, o.za, o.zb, nullptr, &r);
    return env.Undefined();
  }
  // runScaled(pool, A, aOff, lda, B, bOff, ldb, bTrans, M, K, N, za, zb, scale (number), Y Float32Array [batch, M, N]):
  // y = float(acc) * fround(scale), one float32 product (the dynamic-int8 epilogue without bias)
  Napi::Value RunScaled(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Ops o = ops(info);
    if (!info[13].IsNumber()) throw Napi::TypeError::New(env, "scale: expected a number");
    const float scale = static_cast<float>(info[13].As<Napi::Number>().DoubleValue());
    float* Y = array_data<float>(env, info[14], napi_float32_array, napi_float32_array, static_cast<size_t>(o.g.batch) * o.g.M * o.g.N, "Y");
    qgemm_batched(pool_arg(info, 0), *bw_, *k_, o.A, o.as, o.B, o.bs, o.g, o.za, o.zb, nullptr, nullptr, Y, scale);
    return env.Undefined();
  }
  const QGemmKernel* k_ = nullptr;
  std::unique_ptr<BatchWorkspace> bw_;
};

// quantizeLinear(x Float32Array, scale Float32Array, zp Uint8Array | Int8Array | null, outer, C, inner, y Uint8Array | Int8Array)
// (scale / zp of length 1: per tensor; of length C: per axis)
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
  LOWBIT_EW512(quantize_linear, x, s, z, ys, outer, C, inner, sn != 1, y);
  return env.Undefined();
}

// dequantizeLinear(x Uint8Array | Int8Array, scale, zp | null, outer, C, inner, y Float32Array)
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
  LOWBIT_EW(dequantize_linear, x, xs, s, z, outer, C, inner, sn != 1, y);
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
  const int batch = int_arg(info, 3, "batch"), M = int_arg(info, 6, "M");
  if (!info[2].IsTypedArray() || !info[5].IsTypedArray()) throw Napi::TypeError::New(env, "X, W: expected typed arrays");
  const bool xs = info[2].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  const bool ws = info[5].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  const size_t xlen = info[2].As<Napi::TypedArray>().ElementLength();
  const int32_t* gp = array_data<int32_t>(env, info[4], napi_int32_array, napi_int32_array, 13, "geometry");
  const int taps = gp[3] * gp[4];
  const ConvGeom g = geom_arg(env, info[4], gp[0] * taps, batch, xlen);
  if (M < 1 || M % g.C != 0) throw Napi::RangeError::New(env, "dwConv: M must be a positive multiple of C");
  const uint8_t* X = array_data<uint8_t>(env, info[2], napi_uint8_array, napi_int8_array, 0, "X");
  const uint8_t* W = array_data<uint8_t>(env, info[5], napi_uint8_array, napi_int8_array, static_cast<size_t>(M) * taps, "W");
  const int32_t xzp = info[7].As<Napi::Number>().Int32Value();
  int32_t zw[1] = {0};
  const int32_t* zwp = zw;
  int zwn = 1;
  std::vector<int32_t> zbuf;
  zpoint(env, info[8], M, "w_zero_point", zw, zwp, zwn, zbuf);
  const size_t ylen = static_cast<size_t>(batch) * M * g.OH * g.OW;
  if (info[9].IsNull() || info[9].IsUndefined()) {
    int32_t* Y = array_data<int32_t>(env, info[11], napi_int32_array, napi_int32_array, ylen, "Y");
    fn(pool_arg(info, 1), X, xs, W, ws, batch, M, g, xzp, zwp, zwn, Y, nullptr, nullptr);
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
  fn(pool_arg(info, 1), X, xs, W, ws, batch, M, g, xzp, zwp, zwn, nullptr, &r, Y);
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

// globalAvgPool(x Float32Array (rows * plane), rows, plane, y Float32Array (rows))
Napi::Value GlobalAvgPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t rows = int_arg(info, 1, "rows"), plane = int_arg(info, 2, "plane");
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, rows * plane, "x");
  float* y = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, rows, "y");
  LOWBIT_EW(global_avg_pool_f32, x, rows, plane, y);
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
  size_t r = 0;
  // Four rows at a time: four independent running sums, each still in its own row's order.
  for (; r + 4 <= rows; r += 4) {
    const uint8_t* x0 = x + r * plane;
    const uint8_t *x1 = x0 + plane, *x2 = x1 + plane, *x3 = x2 + plane;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (size_t j = 0; j < plane; j++) {
      a0 += t[x0[j]];
      a1 += t[x1[j]];
      a2 += t[x2[j]];
      a3 += t[x3[j]];
    }
    y[r] = static_cast<float>(static_cast<double>(a0) / static_cast<double>(plane));
    y[r + 1] = static_cast<float>(static_cast<double>(a1) / static_cast<double>(plane));
    y[r + 2] = static_cast<float>(static_cast<double>(a2) / static_cast<double>(plane));
    y[r + 3] = static_cast<float>(static_cast<double>(a3) / static_cast<double>(plane));
  }
  for (; r < rows; r++) {
    const uint8_t* xr = x + r * plane;
    float acc = 0.0f;
    for (size_t j = 0; j < plane; j++) acc += t[xr[j]];
    y[r] = static_cast<float>(static_cast<double>(acc) / static_cast<double>(plane));
  }
  return env.Undefined();
}

// lookupMulQuantize(x Uint8Array (N * C * plane bytes), table Float32Array of 256, gate Float32Array, N, C, plane,
// gateStrideN, gateStrideC, scale, zeroPoint, signed (bool), y Uint8Array (as x)): lowbit.QLookupMulQuantize with one
// gate value per [n, c] plane (gate[n * gateStrideN + c * gateStrideC]): y = saturate(roundHalfEven(float(float(
// table[x] * g) / scale)) + zeroPoint), NaN giving the range's low end; written as bytes (int8 as its bits). A plane
// of 256 or more elements goes through a 256-entry byte table made for its gate value.
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
      if (plane >= 2048) {
        for (int k = 0; k < 256; k++) bytes[k] = quant(t[k] * g);
        for (size_t j = 0; j < plane; j++) y[start + j] = bytes[x[start + j]];
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
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "x: expected a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, n, "x");
  const float c1 = info[1].As<Napi::Number>().FloatValue();
  const bool div = info[2].ToBoolean().Value();
  const float c2 = info[3].As<Napi::Number>().FloatValue(), c3 = info[4].As<Napi::Number>().FloatValue();
  const bool scale_first = info[5].ToBoolean().Value();
  if (info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    const Q8Out q = q8_out(info, 6, n);
    float buf[1024];
    for (size_t i = 0; i < n; i += 1024) {
      const size_t m = n - i < 1024 ? n - i : 1024;
      LOWBIT_EW512(gelu_f32, x + i, m, c1, div, c2, c3, scale_first, buf);
      LOWBIT_EW512(quantize_linear, buf, &q.scale, &q.zp, q.sign, 1, 1, m, false, q.y + i);
    }
    return env.Undefined();
  }
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, n, "y");
  LOWBIT_EW512(gelu_f32, x, n, c1, div, c2, c3, scale_first, y);
  return env.Undefined();
}

// softmax(x Float32Array, rows, n, y Float32Array): softmax over the last axis of a [rows, n] view
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int rows = int_arg(info, 1, "rows"), n = int_arg(info, 2, "n");
  const size_t total = static_cast<size_t>(rows) * n;
  const float* x = array_data<float>(env, info[0], napi_float32_array, napi_float32_array, total, "x");
  float* y = array_data<float>(env, info[3], napi_float32_array, napi_float32_array, total, "y");
  LOWBIT_EW512(softmax_f32, x, rows, n, y);
  return env.Undefined();
}

const float* optional_f32(const Napi::Env& env, const Napi::Value& v, size_t need, const char* what) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return array_data<float>(env, v, napi_float32_array, napi_float32_array, need, what);
}

// layerNorm(x, outer, inner, scale (inner), bias (inner) | null, eps, y, mean (outer) | null, inv (outer) | null)
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
    const Q8Out q = q8_out(info, 6, total);
    constexpr size_t kBuf = 8192;
    float stack[kBuf];
    std::unique_ptr<float[]> heap(static_cast<size_t>(inner) * 8 > kBuf ? new float[static_cast<size_t>(inner) * 8] : nullptr);
    float* buf = heap ? heap.get() : stack;
    const size_t rows = heap ? 8 : kBuf / inner;
    for (size_t r = 0; r < static_cast<size_t>(outer); r += rows) {
      const size_t k = outer - r < rows ? outer - r : rows;
      LOWBIT_EW(layer_norm_f32, x + r * inner, k, inner, scale, bias, eps, buf, nullptr, nullptr);
      LOWBIT_EW512(quantize_linear, buf, &q.scale, &q.zp, q.sign, 1, 1, k * inner, false, q.y + r * inner);
    }
    return env.Undefined();
  }
  float* y = array_data<float>(env, info[6], napi_float32_array, napi_float32_array, total, "y");
  float* mean = const_cast<float*>(optional_f32(env, info[7], outer, "mean"));
  float* inv = const_cast<float*>(optional_f32(env, info[8], outer, "invStdDev"));
  LOWBIT_EW(layer_norm_f32, x, outer, inner, scale, bias, eps, y, mean, inv);
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

// transpose(x TypedArray, dims Int32Array, strides Int32Array, y TypedArray of x's type and dims' product elements)
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
  LOWBIT_EW(transpose, x, esize, w.rank, w.dims, st, y);
  return env.Undefined();
}

// binary(op 0..3, a Float32Array, b Float32Array, y Float32Array, dims Int32Array, sa Int32Array, sb Int32Array)
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
  LOWBIT_EW(binary_f32, op, a, b, y, w.rank, w.dims, sa, sb);
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
  return Napi::Boolean::New(env, LOWBIT_EW512(dynamic_quantize_linear, x, n, y, s, z));
}

/** Core clock in GHz, measured with a chain of dependent 1-cycle integer adds (for the benchmark's peak figures). */
Napi::Value ClockGhz(const Napi::CallbackInfo& info) {
  double best = 0;
  for (int rep = 0; rep < 40; rep++) {  // the fastest repetition: the least disturbed by other processes
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t x = 0, one = 1;
    constexpr int iters = 300000;
    for (int i = 0; i < iters; i++) {
#if defined(__x86_64__)
      // Register-register adds: renamers fold dependent add-immediate chains, not these.
      __asm__ volatile(
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
          : "+r"(x) : "r"(one));
#elif defined(__aarch64__)
      __asm__ volatile(
          "add %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\t"
          "add %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1"
          : "+r"(x) : "r"(one));
#else
      x += 10;
#endif
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double ghz = 10.0 * iters / s / 1e9 + static_cast<double>(x & 0) ;
    best = ghz > best ? ghz : best;
  }
  return Napi::Number::New(info.Env(), best);
}

/**
 * clockUnderLoadGhz(width): the clock while running dependent FMAs of `width` bits (256 or 512), assuming the
 * 4-cycle FMA latency of recent Intel and AMD cores: wide SIMD can lower the clock below the scalar one.
 */
Napi::Value ClockUnderLoadGhz(const Napi::CallbackInfo& info) {
  const int width = info[0].As<Napi::Number>().Int32Value();
  const uint32_t isas = detect_isas();
  if ((width == 512 && !(isas & ISA_AVX512)) || (width == 256 && !(isas & ISA_AVX2)) || (width != 256 && width != 512))
    return info.Env().Null();
#if defined(__x86_64__)
  double best = 0;
  constexpr long n = 2000000;
  volatile float sink = 0;
  for (int rep = 0; rep < 15; rep++) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + (width == 512 ? fma_chain_avx512(n) : fma_chain_avx2(n));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double ghz = 4.0 * n / s / 1e9;
    best = ghz > best ? ghz : best;
  }
  return Napi::Number::New(info.Env(), best);
#else
  return info.Env().Null();
#endif
}

/**
 * tuneMalloc(mmapThresholdBytes, retainBytes) -> { applied, reason }: glibc's malloc serves a block of at least
 * M_MMAP_THRESHOLD with its own mmap (unmapped again by free) and returns the free top of the heap to the OS once it
 * exceeds M_TRIM_THRESHOLD, keeping only M_TOP_PAD; either way the next large block (a session's fresh output tensor:
 * V8 ArrayBuffer backing stores come from malloc and are freed at GC, in batches) faults every one of its pages in
 * again. This raises the mmap threshold and sets the trim threshold and the top pad both to `retainBytes`: a free heap
 * top above it is trimmed down to it, not to nothing (no cliff when one GC frees a batch a little above the bound).
 * Skipped (applied false, the reason says why) where malloc is not glibc's, or the user chose the settings through
 * MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_ or GLIBC_TUNABLES' glibc.malloc.* (their values
 * stay). The settings are process-wide: the first call decides.
 */
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double mmapBytes = info[0].As<Napi::Number>().DoubleValue();
  const double retainBytes = info[1].As<Napi::Number>().DoubleValue();
  Napi::Object o = Napi::Object::New(env);
  static std::mutex lock;  // worker threads load the same addon
  static std::string decided;  // the first call's outcome
  static bool applied = false;
  const std::lock_guard<std::mutex> held(lock);
  if (!decided.empty()) {
    o.Set("applied", applied);
    o.Set("reason", decided + " (decided by an earlier call in this process)");
    return o;
  }
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const char* user = std::getenv("MALLOC_MMAP_THRESHOLD_") ? "MALLOC_MMAP_THRESHOLD_"
                     : std::getenv("MALLOC_TRIM_THRESHOLD_") ? "MALLOC_TRIM_THRESHOLD_"
                     : std::getenv("MALLOC_TOP_PAD_")        ? "MALLOC_TOP_PAD_"
                     : (tunables && std::strstr(tunables, "glibc.malloc.")) ? "GLIBC_TUNABLES (glibc.malloc.*)"
                                                                           : nullptr;
  if (user) {
    decided = std::string("the environment sets ") + user + ": glibc's malloc settings left as the user chose";
  } else if (!(mmapBytes >= 0 && mmapBytes <= 32.0 * 1024 * 1024 && retainBytes >= 0 && retainBytes <= 1024.0 * 1024 * 1024)) {
    decided = "thresholds out of range (mmap threshold at most 32 MiB, retained heap top at most 1 GiB)";
  } else if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmapBytes)) != 1 || mallopt(M_TRIM_THRESHOLD, static_cast<int>(retainBytes)) != 1 ||
             mallopt(M_TOP_PAD, static_cast<int>(retainBytes)) != 1) {
    decided = "glibc refused mallopt";
  } else {
    applied = true;
    decided = "glibc malloc: M_MMAP_THRESHOLD " + std::to_string(static_cast<long>(mmapBytes) >> 20) + " MiB, M_TRIM_THRESHOLD and M_TOP_PAD " +
              std::to_string(static_cast<long>(retainBytes) >> 20) + " MiB";
  }
#else
  (void)mmapBytes;
  (void)retainBytes;
  decided = "malloc is not glibc's: nothing to tune";
#endif
  o.Set("applied", applied);
  o.Set("reason", decided);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc));
  exports.Set("clockUnderLoadGhz", Napi::Function::New(env, ClockUnderLoadGhz));
  exports.Set("clockGhz", Napi::Function::New(env, ClockGhz));
  exports.Set("quantizeLinear", Napi::Function::New(env, QuantizeLinear));
  exports.Set("dequantizeLinear", Napi::Function::New(env, DequantizeLinear));
  exports.Set("dequantizeBias", Napi::Function::New(env, DequantizeBias));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("dwConv", Napi::Function::New(env, DwConv));
  exports.Set("dwConvF", Napi::Function::New(env, DwConvF));
  exports.Set("scaleAccumulators", Napi::Function::New(env, ScaleAccumulators));
  exports.Set("erf", Napi::Function::New(env, Erf));
  exports.Set("relu", Napi::Function::New(env, Relu));
  exports.Set("clip", Napi::Function::New(env, Clip));
  exports.Set("globalAvgPool", Napi::Function::New(env, GlobalAvgPool));
  exports.Set("gelu", Napi::Function::New(env, Gelu));
  exports.Set("castI32F32", Napi::Function::New(env, CastI32F32));
  exports.Set("lookupU8", Napi::Function::New(env, Lookup<uint8_t, napi_uint8_array>));
  exports.Set("lookupU32", Napi::Function::New(env, Lookup<uint32_t, napi_uint32_array>));
  exports.Set("lookupGap", Napi::Function::New(env, LookupGap));
  exports.Set("lookupMulQuantize", Napi::Function::New(env, LookupMulQuantize));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("dynamicQuantizeLinear", Napi::Function::New(env, DynamicQuantizeLinear));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("Pool", Pool::Define(env));
  exports.Set("QGemm", QGemm::Define(env));
  exports.Set("FGemm", FGemm::Define(env));
  exports.Set("FGemmBatch", FGemmBatch::Define(env));
  exports.Set("QGemmBatch", QGemmBatch::Define(env));
  return exports;
}

}  // namespace
}  // namespace lowbit

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return lowbit::Init(env, exports); }

NODE_API_MODULE(lowbit_native, InitAddon)
