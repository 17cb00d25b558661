// Shared by the N-API binding's translation units (addon*.cc): CPU / kernel lookup, the ISA switches of the
// element-wise builds, checked typed-array access and the Pool object. Header-only (inline), included by the addon only.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "conv.h"
#include "ops.h"
#include "threadpool.h"

namespace lowbit {

struct Machine {
  uint32_t isas = 0;
  bool amx = false;
};

inline Machine machine() {
  Machine m;
  m.isas = detect_isas();
  if (m.isas & ISA_AMXINT8) m.amx = request_amx_permission();
  if (!m.amx) m.isas &= ~ISA_AMXINT8;
  return m;
}

inline bool runs(uint32_t isas, uint32_t needs) { return (needs & isas) == needs; }

inline const QGemmKernel* find_q(const std::string& name) {
  const QGemmKernel* const* list;
  const int n = qgemm_kernels(&list);
  for (int i = 0; i < n; i++)
    if (name == list[i]->name) return list[i];
  return nullptr;
}
inline const FGemmKernel* find_f(const std::string& name) {
  const FGemmKernel* const* list;
  const int n = fgemm_kernels(&list);
  for (int i = 0; i < n; i++)
    if (name == list[i]->name) return list[i];
  return nullptr;
}

// The AVX2 builds of elementwise.h and qdq.h's kernels when this CPU has AVX2 (identical results, wider loops).
inline bool use_avx2() {
#if defined(__x86_64__)
  static const bool yes = (detect_isas() & ISA_AVX2) != 0;
  return yes;
#else
  return false;
#endif
}
// The AVX-512 builds of erf/gelu/softmax (erf/gelu: the AVX2 build's results) and DynamicQuantizeLinear (identical
// results) when this CPU has AVX-512 F/BW/VL/DQ.
inline bool use_avx512() {
#if defined(__x86_64__)
  static const bool yes = (detect_isas() & ISA_AVX512) != 0;
  return yes;
#else
  return false;
#endif
}
// The AVX512-VNNI builds (depthwise int8) when this CPU has AVX-512 F/BW/VL/DQ and AVX512-VNNI.
inline bool use_avx512vnni() {
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

// ---- typed-array access -----------------------------------------------------------------------------------------

template <class T>
inline T* array_data(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type want1, napi_typedarray_type want2, size_t need, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected a typed array");
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  if (t.TypedArrayType() != want1 && t.TypedArrayType() != want2) throw Napi::TypeError::New(env, std::string(what) + ": wrong typed array type");
  if (t.ElementLength() < need)
    throw Napi::RangeError::New(env, std::string(what) + ": has " + std::to_string(t.ElementLength()) + " elements, needs " + std::to_string(need));
  return reinterpret_cast<T*>(static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset());
}

/** A Uint8Array / Int8Array argument of at least `need` elements with one N-API call (the bound per-call paths):
 *  its data (byte offset applied) and whether it is an Int8Array. */
inline uint8_t* bytes_arg(const Napi::Env& env, const Napi::Value& v, size_t need, const char* what, bool* is_signed) {
  napi_typedarray_type t;
  size_t len = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, nullptr, nullptr) != napi_ok)  // not a typed array
    throw Napi::TypeError::New(env, std::string(what) + ": expected a Uint8Array or Int8Array");
  if (t != napi_uint8_array && t != napi_int8_array) throw Napi::TypeError::New(env, std::string(what) + ": expected a Uint8Array or Int8Array");
  if (len < need) throw Napi::RangeError::New(env, std::string(what) + ": has " + std::to_string(len) + " elements, needs " + std::to_string(need));
  *is_signed = t == napi_int8_array;
  return static_cast<uint8_t*>(data);
}

inline int int_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d)))
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected an integer in [0, 2^31)");
  return static_cast<int>(d);
}

/** A ConvGeom from an Int32Array of 13 values, checked against the packed K and the input length. */
inline ConvGeom geom_arg(const Napi::Env& env, const Napi::Value& v, int K, int batch, size_t xlen) {
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
inline void zpoint(Napi::Env env, const Napi::Value& v, int n, const char* what, int32_t* one, const int32_t*& out, int& count, std::vector<int32_t>& buf) {
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

inline ThreadPool* pool_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "pool: expected a Pool");
  Pool* p = Pool::Unwrap(info[i].As<Napi::Object>());
  return p ? p->get() : nullptr;
}

/** An optional trailing pool argument at `i`: absent, null or undefined -> no pool (the caller's thread alone). */
inline ThreadPool* optional_pool(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i ? pool_arg(info, i) : nullptr; }

