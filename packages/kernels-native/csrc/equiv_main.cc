// Standalone equivalence executable (no Node): every int8 and float GEMM kernel this CPU runs, on edge shapes, all
// signedness combinations, scalar / per-row / per-column zero points, 7-bit and full-range weights, 1 and 3 threads.
// int8 results must equal a naive int32 wrap-around reference bit for bit; float kernels must equal the scalar-c
// kernel bit for bit (same FMA order) and stay within K * 2^-23 * sum|a*b| of a double-precision reference.
// Usage: lowbit_equiv [--quick]. Exit status 0 when everything matches.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <chrono>
#include <vector>

#include "common.h"
#include "ops.h"
#include "threadpool.h"

using namespace lowbit;

namespace {

int failures = 0, checks = 0;

void ref_q(const std::vector<uint8_t>& A, bool as, const std::vector<uint8_t>& B, bool bs, int M, int K, int N,
           const std::vector<int32_t>& za, const std::vector<int32_t>& zb, std::vector<int32_t>& C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      uint32_t acc = 0;
      const int32_t a0 = za.size() == 1 ? za[0] : za[i], b0 = zb.size() == 1 ? zb[0] : zb[j];
      for (int k = 0; k < K; k++) {
        const int32_t av = as ? static_cast<int8_t>(A[i * K + k]) : A[i * K + k];
        const int32_t bv = bs ? static_cast<int8_t>(B[k * N + j]) : B[k * N + j];
        acc += static_cast<uint32_t>((av - a0) * (bv - b0));
      }
      C[i * N + j] = static_cast<int32_t>(acc);
    }
}

void check_q(const QGemmKernel& k, ThreadPool* pool, std::mt19937& rng, int M, int K, int N, bool as, bool bs, bool seven,
             int zamode, int zbmode) {
  std::vector<uint8_t> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N);
  for (auto& v : A) v = static_cast<uint8_t>(rng());
  for (auto& v : B) {
    v = static_cast<uint8_t>(rng());
    if (seven) v = bs ? static_cast<uint8_t>(static_cast<int8_t>((v & 0x7f) - 64)) : static_cast<uint8_t>(v & 0x7f);
  }
  // Saturation edges in the first elements.
  if (!A.empty()) A[0] = as ? 0x80 : 0xff;
  if (!B.empty() && !seven) B[0] = bs ? 0x80 : 0xff;
  auto zp = [&](int mode, int n, bool s) {
    std::vector<int32_t> z(mode == 0 ? 1 : n);
    for (auto& v : z) v = mode == 2 ? 0 : (s ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng()));
    if (z.empty()) z.push_back(0);
    return z;
  };
  std::vector<int32_t> za = zp(zamode == 1 ? 1 : 0, M, as), zb = zp(zbmode == 1 ? 1 : 0, N, bs);
  if (zamode == 2) za = {0};
  std::vector<int32_t> want(static_cast<size_t>(M) * N), got(static_cast<size_t>(M) * N, 0x5a5a5a5a);
  ref_q(A, as, B, bs, M, K, N, za, zb, want);
  QPackedB pb;
  if (!qpack(k, B.data(), bs, K, N, &pb)) {
    std::printf("FAIL %s: pack refused 7-bit=%d weights\n", k.name, seven);
    failures++;
    return;
  }
  Workspace ws(k.scratch_bytes, pool ? pool->size() : 1);
  qgemm(pool, ws, k, pb, A.data(), as, M, za.data(), static_cast<int>(za.size()), zb.data(), static_cast<int>(zb.size()), got.data());
  qfree(&pb);
  checks++;
  for (size_t i = 0; i < want.size(); i++)
    if (want[i] != got[i]) {
      std::printf("FAIL %s M=%d K=%d N=%d a%s b%s 7bit=%d za=%zu zb=%zu threads=%d: C[%zu] = %d, expected %d\n", k.name, M, K, N,
                  as ? "s8" : "u8", bs ? "s8" : "u8", seven, za.size(), zb.size(), pool ? pool->size() : 1, i, got[i], want[i]);
      failures++;
      return;
    }
}

void check_f(const FGemmKernel& k, const FGemmKernel& ref, ThreadPool* pool, std::mt19937& rng, int M, int K, int N, bool trans, bool bias) {
  std::uniform_real_distribution<float> u(-4.f, 4.f);
  std::vector<float> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N), bv(N);
  for (auto& v : A) v = u(rng);
  for (auto& v : B) v = u(rng);
  for (auto& v : bv) v = u(rng);
  FPackedB pb, pr;
  fpack(k, B.data(), K, N, trans, &pb);
  fpack(ref, B.data(), K, N, trans, &pr);
  Workspace ws(k.scratch_bytes, pool ? pool->size() : 1), wr(ref.scratch_bytes, 1);
  std::vector<float> got(static_cast<size_t>(M) * N, NAN), exp(static_cast<size_t>(M) * N, NAN);
  fgemm(pool, ws, k, pb, A.data(), M, bias ? bv.data() : nullptr, got.data());
  fgemm(nullptr, wr, ref, pr, A.data(), M, bias ? bv.data() : nullptr, exp.data());
  ffree(&pb);
  ffree(&pr);
  checks++;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double d = bias ? bv[j] : 0.0, mag = bias ? std::fabs(bv[j]) : 0.0;
      for (int kk = 0; kk < K; kk++) {
        const double b = trans ? B[static_cast<size_t>(j) * K + kk] : B[static_cast<size_t>(kk) * N + j];
        d += A[static_cast<size_t>(i) * K + kk] * b;
        mag += std::fabs(A[static_cast<size_t>(i) * K + kk] * b);
      }
      const float g = got[static_cast<size_t>(i) * N + j], e = exp[static_cast<size_t>(i) * N + j];
      const double bound = (K + 2) * std::ldexp(1.0, -23) * mag + 1e-30;
      if (std::memcmp(&g, &e, 4) != 0 || std::fabs(g - d) > bound) {
        std::printf("FAIL %s M=%d K=%d N=%d trans=%d: C[%d,%d] = %.9g, scalar-c %.9g, exact %.9g (bound %.3g)\n", k.name, M, K, N, trans, i, j, g, e, d, bound);
        failures++;
        return;
      }
    }
}

}  // namespace

