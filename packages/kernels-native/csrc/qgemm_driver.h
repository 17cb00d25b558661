// The blocked int8 GEMM driver, instantiated once per ISA translation unit with that unit's micro-kernel (include it
// inside an anonymous namespace only). Loops (GotoBLAS order): column blocks of NCP panels, K blocks of KC, row blocks
// of MC; A's block is packed into MR-row strips (u8, K groups of 4, zero padded), then every (panel, strip) pair runs
// the MR x NR register-tile micro-kernel. M = 1 takes the GEMV kernel, which streams whole panels.
//
// UK must provide: MR, NR, PLANES (1, or 2 when A is split into a_u & 0x7f and a_u >> 7, or widened to int16 when UK
//   declares `static constexpr bool A16 = true`: each group of 4 k then takes 8 bytes, uint16 a0 a2 a1 a3, one plane),
//   static void tile(int kg, const uint8_t* a, int plane_stride, const int8_t* b, int32_t* c, int ldc, bool acc)
//   static void gemv(int kg, const uint8_t* a, int plane_stride, const int8_t* b, int32_t* c, bool acc)  // NR values
// The correction (zero points, offsets) is applied here after the last K block, in this unit's vector width; or, when
// UK declares `static constexpr bool EPI = true` and its tile takes a trailing `const QEpi* e`, by the tile itself in
// registers before its one store (one pass over C instead of two), for one A zero point (the common case).
// A float output stage (QGemmArgs::fe, see QFloatEpi) is applied by the tile in registers too when UK declares
// `static constexpr bool FEPI = true` (then QEpi::f is set on the last K block and the tile stores float32 bits);
// otherwise here, over each finished block while it is still in cache.

// K is split into equal blocks of at most KC (multiple of 64), rows into equal blocks of at most MC: BERT-sized
// K = 768 is one block (C is written once, no reload), M = 128 one row block (B is read once from L3).
constexpr int KC = 768;
constexpr int MCROWS = 128;

/**
 * The zero-point correction of one register tile, applied by the micro-kernel before its store (wrapping int32):
 *   c[r][j] -= x[r] * (y ? y[j] : 1) + z[j]     (x: MR row values; y, z: NR column values)
 */
struct QEpi {
  const int32_t* x;
  const int32_t* y;
  const int32_t* z;
  const QFloatEpi* f;  // null: store the int32 sums; else the float stage with fm = f->mult + n0, fb = f->bias + n0
  const float* fm;
  const float* fb;
};
template <class U, class = void>
struct QHasEpi {
  static constexpr bool value = false;
};
template <class U>
struct QHasEpi<U, decltype(void(U::EPI))> {
  static constexpr bool value = U::EPI;
};

template <class U, class = void>
struct QHasFEpi {
  static constexpr bool value = false;
};
template <class U>
struct QHasFEpi<U, decltype(void(U::FEPI))> {
  static constexpr bool value = U::FEPI;
};

template <class U, class = void>
struct QA16 {
  static constexpr bool value = false;
};
template <class U>
struct QA16<U, decltype(void(U::A16))> {
  static constexpr bool value = U::A16;
};

template <class UK>
struct QDriver {
  static constexpr int MR = UK::MR, NR = UK::NR, PL = UK::PLANES;
  static constexpr int MC = MR * (MCROWS / MR > 0 ? MCROWS / MR : 1);
  static constexpr int NCP = (1024 + NR - 1) / NR;  // panels per column block
  static constexpr size_t scratch_bytes() { return static_cast<size_t>(MC) * KC * PL + 64; }
  static constexpr bool A16 = QA16<UK>::value;
  static constexpr int GB = A16 ? 8 : 4;  // bytes of one row's group of 4 k in the packed A
  static_assert(!A16 || PL == 2, "int16 A takes the bytes of two planes");

