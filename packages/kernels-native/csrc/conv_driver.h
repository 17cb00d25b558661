// The direct NCHW convolution drivers (see common.h: Y[M, P] = W[M, K] x col[K, P]), instantiated per ISA translation
// unit with that unit's micro-kernels (include inside an anonymous namespace only, after <cstring> and common.h).
// Columns go in panels of NR: the panel of the activation is packed (im2col of NR output pixels, written straight
// into the micro-kernel's layout), or read from X itself for a float 1x1 / stride 1 / unpadded convolution; every
// weight strip then runs over it and the tile lands in the NCHW output. An output never depends on the panel split
// or the thread count.
//
// Float CK: NR, MR, static void tile(int rows, int K, const float* a, const float* b, int ldb, float* c, int ldc,
//                                    const float* bias)   (c = sum_k a[k][r] * b[k][j] as an FMA chain, + bias[r])
// int8 CK:  NR, MR, static void tile(int rows, int kg, const int8_t* a, int plane, const uint8_t* b, int32_t* c)
//                                    (c[r][j] = sum_k a_s[k][r] * b_u[k][j], c of stride NR; plane: the byte offset
//                                    of the second weight plane, 0 when there is one)
// (the int8 driver needs quant_avx2.h included by the translation unit)

/** Output pixels [j0, j0 + nv) of one image as runs that stay on one output row. */
struct ConvSegs {
  int n = 0;
  int oh[256], ow[256], j[256], len[256];
  void build(const ConvGeom& g, int j0, int nv) {
    n = 0;
    for (int j = 0; j < nv;) {
      const int p = j0 + j, h = p / g.OW, w = p - h * g.OW;
      const int l = g.OW - w < nv - j ? g.OW - w : nv - j;
      oh[n] = h;
      ow[n] = w;
      this->j[n] = j;
      len[n] = l;
      n++;
      j += l;
    }
  }
};

/** dst[t] = src[2 t] for t < n (stride-2 taps), 8 floats / 16 bytes per step with AVX2 shuffles. */
inline void gather2(const float* src, int n, float* dst) {
  int t = 0;
#if defined(__AVX2__)
  for (; t + 9 <= n; t += 8) {  // reads src[2 t + 15]: stays within src[2 (n - 1)]
    const __m256 ev = _mm256_shuffle_ps(_mm256_loadu_ps(src + 2 * t), _mm256_loadu_ps(src + 2 * t + 8), 0x88);
    _mm256_storeu_ps(dst + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xd8)));
  }
#endif
  for (; t < n; t++) dst[t] = src[2 * t];
}
inline void gather2(const uint8_t* src, int n, uint8_t* dst) {
  int t = 0;
#if defined(__AVX2__)
  const __m128i even = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
  for (; t + 17 <= n; t += 16) {  // reads src[2 t + 31]: stays within src[2 (n - 1)]
    const __m128i a = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * t)), even);
    const __m128i b = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * t + 16)), even);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + t), _mm_unpacklo_epi64(a, b));
  }
#endif
  for (; t < n; t++) dst[t] = src[2 * t];
}

/** One row of the im2col panel: tap (c, kh, kw) of the panel's pixels into d[0, nv), `pad` outside the input. */
template <class T>
inline void im2col_row(const T* x, const ConvGeom& g, const ConvSegs& s, int c, int kh, int kw, T pad, T* d) {
  const T* plane = x + static_cast<size_t>(c) * g.H * g.W;
  for (int q = 0; q < s.n; q++) {
    T* dd = d + s.j[q];
    const int n = s.len[q];
    const int ih = s.oh[q] * g.stride_h - g.pad_t + kh * g.dil_h;
    if (ih < 0 || ih >= g.H) {
      for (int t = 0; t < n; t++) dd[t] = pad;
      continue;
    }
    const T* row = plane + static_cast<size_t>(ih) * g.W;
    const int iw0 = s.ow[q] * g.stride_w - g.pad_l + kw * g.dil_w;
    if (g.stride_w == 1) {
      int lo = -iw0 > 0 ? -iw0 : 0, hi = g.W - iw0 < n ? g.W - iw0 : n;
      if (lo > n) lo = n;
      if (hi < lo) hi = lo;
      for (int t = 0; t < lo; t++) dd[t] = pad;
      std::memcpy(dd + lo, row + iw0 + lo, sizeof(T) * (hi - lo));
      for (int t = hi; t < n; t++) dd[t] = pad;
    } else if (g.stride_w == 2) {
      // t inside the row: 0 <= iw0 + 2 t < W
      int lo = iw0 < 0 ? (-iw0 + 1) / 2 : 0, hi = iw0 < g.W ? (g.W - iw0 + 1) / 2 : 0;
      if (lo > n) lo = n;
      if (hi > n) hi = n;
      if (hi < lo) hi = lo;
      for (int t = 0; t < lo; t++) dd[t] = pad;
      if (hi > lo) gather2(row + iw0 + 2 * lo, hi - lo, dd + lo);
      for (int t = hi; t < n; t++) dd[t] = pad;
    } else {
      for (int t = 0; t < n; t++) {
        const int iw = iw0 + t * g.stride_w;
        dd[t] = static_cast<unsigned>(iw) < static_cast<unsigned>(g.W) ? row[iw] : pad;
      }
    }
  }
}

