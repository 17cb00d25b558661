// N-API binding: FGemmBatch / QGemmBatch, batched GEMMs of two activations (attention heads in one call).
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "addon_util.h"
#include "batched.h"

namespace lowbit {
namespace {

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

}  // namespace

void register_batched(Napi::Env env, Napi::Object exports) {
  exports.Set("FGemmBatch", FGemmBatch::Define(env));
  exports.Set("QGemmBatch", QGemmBatch::Define(env));
}

}  // namespace lowbit
