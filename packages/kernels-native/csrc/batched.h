// Batched GEMMs whose operands are both activations (attention's Q K^T and P V): every matrix read in place through
// element offsets and row strides (so a transposed or head-interleaved view needs no copy), each distinct B packed
// once per call into buffers the caller keeps between calls, and the batch split across threads as whole matrices.
// Every output element is computed exactly as by the single-matrix GEMM of the same kernel, whatever the split.
#pragma once
#include <cstdint>
#include <vector>

#include "common.h"
#include "ops.h"
#include "threadpool.h"

namespace lowbit {

/** C[t] (M x N, contiguous, t-th of `batch`) = A[t] (M x K at a_off[t], rows lda apart) x B[t]. */
struct BatchGeom {
  int batch, M, K, N;
  const int32_t* a_off;
  int lda;
  /** B[t] at b_off[t]: K rows of N, ldb apart; or, when b_trans, N rows of K (B^T), ldb apart. */
  const int32_t* b_off;
  int ldb;
  bool b_trans;
};

/** What a batched call keeps between calls (grown, never shrunk): the packed B matrices and the per-thread scratch. */
class BatchWorkspace {
 public:
  BatchWorkspace(size_t scratch_bytes, int threads) : ws(scratch_bytes, threads) {}
  ~BatchWorkspace() { aligned_free(buf_); }
  BatchWorkspace(const BatchWorkspace&) = delete;
  BatchWorkspace& operator=(const BatchWorkspace&) = delete;
  /** A 64-aligned buffer of at least `bytes`, shared by the tasks of one call. */
  void* packed(size_t bytes) {
    if (bytes > bytes_) {
      aligned_free(buf_);
      buf_ = aligned_alloc64(bytes);
      bytes_ = bytes;
    }
    return buf_;
  }
  Workspace ws;
  std::vector<int> slot;            // batch index -> index of its distinct B
  std::vector<int32_t> distinct;    // offsets of the distinct B matrices
  std::vector<QPackedB> qb;
  std::vector<int32_t> zbe;         // zb - boff per distinct B
  std::vector<FPackedB> fb;

 private:
  void* buf_ = nullptr;
  size_t bytes_ = 0;
};

void fgemm_batched(ThreadPool* pool, BatchWorkspace& bw, const FGemmKernel& k, const float* A, const float* B, const BatchGeom& g, float* C);

/**
 * The int8 batched GEMM with per-tensor zero points (integers in A's / B's own types): int32 sums into C
 * ([batch, M, N]) when rq and yf are null; else requantized (rq->mult_n == 1) into rq->out ([batch, M, N]); else scaled
 * to float32, yf = float(acc) * yscale (one float32 product: the dynamic-int8 epilogue without bias).
 * False when the kernel needs 7-bit B and a B is not (nothing written).
 */
bool qgemm_batched(ThreadPool* pool, BatchWorkspace& bw, const QGemmKernel& k, const uint8_t* A, bool a_signed, const uint8_t* B, bool b_signed,
                   const BatchGeom& g, int32_t za, int32_t zb, int32_t* C, const Requant* rq, float* yf = nullptr, float yscale = 0.0f);

#if defined(__x86_64__)
namespace avx2 {
/** out[i] = requantize(acc[i]) for i < n with one multiplier, no bias (requantize_block's operations; AVX2 only). */
void requant_per_tensor(const int32_t* acc, int n, float mult, int32_t zp, bool out_signed, uint8_t* out);
}  // namespace avx2
#endif

}  // namespace lowbit