inline bool conv_is_pointwise(const ConvGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_t == 0 && g.pad_l == 0 && g.OH == g.H && g.OW == g.W;
}

template <class CK>
struct FConvDriver {
  static constexpr int NR = CK::NR, MR = CK::MR;
  static_assert(NR * 8 <= 256, "ConvSegs holds at most 256 runs");

  /** Columns [j0, j0 + cols) as ceil(cols / NR) panels [K][NR] at dst (zero columns past cols); `stage` holds
   *  one row of the chunk. */
  static void pack(const FConvArgs& a, int j0, int cols, float* dst, float* stage) {
    const ConvGeom& g = a.g;
    const int K = a.W->K, nb = (cols + NR - 1) / NR;
    const bool pw = conv_is_pointwise(g);
    const size_t P = static_cast<size_t>(g.OH) * g.OW;
    ConvSegs s;
    if (!pw) s.build(g, j0, cols);
    for (int j = cols; j < nb * NR; j++) stage[j] = 0.0f;
    int k = 0;
    for (int c = 0; c < g.C; c++)
      for (int kh = 0; kh < g.KH; kh++)
        for (int kw = 0; kw < g.KW; kw++, k++) {
          if (pw) std::memcpy(stage, a.X + k * P + j0, sizeof(float) * cols);
          else im2col_row<float>(a.X, g, s, c, kh, kw, 0.0f, stage);
          for (int bi = 0; bi < nb; bi++) std::memcpy(dst + (static_cast<size_t>(bi) * K + k) * NR, stage + bi * NR, sizeof(float) * NR);
        }
  }

  static void run(const FConvArgs& a, int j0, int j1, float* panel) {
    const ConvGeom& g = a.g;
    const FConvW& W = *a.W;
    const int P = g.OH * g.OW, K = W.K;
    const bool direct = conv_is_pointwise(g);
    const int chunk = conv_chunk_panels(K, NR, 4) * NR;
    float* stage = panel + static_cast<size_t>(K) * chunk;
    alignas(64) float tmp[MR * NR];
    for (int jc = j0; jc < j1; jc += chunk) {
      const int cols = j1 - jc < chunk ? j1 - jc : chunk;
      // A 1x1 / stride 1 / unpadded convolution reads its full panels straight from X; the rest is packed.
      const int full = direct ? cols / NR * NR : 0;
      if (full < cols) pack(a, jc + full, cols - full, panel, stage);
      for (int jb = jc; jb < jc + cols; jb += NR) {
        const int nv = jc + cols - jb < NR ? jc + cols - jb : NR;
        const float* b;
        int ldb;
        if (jb < jc + full) {
          b = a.X + jb;
          ldb = P;
        } else {
          b = panel + static_cast<size_t>((jb - jc - full) / NR) * K * NR;
          ldb = NR;
        }
        for (int s = 0; s < W.strips; s++) {
          const int r0 = W.row0[s], rows = W.row0[s + 1] - r0;
          const float* ap = W.data + static_cast<size_t>(r0) * K;
          const float* bias = a.bias ? a.bias + r0 : nullptr;
          float* y = a.Y + static_cast<size_t>(r0) * P + jb;
          if (nv == NR) {
            CK::tile(rows, K, ap, b, ldb, y, P, bias);
          } else {
            CK::tile(rows, K, ap, b, ldb, tmp, NR, bias);
            for (int r = 0; r < rows; r++) std::memcpy(y + static_cast<size_t>(r) * P, tmp + r * NR, sizeof(float) * nv);
          }
        }
      }
    }
  }
};

/**
 * QLinearConv's epilogue for a tile with its rows' constants (row r of the strip): y = clamp(round_half_even(
 * clamp(float(int32(acc + off[r] - zw[r] * cs[j])) * mult[r], lo, hi)) + zp), lo = qmin - zp, hi = qmax - zp. The
 * same value as quant_round's clamp to +-2^22, round, + zp, clamp to [qmin, qmax] (rounding is monotone and keeps
 * integers, the bounds are integers within +-2^22), for finite multipliers only (no NaN product).
 * off[r] = bias[r] - (zx * wsum[r] - K * zx * zw[r]) (wrapping); cs: the panel's column sums, null when every zw is 0.
 */
