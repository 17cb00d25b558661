// Packing of B and the kernel list for the int8 GEMM (ISA-independent code, baseline flags).
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common.h"

namespace lowbit {

size_t qpack_data_bytes(const QGemmKernel& k, int K, int N) {
  int Kp = (K + k.kalign - 1) / k.kalign * k.kalign;
  if (Kp == 0) Kp = k.kalign;
  return static_cast<size_t>((N + k.nr - 1) / k.nr) * Kp * k.nr;
}
size_t qpack_colsum_bytes(const QGemmKernel& k, int N) { return sizeof(int32_t) * static_cast<size_t>((N + k.nr - 1) / k.nr) * k.nr; }

namespace {

/** lo / hi of n bytes as signed or unsigned values (unsigned byte min / max, which vectorize; signed via ^ 0x80). */
void byte_range(const uint8_t* p, int n, bool is_signed, int* lo, int* hi) {
  const uint8_t x = is_signed ? 0x80 : 0;
  uint8_t l = 255, h = 0;
  for (int i = 0; i < n; i++) {
    const uint8_t v = static_cast<uint8_t>(p[i] ^ x);
    l = v < l ? v : l;
    h = v > h ? v : h;
  }
  const int lv = static_cast<int>(l) - (is_signed ? 128 : 0), hv = static_cast<int>(h) - (is_signed ? 128 : 0);
  *lo = lv < *lo ? lv : *lo;
  *hi = hv > *hi ? hv : *hi;
}

/** t[i] = b[i] - boff (the stored byte, wrapping), s[i] += t[i] as int8 (b_s), over n values. */
inline void shift_row(const uint8_t* b, int n, uint8_t boff, uint8_t* t, int32_t* s) {
  for (int i = 0; i < n; i++) t[i] = static_cast<uint8_t>(b[i] - boff);
  for (int i = 0; i < n; i++) s[i] += static_cast<int8_t>(t[i]);
}

}  // namespace

bool qpack_into(const QGemmKernel& k, const uint8_t* b, bool b_signed, int K, int N, int ldb, bool trans, QPackedB* p, int8_t* data, int32_t* colsum) {
  // b's rows: K rows of N (or, trans, N rows of K), ldb apart
  const int rows = trans ? N : K, cols = trans ? K : N;
  int lo = 255, hi = -128;
  for (int r = 0; r < rows; r++) byte_range(b + static_cast<size_t>(r) * ldb, cols, b_signed, &lo, &hi);
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
  // b_s = value - boff lies in int8 range for every choice above, so its byte is (raw byte - boff) mod 256 and b_s is
  // that byte read as int8; element (k, j) goes to data[j / nr][k / 4][j % nr][k % 4].
  const uint8_t boff8 = static_cast<uint8_t>(p->boff);
  constexpr int CH = 256;
  alignas(64) uint8_t t[4][CH];
  if (!trans) {
    // Four rows of B (one group of k) at a time, CH columns at a time: shifted, summed, then interleaved into words.
    for (int j0 = 0; j0 < N; j0 += CH) {
      const int jn = N - j0 < CH ? N - j0 : CH;
      for (int kk = 0; kk < K; kk += 4) {
        for (int q = 0; q < 4; q++) {
          if (kk + q < K)
            shift_row(b + static_cast<size_t>(kk + q) * ldb + j0, jn, boff8, t[q], colsum + j0);
          else
            std::memset(t[q], 0, jn);
        }
        for (int j = 0; j < jn;) {
          const int jj0 = (j0 + j) % nr, pnl = (j0 + j) / nr;
          const int run = nr - jj0 < jn - j ? nr - jj0 : jn - j;
          uint32_t* d = reinterpret_cast<uint32_t*>(data + (static_cast<size_t>(pnl) * p->Kp + kk) * nr) + jj0;
          const uint8_t *t0 = t[0] + j, *t1 = t[1] + j, *t2 = t[2] + j, *t3 = t[3] + j;
          for (int x = 0; x < run; x++)
            d[x] = static_cast<uint32_t>(t0[x]) | static_cast<uint32_t>(t1[x]) << 8 | static_cast<uint32_t>(t2[x]) << 16 | static_cast<uint32_t>(t3[x]) << 24;
          j += run;
        }
      }
    }
  } else {
    // Column j of B is row j of b: shifted (zero padded to a multiple of 4), summed, then one word per group of k.
    std::vector<uint8_t> col(static_cast<size_t>(p->Kp) + 4);
    for (int j = 0; j < N; j++) {
      const uint8_t* src = b + static_cast<size_t>(j) * ldb;
      int32_t s = 0;
      for (int kk = 0; kk < K; kk++) col[kk] = static_cast<uint8_t>(src[kk] - boff8);
      for (int kk = 0; kk < K; kk++) s += static_cast<int8_t>(col[kk]);
      for (int kk = K; kk < (K + 3) / 4 * 4; kk++) col[kk] = 0;
      colsum[j] = s;
      uint8_t* d = reinterpret_cast<uint8_t*>(data) + static_cast<size_t>(j / nr) * p->Kp * nr + (j % nr) * 4;
      for (int kk = 0; kk < K; kk += 4) std::memcpy(d + static_cast<size_t>(kk) * nr, col.data() + kk, 4);
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
#if defined(__SSE2__)
    // 16 bytes per psadbw (sums of absolute differences from 0: the byte sums of each half, exact), then the tail.
    int k0 = 0;
    {
      const __m128i flip = _mm_set1_epi8(a_signed ? static_cast<char>(0x80) : 0), zero = _mm_setzero_si128();
      __m128i acc = zero;
      for (; k0 + 16 <= K; k0 += 16)
        acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + k0)), flip), zero));
      s = static_cast<uint32_t>(_mm_cvtsi128_si32(acc)) + static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(acc, 8)));
    }
    if (a_signed)
      for (int k = k0; k < K; k++) s += static_cast<uint8_t>(r[k] ^ 0x80);
    else
      for (int k = k0; k < K; k++) s += r[k];
    rowsum[i] = static_cast<int32_t>(s);
    continue;
#endif
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
