#include "batched.h"

#include <cstring>
#include <unordered_map>

namespace lowbit {
namespace {

/** bw.slot[t] = index of B[t] among the distinct offsets bw.distinct (first-seen order). */
void distinct_b(BatchWorkspace& bw, const BatchGeom& g) {
  bw.slot.resize(g.batch);
  bw.distinct.clear();
  if (g.batch <= 64) {
    for (int t = 0; t < g.batch; t++) {
      const int32_t off = g.b_off[t];
      int d = static_cast<int>(bw.distinct.size()) - 1;
      while (d >= 0 && bw.distinct[d] != off) d--;
      if (d < 0) {
        d = static_cast<int>(bw.distinct.size());
        bw.distinct.push_back(off);
      }
      bw.slot[t] = d;
    }
    return;
  }
  std::unordered_map<int32_t, int> seen;
  for (int t = 0; t < g.batch; t++) {
    auto it = seen.emplace(g.b_off[t], static_cast<int>(bw.distinct.size()));
    if (it.second) bw.distinct.push_back(g.b_off[t]);
    bw.slot[t] = it.first->second;
  }
}

/** Pieces for the whole batch (a function of the shape only): whole matrices per piece, or row/panel blocks of one. */
int batch_tasks(const ThreadPool* pool, const Workspace& ws, const BatchGeom& g, int64_t grain) {
  const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
  if (threads <= 1) return 1;
  const int64_t work = static_cast<int64_t>(g.batch) * g.M * g.N * (g.K > 0 ? g.K : 1);
  // Whole matrices per task (attention's heads): the float grain for the int8 GEMM too (its B is packed per call, and
  // per task): the ops around attention (Mul, Softmax, QuantizeLinear) split by rows as well, so the heads a worker
  // computes are mostly read on the core that wrote them.
  if (g.batch >= threads && g.M > 1) return grain_tasks(pool, work, grain < kGrainF32 ? grain : kGrainF32, threads);
  return grain_tasks(pool, work, grain, threads);
}

inline size_t round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

/**
 * Runs pack(d) for every distinct B, then gemm(t, m0, m1, p0, p1, task) for every matrix: whole matrices per task
 * when the batch has at least as many as there are tasks, else each matrix split by `partition`.
 */
template <class Pack, class Gemm, class Prepare>
void drive(ThreadPool* pool, int tasks, int nd, int batch, int M, int panels, int row_align, const Pack& pack, const Gemm& gemm, const Prepare& prepare) {
  if (tasks <= 1 || !pool) {
    for (int d = 0; d < nd; d++) pack(d);
    for (int t = 0; t < batch; t++) gemm(t, 0, M, 0, panels, 0, true);
    return;
  }
  if (nd >= tasks) {
    pool->run(tasks, [&](int t) {
      for (int d = static_cast<int>(static_cast<int64_t>(nd) * t / tasks); d < static_cast<int>(static_cast<int64_t>(nd) * (t + 1) / tasks); d++) pack(d);
    });
  } else {
    for (int d = 0; d < nd; d++) pack(d);
  }
  if (batch >= tasks) {
    pool->run(tasks, [&](int t) {
      for (int b = static_cast<int>(static_cast<int64_t>(batch) * t / tasks); b < static_cast<int>(static_cast<int64_t>(batch) * (t + 1) / tasks); b++) gemm(b, 0, M, 0, panels, t, true);
    });
    return;
  }
  for (int b = 0; b < batch; b++) {
    prepare(b);
    pool->run(tasks, [&](int t) {
      const Part p = partition(M, panels, tasks, t, row_align);
      gemm(b, p.m0, p.m1, p.p0, p.p1, t, false);
    });
  }
}

}  // namespace

void fgemm_batched(ThreadPool* pool, BatchWorkspace& bw, const FGemmKernel& k, const float* A, const float* B, const BatchGeom& g, float* C) {
  const int M = g.M, K = g.K, N = g.N;
  if (g.batch == 0 || M == 0 || N == 0) return;
  const size_t total = static_cast<size_t>(g.batch) * M * N;
  if (K == 0) {
    std::memset(C, 0, sizeof(float) * total);
    return;
  }
  prefault_output(C, sizeof(float) * total);
  distinct_b(bw, g);
  const int nd = static_cast<int>(bw.distinct.size());
  const size_t per = round64(sizeof(float) * fpack_floats(k, K, N)) / sizeof(float);
  float* buf = static_cast<float*>(bw.packed(sizeof(float) * per * nd));
  bw.fb.resize(nd);
  const int panels = (N + k.nr - 1) / k.nr;
  const int tasks = batch_tasks(pool, bw.ws, g, kGrainF32);
  auto pack = [&](int d) { fpack_into(k, B + bw.distinct[d], K, N, g.ldb, g.b_trans, &bw.fb[d], buf + per * d); };
  auto gemm = [&](int b, int m0, int m1, int p0, int p1, int task, bool) {
    const FGemmArgs a{M, N, K, A + g.a_off[b], g.lda, &bw.fb[bw.slot[b]], C + static_cast<size_t>(b) * M * N, N, nullptr};
    k.gemm(a, m0, m1, p0, p1, bw.ws.scratch(task));
  };
  drive(pool, tasks, nd, g.batch, M, panels, 24, pack, gemm, [](int) {});
}

bool qgemm_batched(ThreadPool* pool, BatchWorkspace& bw, const QGemmKernel& k, const uint8_t* A, bool a_signed, const uint8_t* B, bool b_signed,
                   const BatchGeom& g, int32_t za, int32_t zb, int32_t* C, const Requant* rq, float* yf, float yscale) {
  const int M = g.M, K = g.K, N = g.N;
  if (g.batch == 0 || M == 0 || N == 0) return true;
  const bool staged = rq || yf;  // sums in a buffer, then an output stage
  if (!staged) prefault_output(C, sizeof(int32_t) * static_cast<size_t>(g.batch) * M * N);
  if (yf) prefault_output(yf, sizeof(float) * static_cast<size_t>(g.batch) * M * N);
  distinct_b(bw, g);
  const int nd = static_cast<int>(bw.distinct.size());
  const size_t per_data = round64(qpack_data_bytes(k, K, N)), per_cs = round64(qpack_colsum_bytes(k, N));
  uint8_t* buf = static_cast<uint8_t*>(bw.packed((per_data + per_cs) * nd));
  bw.qb.resize(nd);
  bw.zbe.resize(nd);
  std::vector<char> ok(nd, 1);
  const int panels = (N + k.nr - 1) / k.nr;
  const int tasks = batch_tasks(pool, bw.ws, g, kGrainI8);
  const int32_t zae = za + (a_signed ? 128 : 0);
#if defined(__x86_64__)
  static const bool use_avx2 = (detect_isas() & ISA_AVX2) != 0;
#endif
  const size_t mn = static_cast<size_t>(M) * N;
  // Shared sums (and row sums) when one matrix is split across tasks; per task otherwise.
  const bool split = tasks > 1 && pool && g.batch < tasks;
  if (split) {
    if (bw.ws.rowsum.size() < static_cast<size_t>(M)) bw.ws.rowsum.resize(M);
    if (staged && bw.ws.acc.size() < mn) bw.ws.acc.resize(mn);
  }
  auto pack = [&](int d) {
    const uint8_t* bd = B + bw.distinct[d];
    int8_t* data = reinterpret_cast<int8_t*>(buf + (per_data + per_cs) * d);
    int32_t* colsum = reinterpret_cast<int32_t*>(buf + (per_data + per_cs) * d + per_data);
    ok[d] = qpack_into(k, bd, b_signed, K, N, g.ldb, g.b_trans, &bw.qb[d], data, colsum);
    bw.zbe[d] = zb - bw.qb[d].boff;
  };
  auto prepare = [&](int b) { qrowsums(A + g.a_off[b], g.lda, a_signed, K, 0, M, bw.ws.rowsum.data()); };
  auto gemm = [&](int b, int m0, int m1, int p0, int p1, int task, bool whole) {
    const int d = bw.slot[b];
    if (!ok[d]) return;
    const uint8_t* Ab = A + g.a_off[b];
    int32_t* rowsum;
    int32_t* acc;
    if (whole) {
      int32_t* tb = static_cast<int32_t*>(bw.ws.thread_buf(task, sizeof(int32_t) * ((M + 15) / 16 * 16 + (staged ? mn : 0))));
      rowsum = tb;
      acc = staged ? tb + (M + 15) / 16 * 16 : nullptr;
      qrowsums(Ab, g.lda, a_signed, K, 0, M, rowsum);
    } else {
      rowsum = bw.ws.rowsum.data();
      acc = staged ? bw.ws.acc.data() : nullptr;
    }
    int32_t* Cb = staged ? acc : C + static_cast<size_t>(b) * mn;
    const QGemmArgs a{M, N, K, Ab, g.lda, a_signed, &bw.qb[d], Cb, N, rowsum, &zae, 1, &bw.zbe[d], 1};
    k.gemm(a, m0, m1, p0, p1, bw.ws.scratch(task));
    if (yf) {
      float* y = yf + static_cast<size_t>(b) * mn;
      const int j0 = p0 * k.nr, j1 = p1 * k.nr < N ? p1 * k.nr : N;
      for (int i = m0; i < m1; i++) {
        const int32_t* a = Cb + static_cast<size_t>(i) * N;
        float* yr = y + static_cast<size_t>(i) * N;
        for (int j = j0; j < j1; j++) yr[j] = static_cast<float>(a[j]) * yscale;
      }
      return;
    }
#if defined(__x86_64__)
    if (rq && whole && rq->mult_n == 1 && !rq->bias && use_avx2) {
      avx2::requant_per_tensor(Cb, static_cast<int>(mn), rq->mult[0], rq->zp, rq->out_signed, rq->out + static_cast<size_t>(b) * mn);
      return;
    }
#endif
    if (rq) {
      Requant r = *rq;
      r.out = rq->out + static_cast<size_t>(b) * mn;
      requantize_block(Cb, N, m0, m1, p0 * k.nr, p1 * k.nr < N ? p1 * k.nr : N, r, N);
    }
  };
  drive(pool, tasks, nd, g.batch, M, panels, 32, pack, gemm, prepare);
  for (int d = 0; d < nd; d++)
    if (!ok[d]) return false;
  return true;
}

}  // namespace lowbit