struct QConvEpi {
  const int32_t* off;
  const int32_t* zw;
  const int32_t* cs;
  const float* mult;
  float lo, hi;
  int32_t zp;
  bool sign;  // int8 output (else uint8)
  // The dynamic-int8 float epilogue instead (CK::tile_f / tile_gf): y = act(float(int32(acc + off[r] - zw[r] * cs[j]))
  // * fscale (+ fbias[r])), each step rounded once as QConvArgs::Yf defines it (off then holds no int32 bias).
  const float* fbias;  // the strip's rows, or null
  float fscale;
  FloatAct fact;
  bool unit;  // every |mult| < 1: |float(acc) * mult| < 2^31, so the product converts without the clamp to hi
  RangeLanes16* rng;  // the float epilogue: this task's range lanes (QConvArgs::range), or null
  int fmode;          // QConvArgs::fmode
  float qscale;
  int32_t qzp;
  bool nonan;         // float_epi_nan_free: no NaN lanes to keep (fact.kind 5 for Relu)
};
/** 16 bytes of each of 4 rows (each xor-ed with xv) as 16 groups of 4 at dst (64 bytes: group j = r0[j] r1[j] r2[j] r3[j]). */
inline void interleave4x16(const uint8_t* r0, const uint8_t* r1, const uint8_t* r2, const uint8_t* r3, __m128i xv, uint8_t* dst) {
  const __m128i a0 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0)), xv);
  const __m128i a1 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r1)), xv);
  const __m128i a2 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r2)), xv);
  const __m128i a3 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r3)), xv);
  const __m128i lo01 = _mm_unpacklo_epi8(a0, a1), hi01 = _mm_unpackhi_epi8(a0, a1);
  const __m128i lo23 = _mm_unpacklo_epi8(a2, a3), hi23 = _mm_unpackhi_epi8(a2, a3);
  __m128i* d = reinterpret_cast<__m128i*>(dst);
  _mm_storeu_si128(d, _mm_unpacklo_epi16(lo01, lo23));
  _mm_storeu_si128(d + 1, _mm_unpackhi_epi16(lo01, lo23));
  _mm_storeu_si128(d + 2, _mm_unpacklo_epi16(hi01, hi23));
  _mm_storeu_si128(d + 3, _mm_unpackhi_epi16(hi01, hi23));
}

/** Fills off / zw / mult (W.M + 1 values each) for the W.M output channels of `a` (as QConvEpi defines them; the
 *  last for a folded ones row) and returns the epilogue's
 *  bounds, zero point and sign, with cs as the column sums when a.colsum; off / zw / mult are set per row block. */
inline QConvEpi qconv_epi_rows(const QConvArgs& a, int32_t* cs, int32_t* off, int32_t* zw, float* mult) {
  const QConvW& W = *a.W;
  const uint32_t K = static_cast<uint32_t>(W.K), zx = static_cast<uint32_t>(a.zxe);
  bool unit = true;
  for (int m = 0; m < a.mult_n; m++) unit = unit && a.mult[m] < 1.0f && a.mult[m] > -1.0f;
  for (int m = 0; m < W.M; m++) {
    const uint32_t z = static_cast<uint32_t>(a.zwe[a.zwe_n == 1 ? 0 : m]);
    const uint32_t bias = a.bias ? static_cast<uint32_t>(a.bias[m]) : 0u;
    off[m] = static_cast<int32_t>(bias - (zx * static_cast<uint32_t>(W.wsum[m]) - K * zx * z));
    zw[m] = static_cast<int32_t>(z);
    mult[m] = a.mult ? a.mult[a.mult_n == 1 ? 0 : m] : 0.0f;
  }
  off[W.M] = 0;  // the ones row of folded weights (QConvW::folded) sums from 0
  zw[W.M] = 0;
  mult[W.M] = 0.0f;
  const float qmin = a.y_signed ? -128.0f : 0.0f, qmax = a.y_signed ? 127.0f : 255.0f, fz = static_cast<float>(a.yzp);
  QConvEpi e{};
  e.lo = qmin - fz;
  e.hi = qmax - fz;
  e.zp = a.yzp;
  e.sign = a.y_signed;
  e.unit = unit;
  e.cs = a.colsum ? cs : nullptr;
  e.fbias = nullptr;
  e.fscale = a.fscale;
  e.fact = a.fact;
  e.nonan = float_epi_nan_free(a.fscale, a.fbias, W.M, a.fact);
  if (e.nonan && e.fact.kind == 1) e.fact.kind = 5;
  e.rng = nullptr;
  e.fmode = a.fmode;
  e.qscale = a.qscale;
  e.qzp = a.qzp;
  return e;
}

/** Where the columns of one panel land in a row of Y: segment s covers the lanes of mask[s] and lane j goes to
 *  y_row[off[s] + j] (the column space's columns past OW are in no segment). */
struct QSegs {
  int n;
  uint32_t mask[40];
  ptrdiff_t off[40];
};

template <class U, class = void>
struct QConvFused {
  static constexpr bool value = false;
};
template <class U>
struct QConvFused<U, decltype(void(&U::tile_q))> {
  static constexpr bool value = true;
};
/** Whether the micro-kernel has the float epilogue in its tiles (tile_f, tile_gf). */
template <class U, class = void>
struct QConvFusedF {
  static constexpr bool value = false;
};
template <class U>
struct QConvFusedF<U, decltype(void(&U::tile_f))> {
  static constexpr bool value = true;
};

