#include "ops.h"

#include <cmath>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace lowbit {

static void qgemm_impl(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                       int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, int32_t* C, const Requant* rq,
                       const QFloatEpi* fe = nullptr, const int32_t* rowsum_in = nullptr, const ColumnSplit* split = nullptr);

namespace {
struct ThreadScratch {
  void* p[kScratchSlots] = {};
  size_t n[kScratchSlots] = {};
  ~ThreadScratch() {
    for (void* q : p) aligned_free(q);
  }
};
}  // namespace

void* thread_scratch(int slot, size_t bytes) {
  thread_local ThreadScratch ts;
  if (ts.n[slot] < bytes) {
    aligned_free(ts.p[slot]);
    ts.p[slot] = aligned_alloc64(bytes);
    ts.n[slot] = bytes;
  }
  return ts.p[slot];
}

Workspace::Workspace(size_t scratch_bytes, int threads) : scratch_bytes_(scratch_bytes), threads_(threads) {}
Workspace::~Workspace() {
  aligned_free(fconvw.row0);
  aligned_free(fconvw.data);
  aligned_free(qconvw.row0);
  aligned_free(qconvw.data);
  aligned_free(qconvw.wsum);
  aligned_free(qconvw4.row0);
  aligned_free(qconvw4.data);
  aligned_free(qconvw4.wsum);
  for (QConvW* w : {&qconvwf, &qconvw4f}) {
    aligned_free(w->row0);
    aligned_free(w->data);
    aligned_free(w->wsum);
  }
}

void prefault_output(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  // A freshly allocated output (a new ArrayBuffer) is untouched virtual memory: populating its pages in one call
  // costs far less than one page fault per 4 KiB inside the kernel (measured on a KVM guest: 384 faults 3.7 ms, one
  // populate 0.18 ms for 1.5 MiB). But populate walks every page even when all are present (a reused or calloc-zeroed
  // buffer: 50 us for 1.5 MiB, 7% of an AVX-512 GEMM of that output), so mincore (4 us) asks first. Failure (older
  // kernels) changes nothing.
  if (bytes < (size_t(256) << 10)) return;
  const uintptr_t page = 4096, lo = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
  if (hi <= lo) return;
  // Ranges this thread found resident lately (a pool's buffers come back run after run): no mincore for them. A range
  // unmapped and mapped anew at the same address then takes its page faults in the kernel, as without a prefault.
  thread_local uintptr_t seen[16][2] = {};
  thread_local unsigned next = 0;
  for (const auto& r : seen)
    if (r[0] == lo && r[1] == hi) return;
  const size_t pages = (hi - lo) / page;
  unsigned char vec[1024];
  bool resident = true;
  for (size_t q = 0; q < pages && resident; q += sizeof(vec)) {
    const size_t n = pages - q < sizeof(vec) ? pages - q : sizeof(vec);
    if (mincore(reinterpret_cast<void*>(lo + q * page), n * page, vec) != 0) {
      resident = false;
      break;
    }
    for (size_t i = 0; i < n; i++)
      if (!(vec[i] & 1)) {
        resident = false;
        break;
      }
  }
  if (!resident && madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE) != 0) return;
  seen[next][0] = lo;
  seen[next][1] = hi;
  next = (next + 1) % 16;
#else
  (void)p;
  (void)bytes;
#endif
}

int task_count(const ThreadPool* pool, int M, int panels, int nr, int K, int threads, int64_t grain) {
  if (threads <= 1) return 1;
  const long work = static_cast<long>(M) * panels;
  if (work < 8) return 1;
  return grain_tasks(pool, static_cast<int64_t>(M) * panels * nr * (K > 0 ? K : 1), grain, threads);
}

Part partition(int M, int panels, int tasks, int t, int row_align) {
  if (M == 1 || panels >= 2 * tasks || M < 2 * row_align) {
    const int p0 = static_cast<int>(static_cast<long>(panels) * t / tasks);
    const int p1 = static_cast<int>(static_cast<long>(panels) * (t + 1) / tasks);
    return {0, M, p0, p1};
  }
  const int blocks = (M + row_align - 1) / row_align;
  const int b0 = static_cast<int>(static_cast<long>(blocks) * t / tasks);
  const int b1 = static_cast<int>(static_cast<long>(blocks) * (t + 1) / tasks);
  const int m0 = b0 * row_align, m1 = b1 * row_align < M ? b1 * row_align : M;
  return {m0 < M ? m0 : M, m1, 0, panels};
}

