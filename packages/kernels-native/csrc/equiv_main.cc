// Standalone equivalence executable (no Node): every int8 and float GEMM kernel this CPU runs, on edge shapes, all
// signedness combinations, scalar / per-row / per-column zero points, 7-bit and full-range weights, 1 and 3 threads.
// int8 results must equal a naive int32 wrap-around reference bit for bit; float kernels must equal the scalar-c
// kernel bit for bit (same FMA order) and stay within K * 2^-23 * sum|a*b| of a double-precision reference.
// Usage: lowbit_equiv [--quick]. Exit status 0 when everything matches.
#include <algorithm>
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
#include "conv.h"
#include "dwconv.h"
#include "ops.h"
#include "qdq.h"
#include "threadpool.h"

using namespace lowbit;

namespace {

int failures = 0, checks = 0;
/** Float outputs whose range the writing epilogue gathered (RangeSink::merged > 0), by check_conv / check_dw_scaled. */
int ranges_gathered = 0;

/** A gathered range against the one DynamicQuantizeLinear's range pass finds in y (dynamic_range's steps: from 0,
 *  x < lo ? x : lo), bit for bit; a NaN anywhere must show as `bad`. True when nothing was gathered. */
bool range_matches(const RangeSink& s, const float* y, size_t n) {
  if (s.merged == 0) return true;
  ranges_gathered++;
  float lo = 0.0f, hi = 0.0f;
  bool nan = false;
  for (size_t i = 0; i < n; i++) {
    nan = nan || y[i] != y[i];
    lo = y[i] < lo ? y[i] : lo;
    hi = y[i] > hi ? y[i] : hi;
  }
  if (nan) return s.bad;
  return !s.bad && std::memcmp(&lo, &s.lo, 4) == 0 && std::memcmp(&hi, &s.hi, 4) == 0;
}

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

/**
 * qgemm_float (QFloatEpi) against the exact sums `want`, bit for bit, in one of three stages chosen in turn (scale;
 * requantize to u8 / s8 then dequantize), with or without bias; the multipliers include saturating, infinite and NaN
 * values (the requantize clamp and NaN lanes) and tiny ones.
 */
void check_qfloat(const QGemmKernel& k, const QPackedB& pb, Workspace& ws, ThreadPool* pool, std::mt19937& rng, const std::vector<uint8_t>& A,
                  bool as, int M, int N, const std::vector<int32_t>& za, const std::vector<int32_t>& zb, const std::vector<int32_t>& want) {
  static int turn = 0;
  const int mode = turn % 3;
  const bool bias = (turn / 3) % 2 == 0;
  turn++;
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const size_t padded = static_cast<size_t>(pb.panels) * pb.nr;
  std::vector<float> mult(padded, 0.0f), bv(padded, 0.0f);
  for (int j = 0; j < N; j++) {
    const int r = static_cast<int>(rng() % 16);
    mult[j] = r == 0 ? 1e30f : r == 1 ? INFINITY : r == 2 ? NAN : r == 3 ? -3e-38f : u(rng) * (mode ? 2e-3f : 1e-2f);
    bv[j] = u(rng) * 4.f;
  }
  QFloatEpi f{mult.data(), bias ? bv.data() : nullptr, mode != 0, 0, 0, 0, 0, 1.0f};
  if (mode) {
    f.qmin = mode == 2 ? -128 : 0;
    f.qmax = mode == 2 ? 127 : 255;
    f.zp = mode == 2 ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng());
    f.nanq = f.zp;
    f.ys = 0.0125f + u(rng) * 0.01f;
  }
  std::vector<float> got(static_cast<size_t>(M) * N, NAN);
  qgemm_float(pool, ws, k, pb, A.data(), as, M, za.data(), static_cast<int>(za.size()), zb.data(), static_cast<int>(zb.size()), f, got.data());
  checks++;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      const size_t at = static_cast<size_t>(i) * N + j;
      float e = static_cast<float>(want[at]) * mult[j];
      if (mode) {
        int32_t q;
        if (e != e) {
          q = f.nanq;
        } else {
          const double r = std::nearbyint(static_cast<double>(e)) + f.zp;
          q = static_cast<int32_t>(r < f.qmin ? f.qmin : (r > f.qmax ? f.qmax : r));
        }
        e = static_cast<float>(q - f.zp) * f.ys;
      }
      if (bias) e = e + bv[j];
      if (std::memcmp(&got[at], &e, 4) != 0) {
        std::printf("FAIL %s float stage %d bias=%d M=%d N=%d za=%zu zb=%zu threads=%d: Y[%d,%d] = %.9g, expected %.9g (acc %d, mult %g)\n", k.name,
                    mode, bias, M, N, za.size(), zb.size(), pool ? pool->size() : 1, i, j, got[at], e, want[at], mult[j]);
        failures++;
        return;
      }
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
  checks++;
  for (size_t i = 0; i < want.size(); i++)
    if (want[i] != got[i]) {
      std::printf("FAIL %s M=%d K=%d N=%d a%s b%s 7bit=%d za=%zu zb=%zu threads=%d: C[%zu] = %d, expected %d\n", k.name, M, K, N,
                  as ? "s8" : "u8", bs ? "s8" : "u8", seven, za.size(), zb.size(), pool ? pool->size() : 1, i, got[i], want[i]);
      failures++;
      qfree(&pb);
      return;
    }
  check_qfloat(k, pb, ws, pool, rng, A, as, M, N, za, zb, want);
  qfree(&pb);
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

// ---- convolution --------------------------------------------------------------------------------------------------

struct ConvCase {
  int batch, C, H, W, M, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr;
};

ConvGeom geom_of(const ConvCase& c) {
  const int OH = (c.H + c.pt + c.pb - ((c.KH - 1) * c.dh + 1)) / c.sh + 1, OW = (c.W + c.pl + c.pr - ((c.KW - 1) * c.dw + 1)) / c.sw + 1;
  return ConvGeom{c.C, c.H, c.W, c.KH, c.KW, c.pt, c.pl, c.sh, c.sw, c.dh, c.dw, OH, OW};
}

// 1x1 (direct from X), strided, padded, dilated, odd sizes, several batches; M across the strip splits.
const ConvCase kConvCases[] = {
    {1, 16, 12, 20, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   {2, 5, 7, 9, 13, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {1, 3, 17, 23, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},     {2, 8, 10, 11, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 7, 9, 70, 5, 2, 3, 1, 2, 2, 1, 0, 2, 1, 0},      {1, 4, 6, 6, 64, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},
    {1, 2, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},       {3, 6, 4, 3, 25, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2},
    {1, 32, 15, 15, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1},   {1, 9, 1, 1, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {1, 1, 40, 41, 3, 5, 5, 3, 2, 1, 2, 2, 3, 1, 2},     {1, 130, 6, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    // several chunks of 8 panels, the last one partial: 3x3 stride 2 (the first layer's shape), 1x1 over 700 pixels
    {1, 3, 41, 99, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},    {2, 6, 20, 35, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    // small K over many pixels (1x1 K 8 / 16 / 48, M across 1-3 strips), 3x3 RFB-like, many channels on a small plane
    {1, 8, 37, 29, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},    {1, 16, 24, 40, 29, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {1, 48, 10, 13, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   {1, 16, 13, 21, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 64, 4, 5, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     {1, 12, 11, 9, 8, 3, 3, 1, 1, 3, 3, 3, 3, 3, 3},
    // the channel-group rows by 16 columns: exactly 16 / 32 padded columns, stride 2 with odd widths and no padding,
    // C = 3 and 5 (a zero channel in the last group), row strips of whole pairs (M 32, 31, 6, 128)
    {1, 5, 9, 14, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},      {1, 3, 12, 31, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
    {1, 3, 10, 65, 16, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0},    {1, 6, 7, 30, 31, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 3, 13, 47, 8, 3, 3, 2, 1, 1, 1, 0, 2, 1, 0},     {1, 16, 9, 33, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {1, 8, 5, 7, 128, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
};

void conv_ref_q(const ConvCase& c, const ConvGeom& g, const std::vector<uint8_t>& X, bool xs, const std::vector<uint8_t>& Wt, bool ws,
                int32_t xz, const std::vector<int32_t>& zw, std::vector<int32_t>& Y) {
  const int P = g.OH * g.OW, K = c.C * c.KH * c.KW;
  for (int n = 0; n < c.batch; n++)
    for (int m = 0; m < c.M; m++)
      for (int oh = 0; oh < g.OH; oh++)
        for (int ow = 0; ow < g.OW; ow++) {
          uint32_t acc = 0;
          const int32_t z = zw[zw.size() == 1 ? 0 : m];
          for (int ci = 0; ci < c.C; ci++)
            for (int kh = 0; kh < c.KH; kh++)
              for (int kw = 0; kw < c.KW; kw++) {
                const int ih = oh * c.sh - c.pt + kh * c.dh, iw = ow * c.sw - c.pl + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const uint8_t xb = X[((static_cast<size_t>(n) * c.C + ci) * c.H + ih) * c.W + iw];
                const uint8_t wb = Wt[static_cast<size_t>(m) * K + (ci * c.KH + kh) * c.KW + kw];
                const int32_t xv = xs ? static_cast<int8_t>(xb) : xb, wv = ws ? static_cast<int8_t>(wb) : wb;
                acc += static_cast<uint32_t>((xv - xz) * (wv - z));
              }
          Y[(static_cast<size_t>(n) * c.M + m) * P + oh * g.OW + ow] = static_cast<int32_t>(acc);
        }
}

/** ConvInteger and QLinearConv of kernel k (threads 1, 2, 3: identical) against the naive int32 reference. */
void check_qconv(const QGemmKernel& k, ThreadPool* pools[3], std::mt19937& rng, const ConvCase& c, bool xs, bool ws, int zmode, bool seven) {
  const ConvGeom g = geom_of(c);
  const int P = g.OH * g.OW, K = c.C * c.KH * c.KW;
  std::vector<uint8_t> X(static_cast<size_t>(c.batch) * c.C * c.H * c.W), Wt(static_cast<size_t>(c.M) * K), Bt(Wt.size());
  for (auto& v : X) v = static_cast<uint8_t>(rng());
  for (auto& v : Wt) {
    v = static_cast<uint8_t>(rng());
    if (seven) v = ws ? static_cast<uint8_t>(static_cast<int8_t>((v & 0x7f) - 64)) : static_cast<uint8_t>(v & 0x7f);
  }
  if (!seven) Wt[0] = ws ? 0x80 : 0xff;
  for (int m = 0; m < c.M; m++)
    for (int kk = 0; kk < K; kk++) Bt[static_cast<size_t>(kk) * c.M + m] = Wt[static_cast<size_t>(m) * K + kk];
  const int32_t xz = zmode == 0 ? 0 : (xs ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng()));
  std::vector<int32_t> zw(zmode == 2 ? c.M : 1);
  for (auto& v : zw) v = zmode == 0 ? 0 : (ws ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng()));
  std::vector<int32_t> want(static_cast<size_t>(c.batch) * c.M * P);
  conv_ref_q(c, g, X, xs, Wt, ws, xz, zw, want);
  QPackedB pb;
  if (!qpack(k, Bt.data(), ws, K, c.M, &pb)) return;
  // QLinearConv: per-channel multipliers, a bias, and the reference requantize on the reference sums.
  std::vector<float> mult(c.M);
  std::vector<int32_t> bias(c.M);
  for (int m = 0; m < c.M; m++) {
    mult[m] = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, -static_cast<int>(8 + rng() % 8));
    bias[m] = static_cast<int32_t>(rng() % 20001) - 10000;
  }
  // a non-finite multiplier (y_scale 0 or tiny): NaN / infinite products take the general epilogue
  if (seven && c.M > 1) mult[c.M - 1] = c.C % 2 ? INFINITY : NAN;
  // multipliers near 1 (products far past the output range: saturation on both sides), and one >= 1 (the clamp
  // before the conversion: products past 2^31)
  if (!seven && zmode == 1)
    for (int m = 0; m < c.M; m++) mult[m] = 1.0f - std::ldexp(static_cast<float>(1 + rng() % 64), -24);
  if (!seven && zmode == 2 && c.M > 1) mult[c.M / 2] = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, 14);
  const int32_t yz = static_cast<int32_t>(rng() % 256) - (xs ? 128 : 0);
  std::vector<uint8_t> want8(want.size());
  std::vector<int32_t> acc(want);
  for (int n = 0; n < c.batch; n++)
    for (int m = 0; m < c.M; m++) {
      const size_t o = (static_cast<size_t>(n) * c.M + m) * P;
      for (int p = 0; p < P; p++) acc[o + p] = static_cast<int32_t>(static_cast<uint32_t>(want[o + p]) + static_cast<uint32_t>(bias[m]));
      const Requant r{mult.data() + m, 1, yz, xs, want8.data() + o};
      requantize_block(acc.data() + o, P, 0, 1, 0, P, r, P);
    }
  std::vector<int32_t> got32[3];
  std::vector<uint8_t> got8[3];
  for (int t = 0; t < 3; t++) {
    Workspace wsp(k.scratch_bytes, t + 1);
    got32[t].assign(want.size(), 0x5a5a5a5a);
    got8[t].assign(want.size(), 0x5a);
    qconv(pools[t], wsp, k, pb, X.data(), xs, c.batch, g, xz, zw.data(), static_cast<int>(zw.size()), got32[t].data());
    const Requant r{mult.data(), c.M, yz, xs, nullptr, bias.data()};
    qconv_requant(pools[t], wsp, k, pb, X.data(), xs, c.batch, g, xz, zw.data(), static_cast<int>(zw.size()), r, got8[t].data());
  }
  // the dynamic-int8 epilogue (direct kernels only): act(float(acc) * scale (+ bias[m])), each rounded once, with
  // every activation (float_act_row, the reference's operations) and threads 1, 2, 3; values around the activations'
  // bounds, and a NaN / -0 free scale (the sums are finite), infinite for Relu with a bias on odd M (inf * 0 is NaN:
  // the epilogues that take Relu as a max where no NaN can arise must not take it there)
  {
    std::vector<float> fb(c.M), wantf(want.size()), gotf(want.size());
    for (auto& v : fb) v = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 64.0f;
    const float fscale = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, -12 - static_cast<int>(rng() % 6));
    const FloatAct acts[] = {{0, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {2, -1.5f, 2.25f, 0, 0}, {2, 0.0f, 6.0f, 0, 0}, {3, 0.0f, 6.0f, 3.0f, 6.0f}, {4, 0, 0, 0.2f, 0.5f}, {4, 0, 0, 1.0f / 6.0f, 0.5f}};
    for (int ai = 0; ai < 7; ai++)
      for (int wb = 0; wb < 2; wb++) {
        const int t = (ai + wb) % 3;
        const float* bias = wb ? fb.data() : nullptr;
        const float fs = ai == 1 && wb == 1 && c.M % 2 ? INFINITY : fscale;
        for (int n = 0; n < c.batch; n++)
          for (int m = 0; m < c.M; m++) {
            const size_t o = (static_cast<size_t>(n) * c.M + m) * P;
            for (int p = 0; p < P; p++) {
              const float v = static_cast<float>(want[o + p]) * fs;
              wantf[o + p] = bias ? v + bias[m] : v;
            }
            float_act_row(wantf.data() + o, static_cast<size_t>(P), acts[ai]);
          }
        std::fill(gotf.begin(), gotf.end(), NAN);
        Workspace wsp(k.scratch_bytes, t + 1);
        RangeSink sink;
        const bool ran = qconv_scaled(pools[t], wsp, k, pb, X.data(), xs, c.batch, g, xz, zw.data(), static_cast<int>(zw.size()), fs, bias, gotf.data(), acts[ai], wb ? &sink : nullptr);
        if (ran && !range_matches(sink, wantf.data(), want.size())) {
          std::printf("FAIL conv %s scaled epilogue range C=%d H=%d W=%d M=%d k=%dx%d s=%d,%d act=%d threads=%d: [%a, %a] bad %d\n", k.name, c.C, c.H, c.W, c.M, c.KH, c.KW,
                      c.sh, c.sw, acts[ai].kind, t + 1, sink.lo, sink.hi, sink.bad);
          failures++;
        }
        // the two-pass quantizing form (kernels with conv_fmodes): DynamicQuantizeLinear of wantf, bytes and parameters
        if (k.conv_fmodes && ran) {
          std::vector<uint8_t> wq(want.size()), gq(want.size(), 0x5a);
          float ws_ = 0.0f, gs = 0.0f;
          uint8_t wz = 0, gz = 0;
          const bool finite = dynamic_quantize_linear(wantf.data(), want.size(), wq.data(), &ws_, &wz);
          Workspace wsq(k.scratch_bytes, t + 1);
          const int q = qconv_scaled_quantize(pools[t], wsq, k, pb, X.data(), xs, c.batch, g, xz, zw.data(), static_cast<int>(zw.size()), fs, bias, acts[ai], gq.data(), &gs, &gz);
          checks++;
          if (q != (finite ? 1 : -1) || (q == 1 && (gs != ws_ || gz != wz || std::memcmp(gq.data(), wq.data(), wq.size()) != 0))) {
            std::printf("FAIL conv %s two-pass quantize C=%d H=%d W=%d M=%d k=%dx%d s=%d,%d act=%d threads=%d: result %d, scale %a / %a, zp %d / %d\n", k.name, c.C, c.H, c.W,
                        c.M, c.KH, c.KW, c.sh, c.sw, acts[ai].kind, t + 1, q, gs, ws_, gz, wz);
            failures++;
          }
        }
        if (ran && std::memcmp(gotf.data(), wantf.data(), sizeof(float) * want.size()) != 0) {
          size_t i = 0;
          while (std::memcmp(&gotf[i], &wantf[i], sizeof(float)) == 0) i++;
          std::printf("FAIL conv %s scaled epilogue C=%d H=%d W=%d M=%d k=%dx%d s=%d,%d act=%d bias=%d threads=%d zmode=%d: Y[%zu] = %a, expected %a\n", k.name, c.C, c.H,
                      c.W, c.M, c.KH, c.KW, c.sh, c.sw, acts[ai].kind, wb, t + 1, zmode, i, gotf[i], wantf[i]);
          failures++;
        }
      }
  }
  qfree(&pb);
  checks++;
  for (int t = 0; t < 3; t++)
    for (size_t i = 0; i < want.size(); i++)
      if (got32[t][i] != want[i] || got8[t][i] != want8[i]) {
        std::printf("FAIL conv %s C=%d H=%d W=%d M=%d k=%dx%d s=%d,%d x%s w%s 7bit=%d zmode=%d threads=%d: Y[%zu] = %d / %d, expected %d / %d\n", k.name, c.C,
                    c.H, c.W, c.M, c.KH, c.KW, c.sh, c.sw, xs ? "s8" : "u8", ws ? "s8" : "u8", seven, zmode, t + 1, i, got32[t][i], got8[t][i], want[i], want8[i]);
        failures++;
        return;
      }
}

/** Conv:f32 of kernel k (threads 1, 2, 3) against scalar-c's im2col GEMM bit for bit (same FMA chain, then the bias). */
void check_fconv(const FGemmKernel& k, const FGemmKernel& ref, ThreadPool* pools[3], std::mt19937& rng, const ConvCase& c, bool with_bias) {
  const ConvGeom g = geom_of(c);
  const int P = g.OH * g.OW, K = c.C * c.KH * c.KW;
  if (P == 1) return;  // one pixel: scalar-c takes its GEMV (another summation order)
  std::uniform_real_distribution<float> u(-4.f, 4.f);
  std::vector<float> X(static_cast<size_t>(c.batch) * c.C * c.H * c.W), Wt(static_cast<size_t>(c.M) * K), bv(c.M);
  for (auto& v : X) v = u(rng);
  for (auto& v : Wt) v = u(rng);
  for (auto& v : bv) v = u(rng);
  FPackedB pr;
  fpack(ref, Wt.data(), K, c.M, true, &pr);
  Workspace wr(ref.scratch_bytes, 1);
  std::vector<float> want(static_cast<size_t>(c.batch) * c.M * P);
  fconv(nullptr, wr, ref, pr, X.data(), c.batch, g, with_bias ? bv.data() : nullptr, want.data());
  ffree(&pr);
  FPackedB pb;
  fpack(k, Wt.data(), K, c.M, true, &pb);
  checks++;
  for (int t = 0; t < 3; t++) {
    Workspace wsp(k.scratch_bytes, t + 1);
    std::vector<float> got(want.size(), NAN);
    fconv(pools[t], wsp, k, pb, X.data(), c.batch, g, with_bias ? bv.data() : nullptr, got.data());
    if (std::memcmp(got.data(), want.data(), sizeof(float) * want.size()) != 0) {
      size_t i = 0;
      while (std::memcmp(&got[i], &want[i], 4) == 0) i++;
      std::printf("FAIL fconv %s C=%d H=%d W=%d M=%d k=%dx%d s=%d,%d threads=%d: Y[%zu] = %.9g, scalar-c %.9g\n", k.name, c.C, c.H, c.W, c.M, c.KH, c.KW, c.sh,
                  c.sw, t + 1, i, got[i], want[i]);
      failures++;
      break;
    }
  }
  ffree(&pb);
}

#if defined(__x86_64__)
#define LB_DW(build) ((build) == 3 ? dwconv_avx512vnni : (build) == 2 ? dwconv_avx512 : (build) == 1 ? dwconv_avx2 : dwconv)
#else
#define LB_DW(build) dwconv
#endif

/** Depthwise convolutions (M = C or 2C): int8 against the naive reference, exact (ConvInteger and QLinearConv); float
 *  AVX2 against the portable build bit for bit (the same FMA chain); threads 1 and 3. */
/** Random geometries (strides and row dilation 1-2, pads 0-3, kernels up to 5x7, widths up to 150, weights whose w - zw fit
 *  int8 or not, finite multipliers, with and without bias): the AVX512-VNNI build's QLinearConv bytes and ConvInteger sums
 *  equal the portable build's (itself checked against the naive sums above). */
void check_dw_random(std::mt19937& rng, int cases) {
#if defined(__x86_64__)
  for (int it = 0; it < cases; it++) {
    const int C = 1 + static_cast<int>(rng() % 5), M = C * (1 + static_cast<int>(rng() % 2));
    const int KH = 1 + static_cast<int>(rng() % 5), KW = 1 + static_cast<int>(rng() % 7), sh = 1 + static_cast<int>(rng() % 2), sw = 1 + static_cast<int>(rng() % 2);
    const int dh = 1 + static_cast<int>(rng() % 2), H = KH * dh + static_cast<int>(rng() % 12), W = KW + static_cast<int>(rng() % 150);
    const int pt = static_cast<int>(rng() % 3), pl = static_cast<int>(rng() % 4), pb = static_cast<int>(rng() % 3), pr = static_cast<int>(rng() % 4);
    const int OH = (H + pt + pb - ((KH - 1) * dh + 1)) / sh + 1, OW = (W + pl + pr - KW) / sw + 1;
    const ConvGeom g{C, H, W, KH, KW, pt, pl, sh, sw, dh, 1, OH, OW};
    const bool xs = rng() % 2, ws = rng() % 2, ys = rng() % 2;
    const int batch = 1 + static_cast<int>(rng() % 2);
    std::vector<uint8_t> X(static_cast<size_t>(batch) * C * H * W), Wt(static_cast<size_t>(M) * KH * KW);
    for (auto& v : X) v = static_cast<uint8_t>(rng());
    std::vector<int32_t> zw(M), bias(M);
    std::vector<float> mult(M);
    for (int m = 0; m < M; m++) {
      zw[m] = ws ? static_cast<int8_t>(rng() % 40) - 20 : 100 + static_cast<int>(rng() % 40);
      bias[m] = static_cast<int32_t>(rng() % 20001) - 10000;
      // down to 2^-13, and now and then up to 2^16 (products past 2^22 and 2^31: the clamp before the rounding)
      mult[m] = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, rng() % 8 == 0 ? static_cast<int>(rng() % 17) : -static_cast<int>(rng() % 14));
      for (int t = 0; t < KH * KW; t++) Wt[static_cast<size_t>(m) * KH * KW + t] = static_cast<uint8_t>(zw[m] + static_cast<int>(rng() % 255) - 127);
    }
    // a third of the nodes with weights whose w - zw do not fit int8 (the row path's swapped operands, the float path)
    if (rng() % 3 == 0)
      for (size_t t = 0; t < Wt.size(); t += 2) Wt[t] = ws ? 0x80 : 0xff;
    const int32_t xz = xs ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng());
    const Requant r{mult.data(), rng() % 2 ? M : 1, ys ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng()), ys, nullptr, rng() % 3 ? bias.data() : nullptr};
    std::vector<uint8_t> want(static_cast<size_t>(batch) * M * OH * OW), got(want.size(), 0x5a);
    dwconv(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, nullptr, &r, want.data());
    dwconv_avx512vnni(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, nullptr, &r, got.data());
    // and the int32 sums (ConvInteger)
    std::vector<int32_t> want32(want.size()), got32(want.size(), 0x5a5a5a5a);
    dwconv(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, want32.data(), nullptr, nullptr);
    dwconv_avx512vnni(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, got32.data(), nullptr, nullptr);
    // and both with the row path's words precomputed (bound weights: built only when every w - zw fits int8)
    DwRowWeights rw;
    dw_row_weights(Wt.data(), ws, M, KH, KW, zw.data(), M, rw);
    std::vector<uint8_t> gotw(want.size(), 0x5a);
    std::vector<int32_t> gotw32(want.size(), 0x5a5a5a5a);
    if (!rw.empty()) {
      dwconv_avx512vnni(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, nullptr, &r, gotw.data(), &rw);
      dwconv_avx512vnni(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), M, gotw32.data(), nullptr, nullptr, &rw);
      checks += 2;
    } else {
      gotw = want;
      gotw32 = want32;
    }
    checks += 2;
    if (got != want || got32 != want32 || gotw != want || gotw32 != want32) {
      std::printf("FAIL dwconv_avx512vnni random%s%s C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d dh=%d pads=%d,%d,%d,%d x%s w%s y%s\n", got32 != want32 ? " (int32 sums)" : "", gotw != want || gotw32 != want32 ? " (precomputed words)" : "", C, M, H, W, KH, KW, sh, sw, dh, pt, pl, pb, pr,
                  xs ? "s8" : "u8", ws ? "s8" : "u8", ys ? "s8" : "u8");
      failures++;
      return;
    }
  }
#else
  (void)rng;
  (void)cases;
#endif
}

/** lowbit.DynamicQConv's depthwise epilogue (dwconv_scaled: the float32 output straight from the convolution) against the
 *  portable int32 sums followed by the portable scale_accumulators, bit for bit: random geometries (3x3 / 5x5 and others,
 *  strides 1-3, row dilation 1-2, pads 0-3, odd widths, channel multipliers 1-3, batch 1-2), uint8 / int8 x and w, per
 *  channel or per tensor weight zero points (w - zw fitting int8 or not), with and without bias, every activation (none,
 *  Relu, Clip, the HardSwish decomposition, HardSigmoid), now and then a scale that makes inf / NaN; each build this
 *  CPU runs, threads 1 and 3. */
void check_dw_scaled(ThreadPool* pool3, std::mt19937& rng, int cases, int builds) {
  for (int it = 0; it < cases; it++) {
    const int C = 1 + static_cast<int>(rng() % 5), M = C * (1 + static_cast<int>(rng() % 3));
    const bool common = rng() % 2;  // 3x3 / 5x5 as the models have them
    const int KH = common ? (rng() % 2 ? 3 : 5) : 1 + static_cast<int>(rng() % 5);
    const int KW = common ? KH : 1 + static_cast<int>(rng() % 7);
    const int sh = 1 + static_cast<int>(rng() % 2), sw = rng() % 8 == 0 ? 3 : 1 + static_cast<int>(rng() % 2);
    const int dh = rng() % 4 == 0 ? 2 : 1, dw = rng() % 8 == 0 ? 2 : 1;
    const int H = KH * dh + static_cast<int>(rng() % 12), W = KW * dw + static_cast<int>(rng() % 90);
    const int pt = static_cast<int>(rng() % 3), pl = static_cast<int>(rng() % 4), pb = static_cast<int>(rng() % 3), pr = static_cast<int>(rng() % 4);
    const int OH = (H + pt + pb - ((KH - 1) * dh + 1)) / sh + 1, OW = (W + pl + pr - ((KW - 1) * dw + 1)) / sw + 1;
    const ConvGeom g{C, H, W, KH, KW, pt, pl, sh, sw, dh, dw, OH, OW};
    const bool xs = rng() % 2, ws = rng() % 2;
    const int batch = 1 + static_cast<int>(rng() % 2);
    std::vector<uint8_t> X(static_cast<size_t>(batch) * C * H * W), Wt(static_cast<size_t>(M) * KH * KW);
    for (auto& v : X) v = static_cast<uint8_t>(rng());
    const bool per_m = rng() % 2;
    std::vector<int32_t> zw(M);
    std::vector<float> bias(M);
    for (int m = 0; m < M; m++) {
      zw[m] = per_m || m == 0 ? (ws ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng())) : zw[0];
      bias[m] = std::ldexp(static_cast<float>(static_cast<int32_t>(rng() % 20001) - 10000), -static_cast<int>(rng() % 12));
    }
    const bool fits = rng() % 2;  // w - zw in int8 (the VNNI byte paths) or anything
    for (int m = 0; m < M; m++)
      for (int t = 0; t < KH * KW; t++) {
        int v = fits ? zw[m] + static_cast<int8_t>(rng()) : static_cast<int>(rng() % 256) - (ws ? 128 : 0);
        const int lo = ws ? -128 : 0, hi = ws ? 127 : 255;
        Wt[static_cast<size_t>(m) * KH * KW + t] = static_cast<uint8_t>(v < lo ? lo : (v > hi ? hi : v));
      }
    const int32_t xz = xs ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng());
    DwScaled f;
    const int r8 = static_cast<int>(rng() % 16);
    f.scale = r8 == 0 ? INFINITY : r8 == 1 ? -std::ldexp(1.0f, 100) : std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, -static_cast<int>(rng() % 20));
    f.bias = rng() % 3 ? bias.data() : nullptr;
    f.act.kind = static_cast<int>(rng() % 5);
    if (f.act.kind == 2) {
      f.act.lo = static_cast<float>(static_cast<int>(rng() % 7)) - 3.0f;
      f.act.hi = f.act.lo + static_cast<float>(rng() % 9) * 0.75f;
    } else if (f.act.kind == 3) {
      if (rng() % 2) f.act.lo = 0.0f, f.act.hi = 6.0f, f.act.p = 3.0f, f.act.q = 6.0f;
      else f.act.lo = -0.5f, f.act.hi = 0.75f, f.act.p = 0.25f, f.act.q = 3.0f;
    } else if (f.act.kind == 4) {
      // beta -0 with a -0 product gives -0 before the selects (which lift it to +0)
      const float betas[] = {0.5f, 0.0f, -0.0f, 0.1f};
      f.act.p = (rng() % 2 ? -1.0f : 1.0f) * (0.2f + static_cast<float>(rng() % 9) * 0.25f), f.act.q = betas[rng() % 4];
    }
    const size_t n = static_cast<size_t>(batch) * M * OH * OW;
    std::vector<int32_t> acc(n);
    std::vector<float> want(n);
    dwconv(nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), per_m ? M : 1, acc.data(), nullptr, nullptr);
    scale_accumulators(acc.data(), &f.scale, false, f.bias, true, batch, M, static_cast<size_t>(OH) * OW, want.data(), f.act);
    for (int b = 0; b <= builds; b++)
      for (int t = 0; t < 2; t++) {
        std::vector<float> got(n, 1234.5f);
        DwScaled fb = f;
        fb.Y = got.data();
        RangeSink sink;
        if ((it + t) % 2) fb.range = &sink;
#if defined(__x86_64__)
        auto* fn = b == 3 ? dwconv_scaled_avx512vnni : b == 2 ? dwconv_scaled_avx512 : b == 1 ? dwconv_scaled_avx2 : dwconv_scaled;
#else
        auto* fn = dwconv_scaled;
#endif
        fn(t ? pool3 : nullptr, X.data(), xs, Wt.data(), ws, batch, M, g, xz, zw.data(), per_m ? M : 1, fb);
        checks++;
        if (!range_matches(sink, want.data(), n)) {
          std::printf("FAIL dwconv_scaled range (build %d, threads %d) C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d act %d: [%a, %a] bad %d\n", b, t ? 3 : 1, C, M, H, W, KH, KW, sh, sw,
                      f.act.kind, sink.lo, sink.hi, sink.bad);
          failures++;
          return;
        }
        if (std::memcmp(got.data(), want.data(), sizeof(float) * n) != 0) {
          size_t i = 0;
          while (std::memcmp(&got[i], &want[i], 4) == 0) i++;
          std::printf("FAIL dwconv_scaled (build %d, threads %d) C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d d=%d,%d pads=%d,%d,%d,%d x%s w%s act %d: Y[%zu] = %.9g, want %.9g\n",
                      b, t ? 3 : 1, C, M, H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, xs ? "s8" : "u8", ws ? "s8" : "u8", f.act.kind, i, got[i], want[i]);
          failures++;
          return;
        }
      }
  }
}