template <class CK>
struct QConvDriver {
  static constexpr int NR = CK::NR, MR = CK::MR;
  static_assert(NR % 16 == 0 && NR * 8 <= 256, "panels of 16-column groups; ConvSegs holds at most 256 runs");

  static bool W_planes1(const QConvArgs& a) { return a.W->planes == 1; }
  static bool finite_mults(const QConvArgs& a) {
    for (int m = 0; m < a.mult_n; m++)
      if (!(a.mult[m] - a.mult[m] == 0.0f)) return false;  // NaN or infinite
    return true;
  }

  /** dst[g][j][t] = rows[t][j] ^ x for the 4 rows of one k group (SSE2 byte interleave, 16 columns at a time). */
  static inline void interleave4(const uint8_t* r0, const uint8_t* r1, const uint8_t* r2, const uint8_t* r3, uint8_t x, uint8_t* dst) {
    const __m128i xv = _mm_set1_epi8(static_cast<char>(x));
    for (int j = 0; j < NR; j += 16) {
      interleave4x16(r0 + j, r1 + j, r2 + j, r3 + j, xv, dst + 4 * j);
    }
  }

  /** Columns [j0, j0 + cols) as ceil(cols / NR) activation panels [Kp / 4][NR][4] of x_u bytes (x ^ 0x80 for int8;
   *  padded taps x_u = zxe; k >= K and columns past cols hold anything finite: their weights are 0 or their outputs are
   *  dropped). `stage` holds 4 rows of the chunk. */
  static void pack(const QConvArgs& a, int j0, int cols, uint8_t* dst, uint8_t* stage) {
    const ConvGeom& g = a.g;
    const QConvW& W = *a.W;
    const uint8_t x = a.x_signed ? 0x80 : 0;
    const int K = W.K, Kp = W.Kp, groups = Kp / 4, nb = (cols + NR - 1) / NR, CB = nb * NR;
    const bool pw = conv_is_pointwise(g);
    const size_t P = static_cast<size_t>(g.OH) * g.OW;
    const uint8_t* rows[4];
    ConvSegs s;
    if (!pw) s.build(g, j0, cols);
    int c = 0, kh = 0, kw = 0;
    for (int q = 0; q < groups; q++) {
      for (int t = 0; t < 4; t++) {
        uint8_t* d = stage + t * CB;
        const int k = 4 * q + t;
        if (k >= K) {
          std::memset(d, 0, CB);
          rows[t] = d;
          continue;
        }
        if (pw && cols == CB) {
          rows[t] = a.X + k * P + j0;  // full panels: straight from X
          continue;
        }
        if (pw) std::memcpy(d, a.X + k * P + j0, cols);
        else im2col_row<uint8_t>(a.X, g, s, c, kh, kw, a.xpad, d);
        for (int j = cols; j < CB; j++) d[j] = 0;
        rows[t] = d;
        if (++kw == g.KW) {
          kw = 0;
          if (++kh == g.KH) {
            kh = 0;
            c++;
          }
        }
      }
      for (int bi = 0; bi < nb; bi++)
        interleave4(rows[0] + bi * NR, rows[1] + bi * NR, rows[2] + bi * NR, rows[3] + bi * NR, x, dst + (static_cast<size_t>(bi) * groups + q) * NR * 4);
    }
  }

