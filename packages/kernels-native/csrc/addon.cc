// N-API binding (node-addon-api). Zero-copy: typed arrays are read and written in place; every length is checked
// here, once, before a kernel runs. This file: machine info, clock / malloc helpers and Init; the op families'
// bindings are in addon_gemm.cc (QGemm, FGemm), addon_batched.cc, addon_conv.cc, addon_lookup.cc and addon_qdq.cc.
// Kernels are looked up by name and refused when this CPU lacks their ISA.
#include <napi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "addon_util.h"

namespace lowbit {
namespace {

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
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("Pool", Pool::Define(env));
  register_gemm(env, exports);
  register_batched(env, exports);
  register_qdq(env, exports);
  register_conv(env, exports);
  register_lookup(env, exports);
  return exports;
}

}  // namespace
}  // namespace lowbit

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return lowbit::Init(env, exports); }

NODE_API_MODULE(lowbit_native, InitAddon)