void check_dw(ThreadPool* pool3, std::mt19937& rng, const ConvCase& c0, int avx2) {  // build: 0 portable, 1 avx2, 2 avx512, 3 avx512-vnni
  ConvCase c = c0;
  c.M = c.C * (1 + static_cast<int>(rng() % 2));
  const ConvGeom g = geom_of(c);
  const int P = g.OH * g.OW, taps = c.KH * c.KW;
  for (int sg = 0; sg < 4; sg++) {
    const bool xs = sg & 1, ws = sg & 2;
    std::vector<uint8_t> X(static_cast<size_t>(c.batch) * c.C * c.H * c.W), Wt(static_cast<size_t>(c.M) * taps);
    for (auto& v : X) v = static_cast<uint8_t>(rng());
    for (auto& v : Wt) v = static_cast<uint8_t>(rng());
    const int32_t xz = xs ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng());
    std::vector<int32_t> zw(c.M);
    for (auto& v : zw) v = ws ? static_cast<int8_t>(rng()) : static_cast<uint8_t>(rng());
    if (avx2 == 3 && sg != 3) {
      // the VNNI build's byte path: every w - zw[m] in int8 (w = zw[m] + d clamped to w's range keeps |w - zw| <= |d|)
      for (int m = 0; m < c.M; m++)
        for (int t = 0; t < taps; t++) {
          int v = zw[m] + static_cast<int8_t>(rng());
          const int lo = ws ? -128 : 0, hi = ws ? 127 : 255;
          v = v < lo ? lo : (v > hi ? hi : v);
          Wt[static_cast<size_t>(m) * taps + t] = static_cast<uint8_t>(v);
        }
    }
    // the naive reference: channel m reads input channel m / (M / C)
    std::vector<int32_t> want(static_cast<size_t>(c.batch) * c.M * P);
    for (int n = 0; n < c.batch; n++)
      for (int m = 0; m < c.M; m++)
        for (int oh = 0; oh < g.OH; oh++)
          for (int ow = 0; ow < g.OW; ow++) {
            uint32_t acc = 0;
            const int ci = m / (c.M / c.C);
            for (int kh = 0; kh < c.KH; kh++)
              for (int kw = 0; kw < c.KW; kw++) {
                const int ih = oh * c.sh - c.pt + kh * c.dh, iw = ow * c.sw - c.pl + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const uint8_t xb = X[((static_cast<size_t>(n) * c.C + ci) * c.H + ih) * c.W + iw], wb = Wt[static_cast<size_t>(m) * taps + kh * c.KW + kw];
                acc += static_cast<uint32_t>(((xs ? static_cast<int8_t>(xb) : xb) - xz) * ((ws ? static_cast<int8_t>(wb) : wb) - zw[m]));
              }
            want[(static_cast<size_t>(n) * c.M + m) * P + oh * g.OW + ow] = static_cast<int32_t>(acc);
          }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), pool3}) {
      std::vector<int32_t> got(want.size(), 0x5a5a5a5a);
      LB_DW(avx2)(pool, X.data(), xs, Wt.data(), ws, c.batch, c.M, g, xz, zw.data(), c.M, got.data(), nullptr, nullptr, nullptr);
      checks++;
      if (got != want) {
        std::printf("FAIL dwconv%s C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d x%s w%s\n", avx2 == 3 ? "_avx512vnni" : avx2 == 2 ? "_avx512" : avx2 ? "_avx2" : "", c.C, c.M, c.H, c.W, c.KH, c.KW, c.sh, c.sw, xs ? "s8" : "u8", ws ? "s8" : "u8");
        failures++;
        return;
      }
      // QLinearConv: the reference requantize of the reference sums (+ bias)
      std::vector<float> mult(c.M);
      std::vector<int32_t> bias(c.M);
      for (int m = 0; m < c.M; m++) {
        mult[m] = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, -static_cast<int>(6 + rng() % 8));
        bias[m] = static_cast<int32_t>(rng() % 2001) - 1000;
      }
      std::vector<uint8_t> want8(want.size()), got8(want.size(), 0x5a);
      std::vector<int32_t> acc(want);
      for (int n = 0; n < c.batch; n++)
        for (int m = 0; m < c.M; m++) {
          const size_t o = (static_cast<size_t>(n) * c.M + m) * P;
          for (int p = 0; p < P; p++) acc[o + p] = static_cast<int32_t>(static_cast<uint32_t>(want[o + p]) + static_cast<uint32_t>(bias[m]));
          const Requant r{mult.data() + m, 1, 3, xs, want8.data() + o};
          requantize_block(acc.data() + o, P, 0, 1, 0, P, r, P);
        }
      const Requant r{mult.data(), c.M, 3, xs, nullptr, bias.data()};
      LB_DW(avx2)(pool, X.data(), xs, Wt.data(), ws, c.batch, c.M, g, xz, zw.data(), c.M, nullptr, &r, got8.data(), nullptr);
      checks++;
      if (got8 != want8) {
        std::printf("FAIL dwconv%s requant C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d\n", avx2 == 3 ? "_avx512vnni" : avx2 == 2 ? "_avx512" : avx2 ? "_avx2" : "", c.C, c.M, c.H, c.W, c.KH, c.KW, c.sh, c.sw);
        failures++;
        return;
      }
    }
  }