/** The pool runs every piece exactly once, back to back runs included (workers spinning, sleeping, or late). */
void check_pool(std::mt19937& rng, int runs) {
  const int before = failures;
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(64);
    int bad = 0;
    for (int r = 0; r < runs; r++) {
      const int tasks = 1 + static_cast<int>(rng() % 40);
      for (int t = 0; t < tasks; t++) hits[t].store(0);
      // Every few runs the caller pauses so workers go to sleep, exercising the wake-up path too.
      if (r % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds(r % 3 == 0 ? 1500 : 50));
      pool.run(tasks, [&](int t) { hits[t].fetch_add(1); });
      for (int t = 0; t < tasks; t++) bad += hits[t].load() != 1;
    }
    checks++;
    if (bad) {
      failures++;
      std::printf("FAIL pool(%d): %d pieces not run exactly once\n", threads, bad);
    }
  }
  std::printf("%s thread pool: %d runs on 2, 3 and 5 threads\n", failures == before ? "ok  " : "FAIL", runs);
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const uint32_t isas = detect_isas();
  const bool amx = (isas & ISA_AMXINT8) && request_amx_permission();
  char brand[64];
  cpu_brand(brand);
  std::printf("lowbit_equiv on %s (isa bits 0x%x, amx permission %s)\n", brand, isas, amx ? "granted" : "no");
  ThreadPool pool3(3);
  std::mt19937 rng(12345);
  check_pool(rng, quick ? 3000 : 20000);
  const int shapes[][3] = {{1, 1, 1}, {1, 7, 5}, {2, 3, 17}, {5, 64, 33}, {6, 65, 16}, {7, 130, 31}, {1, 300, 70},
                           {13, 129, 65}, {33, 200, 48}, {48, 520, 40}, {97, 77, 129}, {1, 1100, 33}, {64, 1030, 64},
                           {49, 4, 1},  // 49 x 1 panel on 3 threads: one thread gets a single row
                           {131, 1601, 20},   // several row and k blocks of unequal split, a partial 64-column panel
                           {4, 768, 3400}};  // 3 threads: A packed once, columns in 6 pieces claimed in turn
  const QGemmKernel* const* qk;
  const int nq = qgemm_kernels(&qk);
  for (int v = 0; v < nq; v++) {
    const QGemmKernel& k = *qk[v];
    if ((k.needs & isas) != k.needs || (k.needs & ISA_AMXINT8 && !amx)) {
      std::printf("skip %s: not supported by this CPU\n", k.name);
      continue;
    }
    const int before = failures, c0 = checks;
    for (const auto& s : shapes)
      for (int sg = 0; sg < 4; sg++)
        for (int seven = 0; seven < 2; seven++) {
          if (k.needs_7bit && !seven) continue;
          for (int zm = 0; zm < 3; zm++) {
            // --quick: one zero-point mode per shape, on 3 threads for the last shape only
            if (quick && zm != (&s == &shapes[sizeof(shapes) / sizeof(shapes[0]) - 1] ? 1 : 0)) continue;
            ThreadPool* p = (zm == 1) ? &pool3 : nullptr;
            check_q(k, p, rng, s[0], s[1], s[2], sg & 1, sg & 2, seven, zm, (zm + 1) % 3);
          }
        }
    std::printf("%s %s: %d int8 cases\n", failures == before ? "ok  " : "FAIL", k.name, checks - c0);
  }
  const FGemmKernel* const* fk;
  const int nf = fgemm_kernels(&fk);
  for (int v = 0; v < nf; v++) {
    const FGemmKernel& k = *fk[v];
    if ((k.needs & isas) != k.needs) {
      std::printf("skip float %s: not supported by this CPU\n", k.name);
      continue;
    }
    const int before = failures, c0 = checks;
    for (const auto& s : shapes)
      for (int t = 0; t < 2; t++) check_f(k, *fk[0], t ? &pool3 : nullptr, rng, s[0], s[1] + (quick ? 0 : 300 * t), s[2], t, t);
    std::printf("%s float %s: %d cases\n", failures == before ? "ok  " : "FAIL", k.name, checks - c0);
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