namespace {

template <bool PerColumn, bool Bias>
void requant_row(const int32_t* a, const int32_t* bias, const float* mult, int j0, int j1, float zp, float qmin, float qmax, float nanq, uint8_t* o) {
  const float m0 = mult[0];
  float v[256];
  for (int jb = j0; jb < j1; jb += 256) {
    const int n = j1 - jb < 256 ? j1 - jb : 256;
    for (int t = 0; t < n; t++) {
      const int j = jb + t;
      const int32_t acc_j = Bias ? static_cast<int32_t>(static_cast<uint32_t>(a[j]) + static_cast<uint32_t>(bias[j])) : a[j];
      v[t] = static_cast<float>(acc_j) * (PerColumn ? mult[j] : m0);
    }
    quant_store(v, n, zp, qmin, qmax, nanq, o + jb);
  }
}

}  // namespace

void requantize_block(const int32_t* acc, int ldacc, int m0, int m1, int j0, int j1, const Requant& r, int ldo) {
  const float qmin = r.out_signed ? -128.0f : 0.0f, qmax = r.out_signed ? 127.0f : 255.0f;
  const float zp = static_cast<float>(r.zp);
  const float nanq = zp < qmin ? qmin : (zp > qmax ? qmax : zp);  // NaN -> the zero point, as the reference
  const bool per_col = r.mult_n != 1;
  for (int i = m0; i < m1; i++) {
    const int32_t* a = acc + static_cast<size_t>(i) * ldacc;
    uint8_t* o = r.out + static_cast<size_t>(i) * ldo;
    if (per_col) {
      if (r.bias) requant_row<true, true>(a, r.bias, r.mult, j0, j1, zp, qmin, qmax, nanq, o);
      else requant_row<true, false>(a, nullptr, r.mult, j0, j1, zp, qmin, qmax, nanq, o);
    } else {
      if (r.bias) requant_row<false, true>(a, r.bias, r.mult, j0, j1, zp, qmin, qmax, nanq, o);
      else requant_row<false, false>(a, nullptr, r.mult, j0, j1, zp, qmin, qmax, nanq, o);
    }
  }
}

void qgemm_requant(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                   int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const Requant& r) {
  const size_t need = static_cast<size_t>(M) * B.N;
  if (ws.acc.size() < need) ws.acc.resize(need);
  qgemm_impl(pool, ws, k, B, A, a_signed, M, za, za_n, zb, zb_n, ws.acc.data(), &r);
}

void qgemm(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
           int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, int32_t* C) {
  qgemm_impl(pool, ws, k, B, A, a_signed, M, za, za_n, zb, zb_n, C, nullptr);
}

void qgemm_float(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                 int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const QFloatEpi& fe, float* Y, const int32_t* rowsum) {
  static_assert(sizeof(float) == sizeof(int32_t), "the float stage reuses the int32 layout");
  qgemm_impl(pool, ws, k, B, A, a_signed, M, za, za_n, zb, zb_n, reinterpret_cast<int32_t*>(Y), nullptr, &fe, rowsum);
}

void qgemm_float_split(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                       int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const QFloatEpi& fe,
                       const ColumnSplit& split, const int32_t* rowsum) {
  bool aligned = true;
  for (int g = 0; g < split.groups; g++) aligned = aligned && split.off[g] % B.nr == 0;
  if (aligned) {
    qgemm_impl(pool, ws, k, B, A, a_signed, M, za, za_n, zb, zb_n, nullptr, nullptr, &fe, rowsum, &split);
    return;
  }
  // Groups off B's panel boundaries (none of this library's kernels for widths that are multiples of 64): the whole
  // result in a buffer of its own (the caller's scratch slots may hold A), then each group's columns; with an output
  // stage per group, the whole result once per stage.
  const size_t N = static_cast<size_t>(B.N);
  std::vector<float> whole(static_cast<size_t>(M) * N);
  for (int g = 0; g < split.groups; g++) {
    if (g == 0 || split.fe) qgemm_impl(pool, ws, k, B, A, a_signed, M, za, za_n, zb, zb_n, reinterpret_cast<int32_t*>(whole.data()), nullptr, split.fe ? split.fe[g] : &fe, rowsum);
    for (int i = 0; i < M; i++)
      std::memcpy(split.Y[g] + static_cast<size_t>(i) * split.n[g], whole.data() + static_cast<size_t>(i) * N + split.off[g], sizeof(float) * split.n[g]);
  }
}