  /** QLinearConv with the requantization in the tile (CK::tile_q): Y8 written straight from the registers; with F, the
   *  dynamic-int8 float epilogue in the tile (CK::tile_f): Yf written straight from the registers. */
  template <bool F>
  static void run_fused(const QConvArgs& a, int j0, int j1, void* buf) {
    const ConvGeom& g = a.g;
    const QConvW& W = *a.W;
    const int P = g.OH * g.OW, M = W.M, Kp = W.Kp, groups = Kp / 4;
    const auto al = [](size_t n) { return (n + 63) / 64 * 64; };
    const int chunk = conv_chunk_panels(Kp, NR, 1) * NR;
    uint8_t* panel = static_cast<uint8_t*>(buf);
    int32_t* cs = reinterpret_cast<int32_t*>(panel + al(static_cast<size_t>(Kp) * chunk));  // (M + 1) * NR int32 there
    int32_t* off = cs + NR;
    int32_t* zw = off + M + 1;
    float* mult = reinterpret_cast<float*>(zw + M + 1);
    uint8_t* stage = reinterpret_cast<uint8_t*>(cs) + al(sizeof(int32_t) * (M + 1) * NR);
    QConvEpi e = qconv_epi_rows(a, cs, off, zw, mult);
    RangeLanes16 lanes;
    if (F && a.range) e.rng = &lanes;
    const bool q8 = F && a.fmode == 3;  // the quantizing epilogue writes Y8
    for (int jb = j0; jb < j1; jb += NR) {
      const int nv = j1 - jb < NR ? j1 - jb : NR;
      const int jc = j0 + (jb - j0) / chunk * chunk;
      if (jb == jc) pack(a, jc, j1 - jc < chunk ? j1 - jc : chunk, panel, stage);
      const uint8_t* pb = panel + static_cast<size_t>((jb - jc) / NR) * Kp * NR;
      if (a.colsum && !W.folded) CK::tile(1, groups, W.data + static_cast<size_t>(M) * Kp * W.planes, 0, pb, cs);
      // folded weights: the last strip first (its ones row gives the column sums the other strips use)
      for (int i = 0; i < W.strips; i++) {
        const int s = W.folded ? (i == 0 ? W.strips - 1 : i - 1) : i;
        const int r0 = W.row0[s], rows = W.row0[s + 1] - r0;
        int32_t* cs_out = W.folded && i == 0 ? cs : nullptr;
        e.off = off + r0;
        e.zw = zw + r0;
        e.mult = mult + r0;
        if constexpr (F) {
          e.fbias = a.fbias ? a.fbias + r0 : nullptr;
          const size_t o = static_cast<size_t>(r0) * P + jb;
          CK::tile_f(rows, groups, W.data + static_cast<size_t>(r0) * Kp, pb, e, q8 ? static_cast<void*>(a.Y8 + o) : a.Yf ? static_cast<void*>(a.Yf + o) : nullptr, P, nv, cs_out);
        } else {
          CK::tile_q(rows, groups, W.data + static_cast<size_t>(r0) * Kp * W.planes, pb, e, a.Y8 + static_cast<size_t>(r0) * P + jb, P, nv, cs_out);
        }
      }
    }
    if (e.rng) range_merge(a.range, lanes);
  }

  static void run(const QConvArgs& a, int j0, int j1, void* buf) {
    if constexpr (QConvFused<CK>::value) {
      if (a.fmode == 0 && a.Y8 && !a.Y32 && !a.Yf && W_planes1(a) && finite_mults(a)) {
        run_fused<false>(a, j0, j1, buf);
        return;
      }
    }
    if constexpr (QConvFusedF<CK>::value) {
      if ((a.fmode >= 2 || (a.Yf && !a.Y8)) && !a.Y32 && W_planes1(a)) {
        run_fused<true>(a, j0, j1, buf);
        return;
      }
    }
    const ConvGeom& g = a.g;
    const QConvW& W = *a.W;
    const int P = g.OH * g.OW, M = W.M, Kp = W.Kp, groups = Kp / 4;
    const auto al = [](size_t n) { return (n + 63) / 64 * 64; };
    const int chunk = conv_chunk_panels(Kp, NR, 1) * NR;
    uint8_t* panel = static_cast<uint8_t*>(buf);
    int32_t* acc = reinterpret_cast<int32_t*>(panel + al(static_cast<size_t>(Kp) * chunk));
    uint8_t* stage = reinterpret_cast<uint8_t*>(acc) + al(sizeof(int32_t) * (M + 1) * NR);
    const int strips = W.strips + (a.colsum ? 1 : 0);
    const uint32_t K = static_cast<uint32_t>(W.K), zx = static_cast<uint32_t>(a.zxe);
    const float qmin = a.y_signed ? -128.0f : 0.0f, qmax = a.y_signed ? 127.0f : 255.0f, fz = static_cast<float>(a.yzp);
    const float nanq = fz < qmin ? qmin : (fz > qmax ? qmax : fz);
    const QuantAvx2 qv(fz, qmin, qmax, nanq);
    for (int jb = j0; jb < j1; jb += NR) {
      const int nv = j1 - jb < NR ? j1 - jb : NR;
      const int jc = j0 + (jb - j0) / chunk * chunk;  // the chunk holding jb: packed when jb starts it
      if (jb == jc) pack(a, jc, j1 - jc < chunk ? j1 - jc : chunk, panel, stage);
      const uint8_t* pb = panel + static_cast<size_t>((jb - jc) / NR) * Kp * NR;
      for (int s = 0; s < strips; s++) {
        const int r0 = W.row0[s], rows = W.row0[s + 1] - r0;
        CK::tile(rows, groups, W.data + static_cast<size_t>(r0) * Kp * W.planes, W.planes == 2 ? rows * Kp : 0, pb, acc + static_cast<size_t>(r0) * NR);
      }
      const uint32_t* cs = reinterpret_cast<const uint32_t*>(acc + static_cast<size_t>(M) * NR);
      for (int m = 0; m < M; m++) {
        const uint32_t zw = static_cast<uint32_t>(a.zwe[a.zwe_n == 1 ? 0 : m]);
        const uint32_t base = zx * static_cast<uint32_t>(W.wsum[m]) - K * zx * zw;
        const uint32_t* c = reinterpret_cast<const uint32_t*>(acc + static_cast<size_t>(m) * NR);
        alignas(64) uint32_t t[NR];
        if (zw != 0)
          for (int j = 0; j < NR; j++) t[j] = c[j] - zw * cs[j] - base;
        else
          for (int j = 0; j < NR; j++) t[j] = c[j] - base;
        const size_t o = static_cast<size_t>(m) * P + jb;
        if (a.Y32) {
          std::memcpy(a.Y32 + o, t, sizeof(int32_t) * nv);
          continue;
        }
        if (a.Yf) {
          float* y = a.Yf + o;
          const float sc = a.fscale;
          if (a.fbias) {
            const float b = a.fbias[m];
            for (int j = 0; j < nv; j++) {
              const float v = static_cast<float>(static_cast<int32_t>(t[j])) * sc;
              y[j] = v + b;
            }
          } else {
            for (int j = 0; j < nv; j++) y[j] = static_cast<float>(static_cast<int32_t>(t[j])) * sc;
          }
          if (a.fact.kind) float_act_row(y, static_cast<size_t>(nv), a.fact);
          continue;
        }
        const uint32_t bias = a.bias ? static_cast<uint32_t>(a.bias[m]) : 0u;
        const float mult = a.mult[a.mult_n == 1 ? 0 : m];
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
        // 16 lanes: the operations of quant_round (clamp, add and subtract 1.5 * 2^23, + zp, clamp, NaN -> nanq).
        const __m512i bv = _mm512_set1_epi32(static_cast<int32_t>(bias));
        const __m512 mv = _mm512_set1_ps(mult);
        for (int j = 0; j < nv; j += 16) {
          const __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_load_si512(t + j), bv)), mv);
          const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
          const __m512 cl = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4194304.0f)), _mm512_set1_ps(4194304.0f));
          __m512 q = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(cl, _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(12582912.0f)), _mm512_set1_ps(fz));
          q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(qmin)), _mm512_set1_ps(qmax));
          q = _mm512_mask_blend_ps(nan, q, _mm512_set1_ps(nanq));
          const __m128i b = _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(q));  // in [-128, 255]: the low byte is the result
          const int left = nv - j;
          _mm_mask_storeu_epi8(a.Y8 + o + j, left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1), b);
        }
        (void)qv;
