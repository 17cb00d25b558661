// The blocked float32 GEMM driver, instantiated per ISA translation unit (include inside an anonymous namespace).
// Loops: column blocks, K blocks of FKC, row blocks of MC; A's block is packed into MR-row strips ([k][MR]), B is
// pre-packed in panels ([k][NR]). Each output element is accumulated over k in ascending order with fused multiply-
// adds (one rounding per step), independent of blocking and of thread count; M = 1 takes a GEMV that splits k into
// 4 interleaved partial sums (fixed order, also independent of threads).
//
// UK: MR, NR; static void tile(int kc, const float* a, const float* b, float* c, int ldc, bool acc);
//              static void gemv(int kc, const float* a, const float* b, float* c, bool acc);
// optionally  static constexpr bool GEMV2 = true;
//              static void gemv2(int K, const float* a, const float* b, const float* b2, float* c, float* c2);
//   two whole panels at once (two memory streams: one core reads the DRAM-bound GEMV's weights ~1.3x faster on Zen 5),
//   each column summed in exactly the order of gemv.

// k per block and rows per block at most: K = 768 and M = 128 (BERT-sized) are one block each, so C is stored once and
// B streamed once (about 1.3x the former 256 / 96 on an AMD EPYC, Zen 5); fp32 C round-trips exactly, so the block
// sizes never change a result.
constexpr int FKC = 768;
constexpr int FMCROWS = 132;

template <class U, class = void>
struct FHasGemv2 {
  static constexpr bool value = false;
};
template <class U>
struct FHasGemv2<U, decltype(void(U::GEMV2))> {
  static constexpr bool value = U::GEMV2;
};

template <class UK>
struct FDriver {
  static constexpr int MR = UK::MR, NR = UK::NR;
  static constexpr int MC = MR * (FMCROWS / MR > 0 ? FMCROWS / MR : 1);
  static constexpr int NCP = (1024 + NR - 1) / NR;
  static constexpr size_t scratch_bytes() { return sizeof(float) * static_cast<size_t>(MC) * FKC + 64; }

  static void packA(const FGemmArgs& a, int i0, int mc, int pc, int kc, float* dst) {
    const int strips = (mc + MR - 1) / MR;
    for (int s = 0; s < strips; s++) {
      float* d = dst + static_cast<size_t>(s) * MR * kc;
      for (int r = 0; r < MR; r++) {
        const int i = s * MR + r;
        if (i >= mc) {
          for (int k = 0; k < kc; k++) d[k * MR + r] = 0.0f;
          continue;
        }
        const float* src = a.A + static_cast<size_t>(i0 + i) * a.lda + pc;
        for (int k = 0; k < kc; k++) d[k * MR + r] = src[k];
      }
    }
  }
#if defined(__SSE2__)
  /** packA for MR a multiple of 4: whole strips as 4 x 4 blocks transposed in registers, the rest as packA. */
  static void packA4(const FGemmArgs& a, int i0, int mc, int pc, int kc, float* dst) {
    if constexpr (MR % 4 != 0) {
      packA(a, i0, mc, pc, kc, dst);
    } else {
      const int full = mc / MR;
      for (int s = 0; s < full; s++) {
        float* d = dst + static_cast<size_t>(s) * MR * kc;
        for (int r = 0; r < MR; r += 4) {
          const float* s0 = a.A + static_cast<size_t>(i0 + s * MR + r) * a.lda + pc;
          const float *s1 = s0 + a.lda, *s2 = s1 + a.lda, *s3 = s2 + a.lda;
          int k = 0;
          for (; k + 4 <= kc; k += 4) {
            __m128 r0 = _mm_loadu_ps(s0 + k), r1 = _mm_loadu_ps(s1 + k), r2 = _mm_loadu_ps(s2 + k), r3 = _mm_loadu_ps(s3 + k);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float* dk = d + static_cast<size_t>(k) * MR + r;
            _mm_storeu_ps(dk, r0);
            _mm_storeu_ps(dk + MR, r1);
            _mm_storeu_ps(dk + 2 * MR, r2);
            _mm_storeu_ps(dk + 3 * MR, r3);
          }
          for (; k < kc; k++) {
            float* dk = d + static_cast<size_t>(k) * MR + r;
            dk[0] = s0[k];
            dk[1] = s1[k];
            dk[2] = s2[k];
            dk[3] = s3[k];
          }
        }
      }
      if (full * MR < mc) packA(a, i0 + full * MR, mc - full * MR, pc, kc, dst + static_cast<size_t>(full) * MR * kc);
    }
  }
#else
  static void packA4(const FGemmArgs& a, int i0, int mc, int pc, int kc, float* dst) { packA(a, i0, mc, pc, kc, dst); }
#endif