/** y[i, j] += r[i, j] (float32, rounded once) over rows [m0, m1), columns [j0, j1) of y [., ldy] and r [., ldr]. */
static void add_rows(float* y, int ldy, const float* r, int ldr, int m0, int m1, int j0, int j1) {
  for (int i = m0; i < m1; i++) {
    float* yr = y + static_cast<size_t>(i) * ldy;
    const float* rr = r + static_cast<size_t>(i) * ldr;
    for (int j = j0; j < j1; j++) yr[j] = yr[j] + rr[j];
  }
}

/** C of column group g of a split output: the base from which the driver's C + row * ldc + n (n the absolute column,
 *  n >= off[g]) lands in Y[g] ([M, n[g]]); computed in integers, never dereferenced below Y[g]. */
static int32_t* group_base(const ColumnSplit& s, int g) {
  return reinterpret_cast<int32_t*>(reinterpret_cast<uintptr_t>(s.Y[g]) - sizeof(float) * static_cast<uintptr_t>(s.off[g]));
}

static void qgemm_impl(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, int32_t* C, const Requant* rq,
                const QFloatEpi* fe, const int32_t* rowsum_in, const ColumnSplit* split) {
  const int K = B.K, N = B.N;
  if (M == 0 || N == 0) return;
  if (static_cast<int>(ws.rowsum.size()) < M) ws.rowsum.resize(M);
  if (static_cast<int>(ws.zae.size()) < za_n) ws.zae.resize(za_n);
  if (static_cast<int>(ws.zbe.size()) < zb_n) ws.zbe.resize(zb_n);
  const int32_t aoff = a_signed ? 128 : 0;
  for (int i = 0; i < za_n; i++) ws.zae[i] = za[i] + aoff;
  for (int j = 0; j < zb_n; j++) ws.zbe[j] = zb[j] - B.boff;
  if (rowsum_in)
    std::memcpy(ws.rowsum.data(), rowsum_in, sizeof(int32_t) * M);
  else
    qrowsums(A, K, a_signed, K, 0, M, ws.rowsum.data());
  if (split)
    for (int g = 0; g < split->groups; g++) prefault_output(split->Y[g], sizeof(float) * static_cast<size_t>(M) * split->n[g]);
  else if (!rq)
    prefault_output(C, sizeof(int32_t) * static_cast<size_t>(M) * N);
  QGemmArgs a{M, N, K, A, K, a_signed, &B, C, N, ws.rowsum.data(), ws.zae.data(), za_n, ws.zbe.data(), zb_n};
  a.fe = fe && k.float_epi ? fe : nullptr;
  const QFloatEpi* after = fe && !k.float_epi ? fe : nullptr;  // the caller's pass over each finished block
  const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
  int tasks = task_count(pool, M, B.panels, B.nr, B.K, threads, kGrainI8);
  // Several threads on column panels, A one block: the caller packs A once for all, and the columns go out in pieces
  // whose B slice fits half an L2 (a multiple of the thread count, claimed in turn, so a thread the OS runs late
  // holds back one small piece, not half the work).
  const bool slots = pool && pool->size() <= ws.threads();  // scratch by thread slot, not by piece
  const size_t apack = slots && tasks > 1 && M > 1 && B.panels >= 2 * tasks && k.apack_bytes ? k.apack_bytes(M, B.Kp) : 0;
  int pieces = 0;
  if (split && apack == 0 && M > 1 && k.apack_bytes && k.apack_bytes(M, B.Kp) > 0) {
    // a split output runs the kernel once per group in a task: A packed once for all of them
    uint8_t* ap = static_cast<uint8_t*>(thread_scratch(kScratchLayout, k.apack_bytes(M, B.Kp)));
    k.apack(a, ap);
    a.apacked = ap;
  }
  if (apack > 0) {
    // A packed whole in the calling thread's layout scratch (read by every task of this call)
    uint8_t* ap = static_cast<uint8_t*>(thread_scratch(kScratchLayout, apack));
    k.apack(a, ap);
    a.apacked = ap;
    constexpr size_t kPieceBytes = size_t(512) << 10;
    const size_t panel_bytes = static_cast<size_t>(B.Kp) * B.nr;
    const int per = static_cast<int>(kPieceBytes / panel_bytes > 0 ? kPieceBytes / panel_bytes : 1);
    pieces = (B.panels + per - 1) / per;
    // At least 4 pieces a thread: a worker that wakes late (another process on its core) then claims a quarter of
    // its share at a time while the caller goes on claiming, instead of half the op that the caller must wait for.
    if (pieces < 4 * tasks) pieces = 4 * tasks;
    pieces = (pieces + tasks - 1) / tasks * tasks;
    if (pieces > B.panels) pieces = B.panels;
    tasks = pieces;
  }
  // One block of the result: the kernel, then the passes over it while it is in cache. C, ldc: the output (a split
  // output's group base and width; columns j0..j1 are absolute).
  auto block = [&](const QGemmArgs& ga, int32_t* c, int ldc, int m0, int m1, int p0, int p1, void* scratch) {
    k.gemm(ga, m0, m1, p0, p1, scratch);
    const int j0 = p0 * B.nr, j1 = p1 * B.nr < N ? p1 * B.nr : N;
    if (rq) requantize_block(c, ldc, m0, m1, j0, j1, *rq, N);
    if (after) qfloat_rows(*after, c, ldc, m0, m1, j0, j1);
    if (fe && fe->res) add_rows(reinterpret_cast<float*>(c), ldc, fe->res, N, m0, m1, j0, j1);
  };
  auto body = [&](int t) {
    const Part p = pieces ? Part{0, M, static_cast<int>(static_cast<long>(B.panels) * t / pieces), static_cast<int>(static_cast<long>(B.panels) * (t + 1) / pieces)}
                          : partition(M, B.panels, tasks, t, 32);
    void* scratch = ws.scratch(pieces ? ThreadPool::current_slot() : t);
    if (!split) {
      block(a, C, N, p.m0, p.m1, p.p0, p.p1, scratch);
      return;
    }
    for (int g = 0; g < split->groups; g++) {
      const int g0 = split->off[g] / B.nr, g1 = (split->off[g] + split->n[g] + B.nr - 1) / B.nr;
      const int q0 = p.p0 > g0 ? p.p0 : g0, q1 = p.p1 < g1 ? p.p1 : g1;
      if (q0 >= q1) continue;
      QGemmArgs ga = a;
      ga.C = group_base(*split, g);
      ga.ldc = split->n[g];
      if (split->fe) {
        // the group's own output stage, in the tiles or after them as for the whole
        const QFloatEpi* gfe = split->fe[g];
        ga.fe = k.float_epi ? gfe : nullptr;
        k.gemm(ga, p.m0, p.m1, q0, q1, scratch);
        if (!k.float_epi) qfloat_rows(*gfe, ga.C, ga.ldc, p.m0, p.m1, q0 * B.nr, q1 * B.nr < N ? q1 * B.nr : N);
        continue;
      }
      block(ga, ga.C, ga.ldc, p.m0, p.m1, q0, q1, scratch);
    }
  };
  if (tasks == 1 || !pool) {
    for (int t = 0; t < tasks; t++) body(t);
  } else {
    pool->run(tasks, body);
  }
}

void fgemm(ThreadPool* pool, Workspace& ws, const FGemmKernel& k, const FPackedB& B, const float* A, int M,
           const float* bias, float* C) {
  if (M == 0 || B.N == 0) return;
  FGemmArgs a{M, B.N, B.K, A, B.K, &B, C, B.N, bias};
  prefault_output(C, sizeof(float) * static_cast<size_t>(M) * B.N);
  const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
  const int tasks = task_count(pool, M, B.panels, B.nr, B.K, threads, kGrainF32);
  auto body = [&](int t) {
    const Part p = partition(M, B.panels, tasks, t, 24);
    k.gemm(a, p.m0, p.m1, p.p0, p.p1, ws.scratch(t));
  };
  if (tasks == 1 || !pool) {
    for (int t = 0; t < tasks; t++) body(t);
  } else {
    pool->run(tasks, body);
  }
}

}  // namespace lowbit