#else
        requant_int_acc(reinterpret_cast<const int32_t*>(t), nv, bias, mult, qv, fz, qmin, qmax, nanq, a.Y8 + o);
#endif
      }
    }
  }
};

/**
 * The channel-group convolution (QGemmKernel::conv_c4): the image in the c4 layout (ConvC4), read in place by the
 * micro-kernel (CK::tile_gq: rows x NR columns over the 4-k groups at b + goff[g], requantized, stored by segment;
 * CK::tile_gf with a.Yf: the dynamic-int8 float epilogue instead).
 */
template <class CK>
struct QConvC4Driver {
  static constexpr int NR = CK::NR;

  /** 4 rows of n bytes into n groups of 4 at dst (x: the int8 -> unsigned flip). */
  static void interleave(const uint8_t* r0, const uint8_t* r1, const uint8_t* r2, const uint8_t* r3, int n, uint8_t x, uint8_t* dst) {
    int j = 0;
    const __m128i xv = _mm_set1_epi8(static_cast<char>(x));
    for (; j + 16 <= n; j += 16) {
      interleave4x16(r0 + j, r1 + j, r2 + j, r3 + j, xv, dst + 4 * j);
    }
    for (; j < n; j++) {
      dst[4 * j] = r0[j] ^ x;
      dst[4 * j + 1] = r1[j] ^ x;
      dst[4 * j + 2] = r2[j] ^ x;
      dst[4 * j + 3] = r3[j] ^ x;
    }
  }

#if defined(__AVX512BW__) && defined(__AVX512VL__)
  /** Columns [j0, j0 + 16) of one staged c4 row (lane k: column j0 + k) of input row `srow` (null: a padding row,
   *  all xpad; `missing`: a channel past C, all x): the columns [lo, hi) read at srow[c0 + sw * j], the rest xpad. The
   *  masked loads touch only the valid columns (a masked-out lane never faults). */
  static inline __m128i c4_lane(const uint8_t* srow, bool missing, int c0, int sw, int lo, int hi, int j0, __m128i padv, __m128i xv) {
    if (missing) return xv;
    if (!srow) return padv;
    const int a = lo > j0 ? lo : j0, b = hi < j0 + 16 ? hi : j0 + 16;
    if (b <= a) return padv;
    const int n = b - a, sh = a - j0;
    if (sw == 1) {
      const __mmask16 m = static_cast<__mmask16>(((n >= 16 ? 0xffffu : (1u << n) - 1)) << sh);
      return _mm_mask_loadu_epi8(padv, m, srow + c0 + j0);
    }
    // stride 2: the even bytes of 32 from srow + c0 + 2 j0
    const __mmask32 m = static_cast<__mmask32>((((n >= 16 ? 0xffffffffull : (1ull << (2 * n)) - 1)) & 0x55555555ull) << (2 * sh));
    const __m256i v = _mm256_mask_loadu_epi8(_mm256_broadcastb_epi8(padv), m, srow + c0 + 2 * j0);
    const __m256i even = _mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1, 0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1));
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(even, 0x08));
  }
