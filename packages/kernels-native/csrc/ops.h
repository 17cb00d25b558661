// The calls the addon and the standalone test share: a GEMM over a thread pool with per-instance workspace.
#pragma once
#include <cstdint>
#include <vector>

#include "common.h"
#include "threadpool.h"

namespace lowbit {

/**
 * Scratch owned by the calling OS thread, shared by every kernel instance that runs on it: a 64-aligned buffer of at
 * least `bytes` in slot `slot` (kScratch*), grown on demand and kept until the thread exits. A native call is never
 * re-entered on its thread and pool threads run one task at a time, so a slot holds one user at a time; sharing keeps
 * the memory each layer writes in the caches (per-instance buffers were as many cold buffers as layers).
 */
enum ScratchSlot { kScratchTask = 0, kScratchLayout = 1, kScratchQuant = 2, kScratchGemm = 3, kScratchSlots = 4 };
void* thread_scratch(int slot, size_t bytes);

/** Per-kernel-instance buffers: one scratch per thread and the per-call vectors. Grows, never shrinks. */
class Workspace {
 public:
  Workspace(size_t scratch_bytes, int threads);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  /** The GEMM kernels' per-task scratch (scratch_bytes; the running thread's kScratchGemm slot, `t` for bookkeeping). */
  void* scratch(int t) {
    (void)t;
    return thread_scratch(kScratchGemm, scratch_bytes_);
  }
  int threads() const { return threads_; }
  std::vector<int32_t> rowsum, zae, zbe, acc, conv32;
  std::vector<uint8_t> col8, out8;
  std::vector<float> colf, convf;
  /** The direct convolution's weights, packed on first use from the instance's packed B (freed with the workspace). */
  FConvW fconvw;
  QConvW qconvw;
  /** The same weights in channel-group order (k = ((kh * KW + kw) * Cg + c / 4) * 4 + c % 4) for conv_c4, and the
   *  per-call image in that layout and its group offsets. */
  QConvW qconvw4;
  /** qconvw / qconvw4 with the ones row folded into the last strip (QConvW::folded), for kernels with conv_fold. */
  QConvW qconvwf, qconvw4f;
  std::vector<int32_t> goff;
  /** A 64-aligned buffer of at least `bytes` for one task of a pool run (the running thread's kScratchTask slot; `t`
   *  names the task for the callers' bookkeeping only). */
  void* thread_buf(int t, size_t bytes) {
    (void)t;
    return thread_scratch(kScratchTask, bytes);
  }

 private:
  size_t scratch_bytes_;
  int threads_;
};

/**
 * C[M, N] = sum_k (A - za)(B - zb) in int32 (wrap-around), A raw uint8/int8 bytes [M, K] row-major.
 * za: za_n = 1 or M values; zb: zb_n = 1 or N values (the zero points as integers in A's / B's own type).
 */
void qgemm(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
           int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, int32_t* C);

/**
 * The int8 GEMM with a float32 output stage (QFloatEpi: scale, or requantize then dequantize, then bias) into Y
 * [M, N]; fe.mult / fe.bias hold B.panels * B.nr values (zero padded past N). `rowsum`: the M byte sums of A's rows
 * (unsigned A only) when the caller has them (the dynamic quantization computes them), else computed here.
 */
void qgemm_float(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                 int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const QFloatEpi& fe, float* Y,
                 const int32_t* rowsum = nullptr);

/**
 * One GEMM's output columns written to separate arrays (sibling MatMuls of one input run as one GEMM over their
 * concatenated weights): group g is columns [off[g], off[g] + n[g]) of the [M, N] result, stored as Y[g] [M, n[g]];
 * off[0] = 0 and the groups tile [0, N) in order.
 */
struct ColumnSplit {
  int groups;
  const int* off;
  const int* n;
  float* const* Y;
  /** Each group's own float output stage (its mult / bias still indexed by the absolute column), or null: `fe`. */
  const QFloatEpi* const* fe = nullptr;
};

/**
 * qgemm_float into the column groups of `split` instead of one Y (fe.res, if any, is [M, N] as for qgemm_float). When
 * every group starts on a panel boundary of B the tiles store straight into the groups' arrays; otherwise the result
 * goes through the calling thread's scratch and is copied out. The same bytes as qgemm_float then a column split.
 */
void qgemm_float_split(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                       int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const QFloatEpi& fe,
                       const ColumnSplit& split, const int32_t* rowsum = nullptr);

/**
 * The requantize output stage of QLinearMatMul / QLinearConv, as the reference `requantize`:
 *   q = clamp(roundHalfEven(float(acc) * mult[j]) + zp, qmin, qmax)   (float32 product; NaN -> zp; +-inf saturate)
 */
struct Requant {
  const float* mult;  // 1 or N multipliers (fround(fround(sa * sb) / sy))
  int mult_n;
  int32_t zp;
  bool out_signed;    // int8 output (else uint8)
  uint8_t* out;       // [M, N] bytes
  const int32_t* bias = nullptr;  // QLinearConv's int32 B: N values added (wrapping) before the product
};
void requantize_block(const int32_t* acc, int ldacc, int m0, int m1, int j0, int j1, const Requant& r, int ldo);

/** The int8 GEMM into `ws.acc` followed by `requantize` into r.out (per partition, while the block is in cache). */
void qgemm_requant(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* A, bool a_signed,
                   int M, const int32_t* za, int za_n, const int32_t* zb, int zb_n, const Requant& r);

/** C[M, N] = A[M, K] B (+ bias[N]). */
void fgemm(ThreadPool* pool, Workspace& ws, const FGemmKernel& k, const FPackedB& B, const float* A, int M,
           const float* bias, float* C);

/** Populates the pages of a large, possibly never touched output buffer in one system call (Linux). */
void prefault_output(void* p, size_t bytes);

/** Splits [0, M) x [0, panels) into `tasks` rectangles (contiguous panel ranges, or row ranges when panels are few). */
struct Part {
  int m0, m1, p0, p1;
};
Part partition(int M, int panels, int tasks, int t, int row_align);
int task_count(const ThreadPool* pool, int M, int panels, int nr, int K, int threads, int64_t grain);

}  // namespace lowbit