#if defined(__x86_64__)
  if (!avx2 || taps > 256) return;
  std::uniform_real_distribution<float> u(-4.f, 4.f);
  std::vector<float> X(static_cast<size_t>(c.batch) * c.C * c.H * c.W), Wt(static_cast<size_t>(c.M) * taps), bv(c.M);
  for (auto& v : X) v = u(rng);
  for (auto& v : Wt) v = u(rng);
  for (auto& v : bv) v = u(rng);
  std::vector<float> want(static_cast<size_t>(c.batch) * c.M * P), got(want.size(), NAN);
  dwconv_f32(nullptr, X.data(), Wt.data(), c.batch, c.M, g, bv.data(), want.data());
  (avx2 == 3 ? dwconv_f32_avx512vnni : avx2 == 2 ? dwconv_f32_avx512 : dwconv_f32_avx2)(pool3, X.data(), Wt.data(), c.batch, c.M, g, bv.data(), got.data());
  checks++;
  if (std::memcmp(got.data(), want.data(), sizeof(float) * want.size()) != 0) {
    std::printf("FAIL dwconv_f32 (build %d) C=%d M=%d H=%d W=%d k=%dx%d s=%d,%d: differs from the portable build\n", avx2, c.C, c.M, c.H, c.W, c.KH, c.KW, c.sh, c.sw);
    failures++;
  }