#endif

  /** One image (a.X) in the c4 layout at xi (ConvC4): padded taps hold xpad, channels past C zero bytes after the flip. */
  /** Rows [r0, r1) of the image's c4 layout (row q: channel group, phase and row i in that order, 4 * Wq bytes at
   *  xi + 4 * Wq * q), and the slack after the last row when r1 reaches it (conv_c4_rows): pieces write disjoint bytes,
   *  so any split gives the same layout. */
  static void prep(const QConvArgs& a, uint8_t* xi, int r0, int r1) {
    const ConvGeom& g = a.g;
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    if (g.stride_w <= 2) {
      // In registers: per 16 columns, the 4 channel rows by masked loads (padding lanes xpad), one interleave, one store.
      const ConvC4 l = conv_c4_layout(g);
      const uint8_t x = a.x_signed ? 0x80 : 0;
      const int sh = g.stride_h, sw = g.stride_w, Wq = l.Wq;
      const __m128i xv = _mm_set1_epi8(static_cast<char>(x)), padv = _mm_set1_epi8(static_cast<char>(a.xpad));
      const __m256i even2 = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1, 0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
      uint8_t* out = xi;
      int q = 0;
      for (int cg = 0; cg < l.Cg; cg++)
        for (int ph = 0; ph < sh; ph++)
          for (int pw = 0; pw < sw; pw++) {
            const PhaseCols pc = phase_cols(g, pw, Wq);
            const int c0 = pc.c0, lo = pc.lo, hi = pc.hi;
            for (int i = 0; i < l.Hq; i++, q++, out += 4 * static_cast<size_t>(Wq)) {
              if (q < r0 || q >= r1) continue;
              const int r = sh * i + ph - g.pad_t;
              const uint8_t* src[4];
              bool miss[4];
              for (int t = 0; t < 4; t++) {
                const int c = 4 * cg + t;
                miss[t] = c >= g.C;
                src[t] = !miss[t] && r >= 0 && r < g.H ? a.X + (static_cast<size_t>(c) * g.H + r) * g.W : nullptr;
              }
              for (int j0 = 0; j0 < Wq; j0 += 16) {
                // columns inside the row (stride 2: the 32 bytes read end inside it too): plain loads
                const bool inner = j0 >= lo && j0 + 16 + (sw - 1) <= hi;
                __m128i v[4];
                for (int t = 0; t < 4; t++) {
                  if (inner && src[t]) {
                    const uint8_t* q = src[t] + c0 + sw * j0;
                    if (sw == 1) {
                      v[t] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
                    } else {
                      const __m256i e = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), even2);
                      v[t] = _mm256_castsi256_si128(_mm256_permute4x64_epi64(e, 0x08));
                    }
                  } else {
                    v[t] = c4_lane(src[t], miss[t], c0, sw, lo, hi, j0, padv, xv);
                  }
                }
                if (x)
                  for (int t = 0; t < 4; t++) v[t] = _mm_xor_si128(v[t], xv);
                const __m128i v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
                const __m128i lo01 = _mm_unpacklo_epi8(v0, v1), hi01 = _mm_unpackhi_epi8(v0, v1);
                const __m128i lo23 = _mm_unpacklo_epi8(v2, v3), hi23 = _mm_unpackhi_epi8(v2, v3);
                __m512i q = _mm512_castsi128_si512(_mm_unpacklo_epi16(lo01, lo23));
                q = _mm512_inserti32x4(q, _mm_unpackhi_epi16(lo01, lo23), 1);
                q = _mm512_inserti32x4(q, _mm_unpacklo_epi16(hi01, hi23), 2);
                q = _mm512_inserti32x4(q, _mm_unpackhi_epi16(hi01, hi23), 3);
                const int n = Wq - j0;
                _mm512_mask_storeu_epi8(out + 4 * j0, n >= 16 ? ~0ull : (1ull << (4 * n)) - 1, q);
              }
            }
          }
      if (r1 >= q) std::memset(out, 0, l.bytes - (out - xi));
      return;
    }