  static inline uint32_t load4(const uint8_t* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  }
  static inline void store_planes(uint8_t* lo, int plane_stride, uint32_t w) {
    if (PL == 1) {
      std::memcpy(lo, &w, 4);
    } else {
      const uint32_t l = w & 0x7f7f7f7fu, h = (w >> 7) & 0x01010101u;
      std::memcpy(lo, &l, 4);
      std::memcpy(lo + plane_stride, &h, 4);
    }
  }
  /** One row's group of 4 k (4 bytes w) in the packed layout: byte planes, or 4 uint16 for A16. */
  static inline void put(uint8_t* p, int plane_stride, uint32_t w) {
    if (A16) {
      // (a0, a2, a1, a3): the even and the odd k of the group as two uint16 pairs (see the AVX2 Wide16UK)
      const uint16_t v[4] = {static_cast<uint16_t>(w & 0xff), static_cast<uint16_t>((w >> 16) & 0xff), static_cast<uint16_t>((w >> 8) & 0xff), static_cast<uint16_t>(w >> 24)};
      std::memcpy(p, v, 8);
    } else {
      store_planes(p, plane_stride, w);
    }
  }
  /** 4 bytes of row `row` at k (zero beyond K), shifted to unsigned. */
  static inline uint32_t group(const QGemmArgs& a, int row, int k, uint32_t x) {
    const uint8_t* src = a.A + static_cast<size_t>(row) * a.lda + k;
    if (k + 4 <= a.K) return load4(src) ^ x;
    uint32_t w = 0;
    for (int t = 0; t < 4 && k + t < a.K; t++) w |= static_cast<uint32_t>(static_cast<uint8_t>(src[t] ^ 0x80 * (x != 0))) << (8 * t);
    return w;
  }

  static void packA(const QGemmArgs& a, int i0, int mc, int pc, int kc, uint8_t* dst) {
    const uint32_t x = a.a_signed ? 0x80808080u : 0u;
    const int strips = (mc + MR - 1) / MR, kg = kc / 4;
    for (int s = 0; s < strips; s++) {
      uint8_t* d = dst + static_cast<size_t>(s) * MR * kc * PL;
      const int ps = MR * kc;
#if defined(__SSE2__)
      // One plane, 4 rows (the AVX512-VNNI layout): 16 k of the 4 rows as a 4 x 4 transpose of 4-byte groups.
      if (PL == 1 && !A16 && MR == 4 && s * MR + MR <= mc) {
        const int full = (a.K - pc) >= kc ? kg : (a.K - pc > 0 ? (a.K - pc) / 4 : 0);
        const uint8_t* r0 = a.A + static_cast<size_t>(i0 + s * MR) * a.lda + pc;
        const size_t ld = static_cast<size_t>(a.lda);
        const __m128i flip = _mm_set1_epi32(static_cast<int>(x));
        int g = 0;
        for (; g + 4 <= full; g += 4) {
          const __m128i v0 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 4 * g)), flip);
          const __m128i v1 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + ld + 4 * g)), flip);
          const __m128i v2 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 2 * ld + 4 * g)), flip);
          const __m128i v3 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 3 * ld + 4 * g)), flip);
          const __m128i t0 = _mm_unpacklo_epi32(v0, v1), t1 = _mm_unpackhi_epi32(v0, v1);
          const __m128i t2 = _mm_unpacklo_epi32(v2, v3), t3 = _mm_unpackhi_epi32(v2, v3);
          uint8_t* o = d + static_cast<size_t>(g) * 16;
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_unpacklo_epi64(t0, t2));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), _mm_unpackhi_epi64(t0, t2));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 32), _mm_unpacklo_epi64(t1, t3));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 48), _mm_unpackhi_epi64(t1, t3));
        }
        for (int r = 0; r < MR; r++) {
          const int row = i0 + s * MR + r;
          const uint8_t* src = a.A + static_cast<size_t>(row) * a.lda + pc;
          uint8_t* dr = d + r * GB;
          for (int h = g; h < full; h++) put(dr + h * MR * GB, ps, load4(src + 4 * h) ^ x);
          for (int h = full; h < kg; h++) put(dr + h * MR * GB, ps, pc + 4 * h < a.K ? group(a, row, pc + 4 * h, x) : 0);
        }
        continue;
      }