#endif
}

}  // namespace

/** The pool runs every piece exactly once, back to back runs included (workers spinning, sleeping, or late). */
#if defined(__x86_64__)
/**
 * The AVX-512 DynamicQuantizeLinear (and its row-sum form) against the portable build, bit for bit: random spreads,
 * lengths around the 16 / 32 lane steps, all-zero and one-sided inputs, and values placed on exact .5 quotients of
 * the scale (x = float((k + 0.5) * scale)) and one ulp either side, where the product with 1 / scale may round
 * differently from the division; non-finite inputs must be refused.
 */
void check_dynq(std::mt19937& rng, int cases) {
  const int before = failures, c0 = checks;
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int c = 0; c < cases; c++) {
    const int rows = 1 + static_cast<int>(rng() % 4), K = 1 + static_cast<int>(rng() % 70) + (c % 5 == 0 ? 250 : 0);
    const size_t n = static_cast<size_t>(rows) * K;
    std::vector<float> x(n);
    const float spread = std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20);
    const int kind = c % 8;
    for (auto& v : x) v = kind == 0 ? 0.0f : kind == 1 ? std::fabs(u(rng)) * spread : u(rng) * spread;
    // finite values whose plain sum overflows (the range pass's exact re-check), and subnormal spreads (a scale that
    // underflows to 0: infinite and NaN quotients)
    if (kind == 6) for (auto& v : x) v = u(rng) < 0.0f ? -3.0e38f : 3.0e38f * std::fabs(u(rng));
    if (kind == 7) for (auto& v : x) v = std::ldexp(u(rng), -140 - static_cast<int>(rng() % 10));
    if (kind >= 3 && n >= 2) {
      // The scale this input will get (its range is set by two pinned values), then ties and their neighbours.
      x[0] = -spread * 0.7f;
      x[1] = spread * 1.3f;
      const float s = (x[1] - x[0]) / 255.0f;
      for (size_t i = 2; i < n; i++) {
        const int k = static_cast<int>(rng() % 300) - 150;
        float v = static_cast<float>((k + 0.5) * static_cast<double>(s));
        if (kind == 4) v = std::nextafter(v, (rng() & 1) ? INFINITY : -INFINITY);
        if (kind == 5) v = (k + 0.5f) * s;
        x[i] = v < x[0] ? x[0] : (v > x[1] ? x[1] : v);
      }
    }
    std::vector<uint8_t> want(n), got(n), got2(n);
    std::vector<int32_t> rs(rows);
    float ws = 0, gs = 0, gs2 = 0;
    uint8_t wz = 0, gz = 0, gz2 = 0;
    const bool okw = dynamic_quantize_linear(x.data(), n, want.data(), &ws, &wz);
    const bool okg = avx512::dynamic_quantize_linear(x.data(), n, got.data(), &gs, &gz);
    const bool okr = avx512::dynamic_quantize_rows(x.data(), rows, K, got2.data(), &gs2, &gz2, rs.data());
    checks++;
    bool same = okw == okg && okw == okr && std::memcmp(&ws, &gs, 4) == 0 && std::memcmp(&ws, &gs2, 4) == 0 && wz == gz && wz == gz2 && want == got && want == got2;
    for (int r = 0; r < rows && same; r++) {
      int32_t sum = 0;
      for (int k = 0; k < K; k++) sum += want[static_cast<size_t>(r) * K + k];
      same = sum == rs[r];
    }
    if (!same) {
      std::printf("FAIL avx512 dynamic quantize case %d (rows %d, K %d, kind %d): differs from the portable build\n", c, rows, K, kind);
      failures++;
      return;
    }
  }
  // a range under 255 * 2^-150 underflows the scale to 0: scale 1, zero point 0 and y all 0, as every value were 0
  for (int c = 0; c < 64; c++) {
    const size_t n = 1 + rng() % 200;
    std::vector<float> x(n);
    for (size_t i = 0; i < n; i++) x[i] = std::ldexp(static_cast<float>(static_cast<int>(rng() % 9) - 4), -151 + static_cast<int>(c % 4));
    std::vector<uint8_t> y0(n, 7), y1(n, 7), y2(n, 7);
    std::vector<int32_t> rs1(1);
    float s0 = 0, s1 = 0, s2 = 0;
    uint8_t z0 = 9, z1 = 9, z2 = 9;
    const bool ok = dynamic_quantize_linear(x.data(), n, y0.data(), &s0, &z0) && avx512::dynamic_quantize_linear(x.data(), n, y1.data(), &s1, &z1) &&
                    avx512::dynamic_quantize_rows(x.data(), 1, n, y2.data(), &s2, &z2, rs1.data());
    checks++;
    bool zeros = true;
    for (size_t i = 0; i < n; i++) zeros = zeros && y0[i] == 0 && y1[i] == 0 && y2[i] == 0;
    if (!ok || s0 != 1.0f || s1 != 1.0f || s2 != 1.0f || z0 != 0 || z1 != 0 || z2 != 0 || !zeros || rs1[0] != 0) {
      std::printf("FAIL dynamic quantize of an underflowing range (n %zu, case %d): scale %g %g %g, zero point %d %d %d\n", n, c, s0, s1, s2, z0, z1, z2);
      failures++;
      break;
    }
  }
  float bad[3] = {1.0f, NAN, 2.0f}, s;
  uint8_t y[3], z;
  int32_t rs[1];
  checks++;
  if (avx512::dynamic_quantize_linear(bad, 3, y, &s, &z) || avx512::dynamic_quantize_rows(bad, 1, 3, y, &s, &z, rs) || avx512::dynamic_quantize_linear(bad, 0, y, &s, &z)) {
    std::printf("FAIL avx512 dynamic quantize: accepted a NaN or an empty input\n");
    failures++;
  }
  // one NaN or infinity anywhere in longer inputs (the four-chain loop and the tails), among large finite values too
  for (int c = 0; c < 300; c++) {
    const size_t n = 1 + rng() % 300;
    std::vector<float> x(n);
    const float spread = c % 3 == 0 ? 3.0e38f : 1.0f;
    for (auto& v : x) v = u(rng) * spread;
    x[rng() % n] = c % 4 == 0 ? NAN : c % 4 == 1 ? INFINITY : c % 4 == 2 ? -INFINITY : -NAN;
    std::vector<uint8_t> yy(n);
    checks++;
    if (avx512::dynamic_quantize_linear(x.data(), n, yy.data(), &s, &z)) {
      std::printf("FAIL avx512 dynamic quantize: accepted a non-finite value (n %zu, case %d)\n", n, c);
      failures++;
      break;
    }
  }
  std::printf("%s avx512 dynamic quantize: %d cases\n", failures == before ? "ok  " : "FAIL", checks - c0);
}
#endif