#endif
    const ConvC4 l = conv_c4_layout(g);
    const uint8_t x = a.x_signed ? 0x80 : 0;
    const int sh = g.stride_h, sw = g.stride_w, Wq = l.Wq;
    // 4 staged rows of Wq (+ 16) raw bytes; a missing channel's row holds x (0 after the flip)
    uint8_t* rows = static_cast<uint8_t*>(aligned_alloc64(4 * (static_cast<size_t>(Wq) + 64)));
    const size_t rs = static_cast<size_t>(Wq) + 64;
    uint8_t* out = xi;
    int q = 0;
    for (int cg = 0; cg < l.Cg; cg++)
      for (int ph = 0; ph < sh; ph++)
        for (int pw = 0; pw < sw; pw++) {
          const PhaseCols pc = phase_cols(g, pw, Wq);
          const int c0 = pc.c0, lo = pc.lo, hi = pc.hi;
          for (int i = 0; i < l.Hq; i++, q++, out += 4 * static_cast<size_t>(Wq)) {
            if (q < r0 || q >= r1) continue;
            const int r = sh * i + ph - g.pad_t;
            const uint8_t* src[4];
            for (int t = 0; t < 4; t++) {
              const int c = 4 * cg + t;
              uint8_t* d = rows + t * rs;
              if (c >= g.C) {
                std::memset(d, x, Wq);
              } else if (r < 0 || r >= g.H) {
                std::memset(d, a.xpad, Wq);
              } else {
                const uint8_t* srow = a.X + (static_cast<size_t>(c) * g.H + r) * g.W;
                if (lo == 0 && hi == Wq && sw == 1 && c0 == 0) {
                  src[t] = srow;  // the whole row, in place
                  continue;
                }
                std::memset(d, a.xpad, lo);
                if (sw == 1) std::memcpy(d + lo, srow + c0 + lo, hi - lo);
                else if (sw == 2) gather2(srow + c0 + 2 * lo, hi - lo, d + lo);
                else
                  for (int j = lo; j < hi; j++) d[j] = srow[c0 + sw * j];
                std::memset(d + hi, a.xpad, Wq - hi);
              }
              src[t] = d;
            }
            interleave(src[0], src[1], src[2], src[3], Wq, x, out);
          }
        }
    if (r1 >= q) std::memset(out, 0, l.bytes - (out - xi));
    aligned_free(rows);
  }

  static void run(const QConvArgs& a, int j0, int j1, void* buf) {
    const ConvGeom& g = a.g;
    const QConvW& W = *a.W;
    const int P = g.OH * g.OW, M = W.M, groups = W.Kp / 4, Wq = a.Wq, OW = g.OW;
    int32_t* cs = static_cast<int32_t*>(buf);  // NR, then M + 1 offsets, zero points, multipliers
    int32_t* off = cs + NR;
    int32_t* zw = off + M + 1;
    float* mult = reinterpret_cast<float*>(zw + M + 1);
    QConvEpi e = qconv_epi_rows(a, cs, off, zw, mult);
    RangeLanes16 lanes;
    const bool fl = a.Yf || a.fmode >= 2;  // the float epilogue (stored, range only or quantized)
    if (fl && a.range) e.rng = &lanes;
    QSegs sg;
    for (int jb = j0; jb < j1; jb += NR) {
      // the panel's segments: output rows oh (columns ow < OW) among columns [jb, jb + NR) of the column space
      sg.n = 0;
      for (int q = jb, end = jb + NR < j1 ? jb + NR : j1; q < end;) {
        const int oh = q / Wq, ow = q - oh * Wq;
        if (oh >= g.OH) break;
        if (ow < OW) {
          const int len = OW - ow < end - q ? OW - ow : end - q, lane = q - jb;
          sg.mask[sg.n] = (len >= 32 ? ~0u : ((1u << len) - 1)) << lane;
          sg.off[sg.n] = static_cast<ptrdiff_t>(oh) * OW + ow - lane;
          sg.n++;
        }
        q += Wq - ow;
      }
      if (sg.n == 0) continue;
      const uint8_t* pb = a.X + static_cast<size_t>(jb) * 4;
      if (a.colsum && !W.folded) CK::tile_g(1, groups, W.data + static_cast<size_t>(M) * W.Kp, pb, a.goff, cs);
      for (int i = 0; i < W.strips; i++) {  // folded weights: the last strip first, as in QConvDriver::run_fused
        const int s = W.folded ? (i == 0 ? W.strips - 1 : i - 1) : i;
        const int r0 = W.row0[s], rows = W.row0[s + 1] - r0;
        int32_t* cs_out = W.folded && i == 0 ? cs : nullptr;
        e.off = off + r0;
        e.zw = zw + r0;
        e.mult = mult + r0;
        if (fl) {
          e.fbias = a.fbias ? a.fbias + r0 : nullptr;
          const size_t o = static_cast<size_t>(r0) * P;
          CK::tile_gf(rows, groups, W.data + static_cast<size_t>(r0) * W.Kp, pb, a.goff, e, a.fmode == 3 ? static_cast<void*>(a.Y8 + o) : a.Yf ? static_cast<void*>(a.Yf + o) : nullptr, P, sg, cs_out);
        } else {
          CK::tile_gq(rows, groups, W.data + static_cast<size_t>(r0) * W.Kp, pb, a.goff, e, a.Y8 + static_cast<size_t>(r0) * P, P, sg, cs_out);
        }
      }
    }
    if (e.rng) range_merge(a.range, lanes);
  }
};