/** The optional trailing (kind, lo, hi, p, q) of runConvScaled / scaleAccumulators: FloatAct (common.h); kind 0 none,
 *  1 Relu, 2 Clip with lo <= hi, 3 the HardSwish decomposition (Clip lo <= hi, add p, divisor q), 4 HardSigmoid(p, q). */
inline FloatAct float_act_arg(const Napi::CallbackInfo& info, size_t i) {
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

/** The optional range out-parameter of the float-output convolutions (a Float32Array of 3 at `i`): after the call
 *  [lo, hi, 1] when the epilogue gathered the output's range (RangeSink, common.h) and every value was finite, else
 *  [0, 0, 0] (the caller then runs DynamicQuantizeLinear's own range pass). */
struct RangeOut {
  float* out = nullptr;
  RangeSink sink;
  RangeOut(const Napi::CallbackInfo& info, size_t i) {
    if (info.Length() > i && !info[i].IsNull() && !info[i].IsUndefined()) out = array_data<float>(info.Env(), info[i], napi_float32_array, napi_float32_array, 3, "range");
  }
  RangeSink* get() { return out ? &sink : nullptr; }
  void write() {
    if (!out) return;
    const bool ok = sink.ok();
    out[0] = ok ? sink.lo : 0.0f;
    out[1] = ok ? sink.hi : 0.0f;
    out[2] = ok ? 1.0f : 0.0f;
  }
};

/**
 * The quantized input of a bound lowbit.DynamicQConv call (`runDynamicConvQ`): x_q (uint8, n values) at info[i], its
 * scale (a number, rounded to float32) at i + 1 and zero point (an integer 0..255) at i + 2.
 */
struct QuantIn {
  const uint8_t* x = nullptr;
  float scale = 0.0f;
  int32_t zp = 0;
  QuantIn(const Napi::CallbackInfo& info, size_t i, size_t n) {
    x = array_data<uint8_t>(info.Env(), info[i], napi_uint8_array, napi_uint8_array, n, "Xq");
    if (!info[i + 1].IsNumber()) throw Napi::TypeError::New(info.Env(), "xScale: expected a number");
    scale = static_cast<float>(info[i + 1].As<Napi::Number>().DoubleValue());
    zp = int_arg(info, i + 2, "xZeroPoint");
    if (zp > 255) throw Napi::RangeError::New(info.Env(), "xZeroPoint: expected an integer in [0, 255]");
  }
};

/**
 * The optional quantizing tail of a bound lowbit.DynamicQConvQuantize call: Yq (Uint8Array, n values), yScale
 * (Float32Array(1)) and yZeroPoint (Uint8Array(1)) at info[i .. i + 2] (all three, or none): DynamicQuantizeLinear of
 * the float result Y in the same call, from the range the convolution's epilogue gathered into `sink` when it did (no
 * range pass), else with dynamic_quantize_pooled's own. `run` is false (nothing written) for a non-finite Y.
 */
struct QuantOut {
  uint8_t* y = nullptr;
  float* s = nullptr;
  uint8_t* z = nullptr;
  RangeSink sink;
  QuantOut(const Napi::CallbackInfo& info, size_t i, size_t n) {
    if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return;
    y = array_data<uint8_t>(info.Env(), info[i], napi_uint8_array, napi_uint8_array, n, "Yq");
    s = array_data<float>(info.Env(), info[i + 1], napi_float32_array, napi_float32_array, 1, "yScale");
    z = array_data<uint8_t>(info.Env(), info[i + 2], napi_uint8_array, napi_uint8_array, 1, "yZeroPoint");
  }
  bool present() const { return y != nullptr; }
  bool run(ThreadPool* pool, const float* Y, size_t n);
};

/** DynamicQuantizeLinear of x with its range already known (lo = min(0, min x), hi = max(0, max x), finite: a
 *  RangeOut's): the parameters and bytes of dynamic_quantize_pooled without its range pass (addon_qdq.cc). */
void dynamic_quantize_ranged(ThreadPool* pool, const float* x, size_t n, float lo, float hi, uint8_t* y, float* s, uint8_t* z);

// One op family's bindings each (addon_*.cc), called from Init in addon.cc.
void register_gemm(Napi::Env env, Napi::Object exports);
void register_batched(Napi::Env env, Napi::Object exports);
void register_qdq(Napi::Env env, Napi::Object exports);
void register_conv(Napi::Env env, Napi::Object exports);
void register_lookup(Napi::Env env, Napi::Object exports);

/** DynamicQuantizeLinear of x (n values) into y, over the pool's threads for large x (addon_qdq.cc); false for an empty
 *  or non-finite x (nothing written). */
bool dynamic_quantize_pooled(ThreadPool* pool, const float* x, size_t n, uint8_t* y, float* s, uint8_t* z);

}  // namespace lowbit