#endif
      for (int r = 0; r < MR; r++) {
        const int i = s * MR + r;
        uint8_t* dr = d + r * GB;
        if (i >= mc) {
          for (int g = 0; g < kg; g++) put(dr + g * MR * GB, ps, 0);
          continue;
        }
        const int row = i0 + i;
        int g = 0;
        const int full = (a.K - pc) >= kc ? kg : (a.K - pc > 0 ? (a.K - pc) / 4 : 0);
        const uint8_t* src = a.A + static_cast<size_t>(row) * a.lda + pc;
        for (; g < full; g++) put(dr + g * MR * GB, ps, load4(src + 4 * g) ^ x);
        for (; g < kg; g++) put(dr + g * MR * GB, ps, pc + 4 * g < a.K ? group(a, row, pc + 4 * g, x) : 0);
      }
    }
  }

  /** A as one block (every row, all of K) when it fits one, in the layout `run` reads; else 0 (pack per block). */
  static size_t apack_bytes(int M, int Kp) {
    if (M > MC || Kp > KC) return 0;
    return static_cast<size_t>((M + MR - 1) / MR) * MR * Kp * PL;
  }
  static void apack(const QGemmArgs& a, uint8_t* dst) { packA(a, 0, a.M, 0, a.B->Kp, dst); }

  static void fixup(const QGemmArgs& a, int m0, int m1, int j0, int j1) {
    const uint32_t K = static_cast<uint32_t>(a.K);
    const int32_t* cs = a.B->colsum;
    for (int i = m0; i < m1; i++) {
      const uint32_t ra = static_cast<uint32_t>(a.rowsum[i]);
      const uint32_t za = static_cast<uint32_t>(a.zae[a.zae_n == 1 ? 0 : i]);
      uint32_t* c = reinterpret_cast<uint32_t*>(a.C + static_cast<size_t>(i) * a.ldc);
      if (a.zbe_n == 1) {
        const uint32_t zb = static_cast<uint32_t>(a.zbe[0]);
        const uint32_t base = zb * ra - za * K * zb;
        for (int j = j0; j < j1; j++) c[j] -= base + za * static_cast<uint32_t>(cs[j]);
      } else {
        const uint32_t* zb = reinterpret_cast<const uint32_t*>(a.zbe);
        for (int j = j0; j < j1; j++) c[j] -= zb[j] * ra + za * (static_cast<uint32_t>(cs[j]) - K * zb[j]);
      }
    }
  }

  // One A zero point (zae_n == 1): correction = zbe_j * ra_i + zae * (cs_j - K * zbe_j), i.e. x_i = zbe * ra_i and
  // no y for one B zero point, x_i = ra_i and y_j = zbe_j for one per column.
  static void epi_rows(const QGemmArgs& a, int i0, int mv, int32_t* x) {
    const uint32_t zb = a.zbe_n == 1 ? static_cast<uint32_t>(a.zbe[0]) : 1u;
    for (int r = 0; r < MR; r++) x[r] = r < mv ? static_cast<int32_t>(zb * static_cast<uint32_t>(a.rowsum[i0 + r])) : 0;
  }
  static void epi_cols(const QGemmArgs& a, int n0, int nv, int32_t* y, int32_t* z) {
    const uint32_t K = static_cast<uint32_t>(a.K), za = static_cast<uint32_t>(a.zae[0]);
    const int32_t* cs = a.B->colsum;
    for (int j = 0; j < NR; j++) {
      const uint32_t zb = j >= nv ? 0u : static_cast<uint32_t>(a.zbe[a.zbe_n == 1 ? 0 : n0 + j]);
      y[j] = static_cast<int32_t>(zb);
      z[j] = j < nv ? static_cast<int32_t>(za * (static_cast<uint32_t>(cs[n0 + j]) - K * zb)) : 0;
    }
  }

  static inline void call_tile(int kg, const uint8_t* ap, int ps, const int8_t* bp, int32_t* c, int ldc, bool acc, const QEpi* e) {
    if constexpr (QHasEpi<UK>::value)
      UK::tile(kg, ap, ps, bp, c, ldc, acc, e);
    else
      UK::tile(kg, ap, ps, bp, c, ldc, acc);
  }

  static void gemv(const QGemmArgs& a, int row, int p0, int p1, uint8_t* scratch) {
    const QPackedB& B = *a.B;
    const int Kp = B.Kp;
    constexpr int CH = (MC * KC) / 64 * 64;  // k per chunk: the row chunk fits the scratch
    const uint32_t x = a.a_signed ? 0x80808080u : 0u;
    int32_t* c = a.C + static_cast<size_t>(row) * a.ldc;
    alignas(64) int32_t tmp[NR];
    for (int pc = 0; pc < Kp; pc += CH) {
      const int kc = Kp - pc < CH ? Kp - pc : CH, kg = kc / 4;
      // The row chunk as 4-byte groups (plane 0, then plane 1 at +kc when split; 4 uint16 per group for A16).
      for (int g = 0; g < kg; g++) put(scratch + GB * g, kc, pc + 4 * g < a.K ? group(a, row, pc + 4 * g, x) : 0);
      for (int p = p0; p < p1; p++) {
        const int8_t* bp = B.data + static_cast<size_t>(p) * Kp * NR + static_cast<size_t>(pc) * NR;
        const int n0 = p * NR, nv = a.N - n0 < NR ? a.N - n0 : NR;
        if (nv == NR) {
          UK::gemv(kg, scratch, kc, bp, c + n0, pc > 0);
        } else {
          for (int j = 0; j < nv; j++) tmp[j] = c[n0 + j];
          UK::gemv(kg, scratch, kc, bp, tmp, pc > 0);
          for (int j = 0; j < nv; j++) c[n0 + j] = tmp[j];
        }
      }
    }
    fixup(a, row, row + 1, p0 * NR, p1 * NR < a.N ? p1 * NR : a.N);
    if (a.fe) qfloat_rows(*a.fe, a.C, a.ldc, row, row + 1, p0 * NR, p1 * NR < a.N ? p1 * NR : a.N);
  }

  static void run(const QGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch_v) {
    uint8_t* scratch = static_cast<uint8_t*>(scratch_v);
    if (m1 <= m0 || p1 <= p0) return;
    if (a.M == 1) {  // the whole problem, not this thread's share: the summation order must not depend on the partition
      gemv(a, m0, p0, p1, scratch);
      return;
    }
    const QPackedB& B = *a.B;
    const int Kp = B.Kp;
    alignas(64) int32_t tmp[MR * NR];
    // Equal blocks (K 768 = 2 x 384, not 512 + 256; M 128 = 2 x 64, not 96 + 32): no short, inefficient block.
    const int kblocks = (Kp + KC - 1) / KC, mblocks = (m1 - m0 + MC - 1) / MC;
    const int KB = ((Kp + kblocks - 1) / kblocks + 3) / 4 * 4;
    const int MB = ((m1 - m0 + mblocks - 1) / mblocks + MR - 1) / MR * MR;
    // One A block (the common case): packed once for every column block, not once per column block; or once for
    // all threads by the caller (apacked, all rows).
    const bool one_block = kblocks == 1 && mblocks == 1;
    const uint8_t* apk = scratch;
    if (one_block && a.apacked && m0 == 0 && m1 == a.M)
      apk = a.apacked;
    else if (one_block)
      packA(a, m0, m1 - m0, 0, Kp, scratch);
    const bool fused = QHasEpi<UK>::value && a.zae_n == 1;
    const bool ftile = fused && QHasFEpi<UK>::value && a.fe;  // the tile stores float32
    alignas(64) int32_t ex[MC + MR], ey[NR], ez[NR];
    for (int jc = p0; jc < p1; jc += NCP) {
      const int jcEnd = jc + NCP < p1 ? jc + NCP : p1;
      for (int pc = 0; pc < Kp; pc += KB) {
        const int kc = Kp - pc < KB ? Kp - pc : KB;
        const bool acc = pc > 0, last = fused && pc + kc >= Kp;
        for (int ic = m0; ic < m1; ic += MB) {
          const int mc = m1 - ic < MB ? m1 - ic : MB;
          if (!one_block) packA(a, ic, mc, pc, kc, scratch);
          if (last)
            for (int ir = 0; ir < mc; ir += MR) epi_rows(a, ic + ir, mc - ir < MR ? mc - ir : MR, ex + ir);
          for (int jp = jc; jp < jcEnd; jp++) {
            const int8_t* bp = B.data + static_cast<size_t>(jp) * Kp * NR + static_cast<size_t>(pc) * NR;
            const int n0 = jp * NR, nv = a.N - n0 < NR ? a.N - n0 : NR;
            if (last) epi_cols(a, n0, nv, ey, ez);
            QEpi e{nullptr, a.zbe_n == 1 ? nullptr : ey, ez, ftile ? a.fe : nullptr, ftile ? a.fe->mult + n0 : nullptr,
                   ftile && a.fe->bias ? a.fe->bias + n0 : nullptr};
            for (int ir = 0; ir < mc; ir += MR) {
              const int mv = mc - ir < MR ? mc - ir : MR;
              const uint8_t* ap = apk + static_cast<size_t>(ir) * kc * PL;
              int32_t* c = a.C + static_cast<size_t>(ic + ir) * a.ldc + n0;
              e.x = ex + ir;
              if (mv == MR && nv == NR) {
                call_tile(kc / 4, ap, MR * kc, bp, c, a.ldc, acc, last ? &e : nullptr);
              } else {
                if (acc)
                  for (int r = 0; r < mv; r++)
                    for (int j = 0; j < nv; j++) tmp[r * NR + j] = c[static_cast<size_t>(r) * a.ldc + j];
                call_tile(kc / 4, ap, MR * kc, bp, tmp, NR, acc, last ? &e : nullptr);
                for (int r = 0; r < mv; r++)
                  for (int j = 0; j < nv; j++) c[static_cast<size_t>(r) * a.ldc + j] = tmp[r * NR + j];
              }
            }
          }
        }
      }
      if (!fused) fixup(a, m0, m1, jc * NR, jcEnd * NR < a.N ? jcEnd * NR : a.N);
      if (a.fe && !ftile) qfloat_rows(*a.fe, a.C, a.ldc, m0, m1, jc * NR, jcEnd * NR < a.N ? jcEnd * NR : a.N);
    }
  }
};