void check_pool(std::mt19937& rng, int runs) {
  const int before = failures;
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads, false);
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
  ThreadPool pool3(3, false);
  std::mt19937 rng(12345);
  check_pool(rng, quick ? 3000 : 20000);
#if defined(__x86_64__)
  if ((isas & ISA_AVX512) != 0) check_dynq(rng, quick ? 600 : 6000);
#endif
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
          // Zero points (A, B): 0 = one value, 1 = per row / per column, 2 = zero for A (B: one value).
          static const int zmodes[][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 0}, {1, 1}};
          const int si = static_cast<int>(&s - &shapes[0]), last = static_cast<int>(sizeof(shapes) / sizeof(shapes[0])) - 1;
          for (int zm = 0; zm < 5; zm++) {
            // --quick: one zero-point mode per shape (A one value with B per column, or one value each: the latter on
            // 3 threads), the last shape per-row A on 3 threads
            if (quick && zm != (si == last ? 1 : (si % 2 ? 3 : 0))) continue;
            ThreadPool* p = (zm == 1 || zm >= 3) ? &pool3 : nullptr;
            check_q(k, p, rng, s[0], s[1], s[2], sg & 1, sg & 2, seven, zmodes[zm][0], zmodes[zm][1]);
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
  ThreadPool pool2(2, false);
  ThreadPool* pools[3] = {nullptr, &pool2, &pool3};
  for (int v = 0; v < nq; v++) {
    const QGemmKernel& k = *qk[v];
    if ((k.needs & isas) != k.needs || (k.needs & ISA_AMXINT8 && !amx) || k.needs_7bit) continue;
    const int before = failures, c0 = checks;
    for (const auto& c : kConvCases)
      for (int sg = 0; sg < 4; sg++)
        for (int zm = 0; zm < 3; zm++) {
          if (quick && (sg + zm) % 3 != 0) continue;
          check_qconv(k, pools, rng, c, sg & 1, sg & 2, zm, false);
          if (zm == 1) check_qconv(k, pools, rng, c, sg & 1, sg & 2, zm, true);
        }
    std::printf("%s conv %s%s: %d int8 convolution cases (threads 1, 2, 3)\n", failures == before ? "ok  " : "FAIL", k.name, k.conv ? " (direct)" : "", checks - c0);
  }
  for (int v = 0; v < nf; v++) {
    const FGemmKernel& k = *fk[v];
    if ((k.needs & isas) != k.needs) continue;
    const int before = failures, c0 = checks;
    for (const auto& c : kConvCases)
      for (int b = 0; b < 2; b++) check_fconv(k, *fk[0], pools, rng, c, b);
    std::printf("%s conv float %s%s: %d cases (threads 1, 2, 3)\n", failures == before ? "ok  " : "FAIL", k.name, k.conv ? " (direct)" : "", checks - c0);
  }
  {
    const int before = failures, c0 = checks;
    // depthwise shapes: 3x3 stride 1 / 2, dilated, 5x5, 1x3, tiny rows, 17x17 (289 taps: the int32 loop), long rows
    const ConvCase dw[] = {{1, 5, 12, 20, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {2, 3, 17, 23, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
                           {1, 4, 9, 70, 0, 5, 5, 1, 2, 2, 1, 2, 0, 1, 3},  {1, 6, 4, 5, 0, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1},
                           {1, 7, 2, 3, 0, 3, 3, 2, 1, 1, 2, 1, 2, 1, 2},   {1, 2, 20, 21, 0, 17, 17, 1, 1, 1, 1, 8, 8, 8, 8},
                           // long rows, several strips of output rows (the VNNI build builds its rows strip by strip)
                           {1, 2, 30, 150, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 2, 41, 130, 0, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2},
                           // the VNNI row path's block widths (64 / 32 / 16 outputs, stride 2: 32 / 16 / 8), edges, 2 and 4
                           // weight words per row (KW 7, 13), a 1-column input
                           {1, 3, 6, 160, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 3, 9, 161, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
                           {2, 4, 5, 10, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  {1, 4, 8, 20, 0, 3, 3, 1, 2, 1, 1, 0, 0, 1, 1},
                           {1, 2, 6, 37, 0, 2, 7, 1, 1, 1, 1, 0, 3, 1, 3},  {1, 2, 5, 90, 0, 1, 13, 2, 1, 1, 1, 0, 6, 0, 6},
                           {1, 3, 4, 1, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   {1, 2, 7, 81, 0, 3, 3, 1, 2, 2, 1, 2, 1, 2, 1}};
#if defined(__x86_64__)
    const bool has_avx2 = (isas & ISA_AVX2) != 0;
#else
    const bool has_avx2 = false;
#endif
    const bool has_avx512 = has_avx2 && (isas & ISA_AVX512) != 0;
    const bool has_avx512vnni = has_avx512 && (isas & ISA_AVX512VNNI) != 0;
    for (const auto& c : dw) {
      check_dw(&pool3, rng, c, 0);
      if (has_avx2) check_dw(&pool3, rng, c, 1);
      if (has_avx512) check_dw(&pool3, rng, c, 2);
      if (has_avx512vnni) check_dw(&pool3, rng, c, 3);
    }
    if (has_avx512vnni) check_dw_random(rng, quick ? 300 : 2000);
    check_dw_scaled(&pool3, rng, quick ? 300 : 2000, has_avx512vnni ? 3 : has_avx512 ? 2 : has_avx2 ? 1 : 0);
    std::printf("%s depthwise: %d cases (portable%s%s%s)\n", failures == before ? "ok  " : "FAIL", checks - c0, has_avx2 ? ", avx2" : "", has_avx512 ? ", avx512" : "", has_avx512vnni ? ", avx512-vnni; float builds = portable" : has_avx512 ? "; float builds = portable" : "");
  }
  {
    // the AVX512-VNNI kernels gather the float output's range in their epilogues (DynamicQConvQuantize): some must have
    const bool vnni512 = (isas & ISA_AVX512VNNI) != 0 && (isas & ISA_AVX512) != 0;
    const bool ok = !vnni512 || ranges_gathered > 0;
    if (!ok) failures++;
    std::printf("%s gathered output ranges: %d\n", ok ? "ok  " : "FAIL", ranges_gathered);
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
