// Packing of B and the kernel list for the int8 GEMM (ISA-independent code, baseline flags).
#include <cstdlib>
#include <cstring>

#include "common.h"

namespace lowbit {

size_t qpack_data_bytes(const QGemmKernel& k, int K, int N) {
  int Kp = (K + k.kalign - 1) / k.kalign * k.kalign;
  if (Kp == 0) Kp = k.kalign;
  return static_cast<size_t>((N + k.nr - 1) / k.nr) * Kp * k.nr;
}
size_t qpack_colsum_bytes(const QGemmKernel& k, int N) { return sizeof(int32_t) * static_cast<size_t>((N + k.nr - 1) / k.nr) * k.nr; }

bool qpack_into(const QGemmKernel& k, const uint8_t* b, bool b_signed, int K, int N, int ldb, bool trans, QPackedB* p, int8_t* data, int32_t* colsum) {
  // b's rows: K rows of N (or, trans, N rows of K), ldb apart
  const int rows = trans ? N : K, cols = trans ? K : N;
  int lo = 255, hi = -128;
  for (int r = 0; r < rows; r++) {
    const uint8_t* row = b + static_cast<size_t>(r) * ldb;
    if (b_signed) {
      for (int c = 0; c < cols; c++) {
        const int v = static_cast<int8_t>(row[c]);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    } else {
      for (int c = 0; c < cols; c++) {
        const int v = row[c];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    }
  }
  const bool seven = K * N == 0 || hi - lo <= 127;
  if (k.needs_7bit && !seven) return false;
  p->K = K;
  p->N = N;
  p->nr = k.nr;
  p->Kp = (K + k.kalign - 1) / k.kalign * k.kalign;
  if (p->Kp == 0) p->Kp = k.kalign;
  p->panels = (N + k.nr - 1) / k.nr;
  p->sevenbit = seven;
  if (k.b_unsigned)
    p->boff = b_signed ? -128 : 0;  // b_u = b - boff in [0, 255], stored in the int8 bytes
  else
    p->boff = seven ? (K * N == 0 ? 0 : lo + 64) : (b_signed ? 0 : 128);
  const size_t bytes = static_cast<size_t>(p->panels) * p->Kp * k.nr;
  p->data = data;
  p->colsum = colsum;
  std::memset(p->data, 0, bytes);
  std::memset(p->colsum, 0, sizeof(int32_t) * p->panels * k.nr);
  const int nr = k.nr;
  const int32_t boff = p->boff;
  if (!trans) {
    for (int kk = 0; kk < K; kk++) {
      const uint8_t* row = b + static_cast<size_t>(kk) * ldb;
      // Panel by panel (no division per element): element j of panel pnl goes to data[pnl][kk / 4][jj][kk & 3].
      int8_t* dk = p->data + static_cast<size_t>(kk / 4) * nr * 4 + (kk & 3);
      for (int j0 = 0, pnl = 0; j0 < N; j0 += nr, pnl++) {
        int8_t* d = dk + static_cast<size_t>(pnl) * p->Kp * nr;
        const int jn = N - j0 < nr ? N - j0 : nr;
        for (int jj = 0; jj < jn; jj++) {
          const int v = (b_signed ? static_cast<int8_t>(row[j0 + jj]) : row[j0 + jj]) - boff;
          d[jj * 4] = static_cast<int8_t>(static_cast<uint8_t>(v));
          p->colsum[j0 + jj] += v;
        }
      }
    }
  } else {
    // Column j of B is row j of b: its k run down groups of 4 bytes, nr * 4 apart.
    for (int j = 0; j < N; j++) {
      const uint8_t* col = b + static_cast<size_t>(j) * ldb;
      int8_t* d = p->data + static_cast<size_t>(j / nr) * p->Kp * nr + (j % nr) * 4;
      int32_t s = 0;
      for (int kk = 0; kk < K; kk++) {
        const int v = (b_signed ? static_cast<int8_t>(col[kk]) : col[kk]) - boff;
        d[static_cast<size_t>(kk / 4) * nr * 4 + (kk & 3)] = static_cast<int8_t>(static_cast<uint8_t>(v));
        s += v;
      }
      p->colsum[j] = s;
    }
  }
  return true;
}

bool qpack(const QGemmKernel& k, const uint8_t* b, bool b_signed, int K, int N, QPackedB* p) {
  int8_t* data = static_cast<int8_t*>(aligned_alloc64(qpack_data_bytes(k, K, N)));
  int32_t* colsum = static_cast<int32_t*>(aligned_alloc64(qpack_colsum_bytes(k, N)));
  if (!qpack_into(k, b, b_signed, K, N, N, false, p, data, colsum)) {
    aligned_free(data);
    aligned_free(colsum);
    p->data = nullptr;
    p->colsum = nullptr;
    return false;
  }
  return true;
}

void qfree(QPackedB* p) {
  aligned_free(p->data);
  aligned_free(p->colsum);
  p->data = nullptr;
  p->colsum = nullptr;
}

void qrowsums(const uint8_t* A, int lda, bool a_signed, int K, int m0, int m1, int32_t* rowsum) {
  for (int i = m0; i < m1; i++) {
    const uint8_t* r = A + static_cast<size_t>(i) * lda;
    uint32_t s = 0;
    if (a_signed)
      for (int k = 0; k < K; k++) s += static_cast<uint8_t>(r[k] ^ 0x80);
    else
      for (int k = 0; k < K; k++) s += r[k];
    rowsum[i] = static_cast<int32_t>(s);
  }
}

void qgemm_run(const QGemmKernel& k, const QGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch) {
  k.gemm(a, m0, m1, p0, p1, scratch);
}

int qgemm_kernels(const QGemmKernel* const** out) {
#if defined(__x86_64__)
  static const QGemmKernel* const list[] = {&kQGemmScalar, &kQGemmAvx2, &kQGemmAvx2Fast7, &kQGemmAvxVnni, &kQGemmAvx512Vnni, &kQGemmAmx};
#elif defined(__aarch64__)
  static const QGemmKernel* const list[] = {&kQGemmScalar, &kQGemmNeon, &kQGemmNeonDot};
#else
  static const QGemmKernel* const list[] = {&kQGemmScalar};
#endif
  *out = list;
  return static_cast<int>(sizeof(list) / sizeof(list[0]));
}

}  // namespace lowbit