  static void bias(const FGemmArgs& a, int m0, int m1, int j0, int j1) {
    if (!a.bias) return;
    for (int i = m0; i < m1; i++) {
      float* c = a.C + static_cast<size_t>(i) * a.ldc;
      for (int j = j0; j < j1; j++) c[j] += a.bias[j];
    }
  }

  static void run(const FGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch_v) {
    float* scratch = static_cast<float*>(scratch_v);
    if (m1 <= m0 || p1 <= p0) return;
    const FPackedB& B = *a.B;
    const int K = B.K;
    alignas(64) float tmp[MR * NR];
    if (K == 0) {
      for (int i = m0; i < m1; i++)
        for (int j = p0 * NR; j < p1 * NR && j < a.N; j++) a.C[static_cast<size_t>(i) * a.ldc + j] = 0.0f;
      bias(a, m0, m1, p0 * NR, p1 * NR < a.N ? p1 * NR : a.N);
      return;
    }
    if (a.M == 1) {  // the whole problem, not this thread's share: the summation order must not depend on the partition
      float* c = a.C + static_cast<size_t>(m0) * a.ldc;
      const float* arow = a.A + static_cast<size_t>(m0) * a.lda;
      for (int p = p0; p < p1; p++) {
        const int n0 = p * NR, nv = a.N - n0 < NR ? a.N - n0 : NR;
        const float* bp = B.data + static_cast<size_t>(p) * K * NR;
        if constexpr (FHasGemv2<UK>::value) {
          if (p + 1 < p1 && a.N - n0 >= 2 * NR) {  // two whole panels
            UK::gemv2(K, arow, bp, bp + static_cast<size_t>(K) * NR, c + n0, c + n0 + NR);
            p++;
            continue;
          }
        }
        if (nv == NR) {
          UK::gemv(K, arow, bp, c + n0, false);
        } else {
          UK::gemv(K, arow, bp, tmp, false);
          for (int j = 0; j < nv; j++) c[n0 + j] = tmp[j];
        }
      }
      bias(a, m0, m1, p0 * NR, p1 * NR < a.N ? p1 * NR : a.N);
      return;
    }
    for (int jc = p0; jc < p1; jc += NCP) {
      const int jcEnd = jc + NCP < p1 ? jc + NCP : p1;
      for (int pc = 0; pc < K; pc += FKC) {
        const int kc = K - pc < FKC ? K - pc : FKC;
        const bool acc = pc > 0;
        for (int ic = m0; ic < m1; ic += MC) {
          const int mc = m1 - ic < MC ? m1 - ic : MC;
          packA4(a, ic, mc, pc, kc, scratch);
          for (int jp = jc; jp < jcEnd; jp++) {
            const float* bp = B.data + static_cast<size_t>(jp) * K * NR + static_cast<size_t>(pc) * NR;
            const int n0 = jp * NR, nv = a.N - n0 < NR ? a.N - n0 : NR;
            for (int ir = 0; ir < mc; ir += MR) {
              const int mv = mc - ir < MR ? mc - ir : MR;
              const float* ap = scratch + static_cast<size_t>(ir) * kc;
              float* c = a.C + static_cast<size_t>(ic + ir) * a.ldc + n0;
              if (mv == MR && nv == NR) {
                UK::tile(kc, ap, bp, c, a.ldc, acc);
              } else {
                if (acc)
                  for (int r = 0; r < mv; r++)
                    for (int j = 0; j < nv; j++) tmp[r * NR + j] = c[static_cast<size_t>(r) * a.ldc + j];
                UK::tile(kc, ap, bp, tmp, NR, acc);
                for (int r = 0; r < mv; r++)
                  for (int j = 0; j < nv; j++) c[static_cast<size_t>(r) * a.ldc + j] = tmp[r * NR + j];
              }
            }
          }
        }
      }
      bias(a, m0, m1, jc * NR, jcEnd * NR < a.N ? jcEnd * NR : a.N);
    }
  }
};
