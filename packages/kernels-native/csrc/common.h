// Shared declarations of the Lowbit native kernels (no Node dependency: the standalone equivalence executable links
// the same objects). Every ISA translation unit only includes <immintrin.h>/<arm_neon.h>, <cstdint>, <cstddef>,
// <cstring> and this header, and keeps its helpers in an anonymous namespace, so no inline function compiled with
// wider target flags can be picked by the linker for a narrower caller.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lowbit {

/** ISA bits detected at run time (CPUID + XGETBV on x86-64, HWCAP on arm64). */
enum IsaBit : uint32_t {
  ISA_AVX2 = 1u << 0,        // AVX2 + FMA, OS saves YMM
  ISA_AVX512 = 1u << 1,      // AVX-512 F/BW/VL/DQ, OS saves ZMM
  ISA_AVXVNNI = 1u << 2,     // AVX-VNNI (VEX vpdpbusd, 256-bit)
  ISA_AVX512VNNI = 1u << 3,  // AVX512-VNNI
  ISA_AMXINT8 = 1u << 4,     // AMX-TILE + AMX-INT8, OS supports XTILEDATA
  ISA_NEON = 1u << 5,        // AArch64 Advanced SIMD
  ISA_NEONDOT = 1u << 6,     // AArch64 dot product (sdot/udot)
};

uint32_t detect_isas();
/** A description of the CPU (brand string) for diagnostics. */
void cpu_brand(char out[64]);
/** Linux: arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA). True when tile data may be used by this process. */
bool request_amx_permission();

// ---- packed int8 GEMM ------------------------------------------------------------------------------------------
//
// Every int8 product is computed as u8 x s8: A is shifted to unsigned (a_u = a + 128 for int8 A), B to signed
// (b_s = b - boff, chosen at pack time), and the zero points move by the same offsets:
//   sum_k (a - za)(b - zb) = sum_k (a_u - zae)(b_s - zbe),   zae = za + aoff, zbe = zb - boff
//                          = acc - zbe*rowsum(a_u) - zae*(colsum(b_s) - K*zbe)        (all mod 2^32)
// which is exactly the int32 wrap-around result of the reference.
//
// Packed B: panels of NR columns; inside a panel, for each group of 4 k (K padded to kalign with zeros) NR x 4 bytes,
// the 4 k of one column contiguous (the vpdpbusd / AMX B-tile layout).

struct QPackedB {
  int K = 0, N = 0, Kp = 0, nr = 0, panels = 0;
  int32_t boff = 0;        // b_s = b - boff
  bool sevenbit = false;   // every b_s in [-64, 63]
  int8_t* data = nullptr;  // panels * Kp * nr bytes
  int32_t* colsum = nullptr;  // panels * nr: sum_k b_s
};

/** Arguments of one int8 GEMM call (row-major A [M, K] and C [M, N]; B packed). */
struct QGemmArgs {
  int M, N, K;
  const uint8_t* A;  // raw bytes of A (uint8 or int8)
  int lda;
  bool a_signed;
  const QPackedB* B;
  int32_t* C;
  int ldc;
  const int32_t* rowsum;  // M values: sum_k a_u
  const int32_t* zae;     // za + aoff: one value (zae_n = 1) or M values
  int zae_n;
  const int32_t* zbe;     // zb - boff: one value or N values
  int zbe_n;
  /** A already packed by the kernel's `apack` (all M rows, all K), shared by the threads; null: each packs its own. */
  const uint8_t* apacked = nullptr;
  /** The float32 output stage (see QFloatEpi), or null: C holds the int32 sums. Set only for kernels with float_epi. */
  const struct QFloatEpi* fe = nullptr;
};

/**
 * A float32 output stage applied to the corrected int32 sums of an int8 GEMM, in place: C (int32) then holds the
 * float32 bits of y (same [M, ldc] layout), so the sums never take a second buffer or a second pass when the
 * micro-kernel applies it in registers. Per column j (mult, bias: one value per column, padded with zeros to a
 * whole number of panels so that vector loads past N stay inside):
 *   scale   (requant = false): y = float(acc) * mult[j]                                (the dynamic-int8 epilogue)
 *   requant (requant = true):  q = clamp(roundHalfEven(float(acc) * mult[j]) + zp, qmin, qmax) (NaN -> nanq),
 *                              y = float(q - zp) * ys                          (QLinearMatMul -> DequantizeLinear)
 * then y = y + bias[j] when bias is given, then y = y + res[i * N + j] when res is given (a residual Add the runtime
 * folded in: the GEMM driver adds it over each finished block while the block is in cache). Every step is one float32
 * operation, rounded once, as the reference.
 */
struct QFloatEpi {
  const float* mult;
  const float* bias;  // or null
  bool requant;
  int32_t zp, qmin, qmax, nanq;
  float ys;
  const float* res = nullptr;  // [M, N] float32 (never the output's memory), or null
};


// ---- direct NCHW convolution ------------------------------------------------------------------------------------
//
// Y[M, P] = W[M, K] x col[K, P] per image (P = OH * OW, k in Conv's tap order c, kh, kw): the weights are packed once
// into row strips (the micro-kernel's broadcast operand), the activation is packed per call into column panels of NR
// (or, for a 1x1 / stride 1 / unpadded float convolution, read straight from X), and each tile is written into NCHW.

/** Window geometry of a 2-D convolution (one image). */
struct ConvGeom {
  int C, H, W, KH, KW, pad_t, pad_l, stride_h, stride_w, dil_h, dil_w, OH, OW;
};

/** Float weights in row strips: strip s holds rows [row0[s], row0[s + 1]) as [K][rows] at data + row0[s] * K. */
struct FConvW {
  int M = 0, K = 0, strips = 0;
  int* row0 = nullptr;   // strips + 1 values
  float* data = nullptr;
};

struct FConvArgs {
  const FConvW* W;
  const float* X;     // one image [C, H, W]
  ConvGeom g;
  const float* bias;  // M values or null
  float* Y;           // one image [M, OH * OW]
};

/**
 * int8 weights in row strips of 4-k groups (b_s = w - boff, K padded to Kp with zeros): strip s holds rows
 * [row0[s], row0[s + 1]) as [Kp / 4][rows][4] bytes at data + row0[s] * Kp * planes (a second plane, when planes = 2,
 * follows at + rows * Kp: the AVX2 exact split b_s = 64 * (b_s >> 6) + (b_s & 63), low part first). The last strip,
 * strips_ones, is one row of ones over k < K: its accumulator is the column sum of the activation panel, needed
 * only when some weight zero point (after the offset) is not 0.
 */
struct QConvW {
  int M = 0, K = 0, Kp = 0, strips = 0, planes = 1;
  /** The ones row is the last row of the last strip (strips over M + 1 rows, no strip of its own): the fused drivers
   *  run that strip first and take the column sums from its last row (QGemmKernel::conv_fold). */
  bool folded = false;
  int32_t boff = 0;
  int* row0 = nullptr;      // strips + 2 values (the ones row is strip `strips`)
  int8_t* data = nullptr;
  int32_t* wsum = nullptr;  // M values: sum_k b_s
};

/**
 * A float activation applied after the dynamic-int8 epilogue (lowbit.DynamicQConv's `activation`): kind 0 none, 1 Relu
 * (the reference's v > 0 ? v : (v is NaN ? v : 0): -0 gives +0), 2 Clip (r = v < lo ? lo : v, then r > hi ? hi : r,
 * NaN passes through; lo <= hi), 3 the HardSwish decomposition Div(Mul(v, Clip(Add(v, p), lo, hi)), q) as its four
 * float32 operations, 4 HardSigmoid(alpha p, beta q) as the reference: in double, max(0, min(1, p * v + q)) (NaN
 * passes, max(0, -0) = +0), rounded to float32 once.
 */
struct FloatAct {
  int kind = 0;
  float lo = 0.0f, hi = 0.0f, p = 0.0f, q = 0.0f;
};

/**
 * Whether act(float(acc) * scale (+ bias[m])) is never NaN for any int32 acc: a finite scale and finite biases (the
 * product and sum are finite or infinite, never NaN) and an activation that keeps non-NaN values non-NaN (none, Relu,
 * Clip; HardSwish and HardSigmoid can make inf * 0). The SIMD epilogues then keep no NaN lanes for the range and take
 * Relu as kind 5: max(v, +0), which is v > 0 ? v : +0 (the reference's select) for every non-NaN v, -0 included.
 */
inline bool float_epi_nan_free(float scale, const float* bias, int n, const FloatAct& act) {
  if (act.kind > 2 || !(scale - scale == 0.0f)) return false;
  if (bias)
    for (int i = 0; i < n; i++)
      if (!(bias[i] - bias[i] == 0.0f)) return false;
  return true;
}

/**
 * The range of a float output as DynamicQuantizeLinear takes it (lo = min(0, min y), hi = max(0, max y)), gathered by
 * the epilogue that writes the output (lowbit.DynamicQConvQuantize: no separate range pass over it). Each task keeps
 * 16 lanes (RangeLanes16, starting at 0) and merges them once (range_merge); min / max of the same values in any order
 * give the same lo and hi (a -0 never replaces the starting +0, as in dynamic_range), so any split gives the bytes of
 * one DynamicQuantizeLinear. `bad`: some value was NaN (an infinity shows in lo / hi). `merged == 0`: no epilogue of
 * this call gathered it (the paths without one), and the caller takes the range pass instead.
 */
struct RangeSink {
  float lo = 0.0f, hi = 0.0f;
  bool bad = false;
  int merged = 0;
  /** lo / hi when every value was finite. */
  bool ok() const { return merged > 0 && !bad && lo - lo == 0.0f && hi - hi == 0.0f; }
};
struct alignas(64) RangeLanes16 {
  float lo[16] = {};
  float hi[16] = {};
  uint32_t nan = 0;  // lanes that saw a NaN
};
/** Merges one task's lanes into the sink (thread-safe; threadpool.cc). */
void range_merge(RangeSink* sink, const RangeLanes16& lanes);

/** y[j] = act(y[j]) for j < n (selects the compiler vectorizes). */
static inline void float_act_row(float* y, size_t n, const FloatAct& act) {
  if (act.kind == 1) {
    for (size_t j = 0; j < n; j++) {
      const float v = y[j];
      y[j] = v > 0.0f ? v : (v != v ? v : 0.0f);
    }
  } else if (act.kind == 2) {
    const float lo = act.lo, hi = act.hi;
    for (size_t j = 0; j < n; j++) {
      const float r = y[j] < lo ? lo : y[j];
      y[j] = r > hi ? hi : r;
    }
  } else if (act.kind == 3) {
    const float lo = act.lo, hi = act.hi, a = act.p, d = act.q;
    for (size_t j = 0; j < n; j++) {
      const float v = y[j];
      const float t = v + a;
      float r = t < lo ? lo : t;
      r = r > hi ? hi : r;
      const float m = v * r;
      y[j] = m / d;
    }
  } else if (act.kind == 4) {
    const double al = act.p, be = act.q;
    for (size_t j = 0; j < n; j++) {
      const double v = al * static_cast<double>(y[j]) + be;
      double r = v != v ? v : (v > 1.0 ? 1.0 : v);
      r = r != r ? r : (r > 0.0 ? r : 0.0);
      y[j] = static_cast<float>(r);
    }
  }
}

struct QConvArgs {
  const QConvW* W;
  const uint8_t* X;   // one image [C, H, W], raw uint8 / int8 bytes
  bool x_signed;
  ConvGeom g;
  uint8_t xpad;       // the raw byte of x_zero_point (padded taps)
  int32_t zxe;        // x_zero_point + (x_signed ? 128 : 0)
  const int32_t* zwe; // w_zero_point - boff: 1 or M values
  int zwe_n;
  bool colsum;        // some zwe != 0: run the ones row
  int32_t* Y32;       // ConvInteger: one image [M, P]; else null
  const float* mult;  // QLinearConv: 1 or M multipliers
  int mult_n;
  const int32_t* bias;  // M values or null (QLinearConv)
  int32_t yzp;
  bool y_signed;
  uint8_t* Y8;        // QLinearConv: one image [M, P]
  float* Yf = nullptr;  // the dynamic-int8 epilogue: y = float(acc) * fscale (+ fbias[m]), each rounded once
  float fscale = 1.0f;
  const float* fbias = nullptr;  // M values or null
  FloatAct fact{};               // applied after fscale / fbias
  RangeSink* range = nullptr;    // with Yf: the output's range gathered by the fused float epilogue (when it has one)
  // The fused float epilogue's modes (kernels with QGemmKernel::conv_fmodes): 0 store Yf; 2 only gather `range` (nothing
  // stored, Yf may be null); 3 quantize each value as DynamicQuantizeLinear's second pass (QuantizeLinear by qscale,
  // qzp, uint8) into Y8
  int fmode = 0;
  float qscale = 1.0f;
  int32_t qzp = 0;
  // The channel-group convolution (conv_c4; X is then the image in the c4 layout, see QGemmKernel::conv_c4_prep):
  const int32_t* goff = nullptr;  // byte offset of each 4-k group's activations (tap shift, channel group, phase)
  int Wq = 0;                     // row length of the column space: column q = oh * Wq + ow, valid for ow < OW
};

/**
 * The channel-group (c4) layout of one image for a convolution of strides sh, sw: the input padded (x_zero_point) and
 * split into sh * sw phase planes, channels in groups of 4 (zero bytes past C), each position's 4 channels adjacent:
 *   xi[cg][ph][pw][i][j][t] = xpad[4 cg + t][sh * i + ph][sw * j + pw]   (x_u: int8 shifted to unsigned)
 * i < Hq, j < Wq, then `conv_c4_slack` bytes. Tap (kh, kw) of output column q = oh * Wq + ow is then the plane of
 * phase ((kh * dh) % sh, (kw * dw) % sw) at q + ((kh * dh) / sh) * Wq + (kw * dw) / sw: a 4-k group is 4 adjacent
 * bytes and a panel of columns is contiguous, so nothing is packed per panel.
 */
struct ConvC4 {
  int Cg, Hq, Wq, phases;
  size_t plane;  // bytes of one phase plane (Hq * Wq * 4)
  size_t bytes;  // the image (Cg * phases * plane) and the slack
};
static inline ConvC4 conv_c4_layout(const ConvGeom& g) {
  ConvC4 l{};
  l.Cg = (g.C + 3) / 4;
  // the padded rows / columns read: up to (O - 1) * stride + (K - 1) * dil
  l.Hq = ((g.OH - 1) * g.stride_h + (g.KH - 1) * g.dil_h) / g.stride_h + 1;
  l.Wq = ((g.OW - 1) * g.stride_w + (g.KW - 1) * g.dil_w) / g.stride_w + 1;
  l.phases = g.stride_h * g.stride_w;
  l.plane = static_cast<size_t>(l.Hq) * l.Wq * 4;
  // columns q < OH * Wq, rounded up to a panel (<= 64), at a shift < (Hq - OH + 1) * Wq: past the last plane by at
  // most Wq + 64 positions
  l.bytes = static_cast<size_t>(l.Cg) * l.phases * l.plane + 4 * (static_cast<size_t>(l.Wq) + 64) + 64;
  return l;
}

/** The rows of one image's c4 layout (channel groups x phases x Hq rows of 4 * Wq bytes). */
static inline int conv_c4_rows(const ConvC4& l) { return l.Cg * l.phases * l.Hq; }

/** Columns j of phase pw in a c4 row (input column sw * j + pw - pad_l, c0 = pw - pad_l): inside the row for j in [lo, hi). */
struct PhaseCols {
  int c0, lo, hi;
};
static inline PhaseCols phase_cols(const ConvGeom& g, int pw, int Wq) {
  const int sw = g.stride_w, c0 = pw - g.pad_l;
  int lo = c0 < 0 ? (-c0 + sw - 1) / sw : 0, hi = g.W - c0 > 0 ? (g.W - c0 + sw - 1) / sw : 0;
  if (hi > Wq) hi = Wq;
  if (lo > hi) lo = hi;
  return {c0, lo, hi};
}

/** Column panels packed per step of a direct convolution: up to 8 (so that a small K does not pay the packing's fixed
 *  costs per NR columns), as long as they stay within 32 KiB. `elem`: bytes per packed value. */
static inline int conv_chunk_panels(int K, int nr, int elem) {
  const long b = 32768L / (static_cast<long>(K > 0 ? K : 1) * nr * elem);
  return b < 1 ? 1 : (b > 8 ? 8 : static_cast<int>(b));
}

/** Bytes of the per-thread buffer of a direct int8 convolution: the panels (chunk * Kp * nr), the accumulators
 *  ((M + 1) * nr int32) and 4 staging rows (4 * chunk * nr), each 64-aligned. */
static inline size_t qconv_buf_bytes(const QConvW& w, int nr) {
  const auto al = [](size_t n) { return (n + 63) / 64 * 64; };
  const size_t cb = static_cast<size_t>(conv_chunk_panels(w.Kp, nr, 1)) * nr;
  return al(static_cast<size_t>(w.Kp) * cb) + al(sizeof(int32_t) * (w.M + 1) * nr) + al(4 * cb) + 64;
}

/** Floats of the per-thread buffer of a direct float convolution: the panels and one staging row. */
static inline size_t fconv_buf_floats(int K, int nr) {
  const size_t cb = static_cast<size_t>(conv_chunk_panels(K, nr, 4)) * nr;
  return static_cast<size_t>(K) * cb + cb + 16;
}

struct QGemmKernel {
  const char* name;   // "scalar-c", "avx2", "avx2-7bit", "avx-vnni", "avx512-vnni", "amx-int8", "neon", "neon-dot"
  const char* isa;    // the @lowbit/kernels Isa it belongs to
  uint32_t needs;     // IsaBit mask
  int nr, kalign;
  bool needs_7bit;    // valid only for 7-bit packed weights
  size_t scratch_bytes;  // per thread
  /** C rows [m0, m1), panels [p0, p1), with the zero-point correction. */
  void (*gemm)(const QGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch);
  /** B stored as unsigned bytes (b_u = b + 128 for int8 B): for u8 x u8 dot products (arm64 udot). */
  bool b_unsigned = false;
  /** Bytes of A packed whole for `gemm` over all rows (QGemmArgs::apacked), 0 when this shape packs per block. */
  size_t (*apack_bytes)(int M, int Kp) = nullptr;
  void (*apack)(const QGemmArgs& a, uint8_t* dst) = nullptr;
  /** Direct convolution (null: im2col + gemm): rows per strip at most, columns per panel, and whether weights that
   *  are not 7-bit are split into two planes (the AVX2 exact path; 7-bit weights then take one plane). */
  int conv_mr = 0, conv_nr = 0;
  bool conv_split = false;
  /** Columns [j0, j1) of one image; `buf` holds conv_buf_bytes(a.W) bytes (64-aligned). */
  void (*conv)(const QConvArgs& a, int j0, int j1, void* buf) = nullptr;
  /** The channel-group convolution (null: none): conv_c4_prep writes rows [r0, r1) of one image (a.X, a.g, a.x_signed,
   *  a.xpad) in the c4 layout (ConvC4, conv_c4_rows rows) at xi; conv_c4 computes columns [j0, j1) of the column space (q = oh * Wq + ow) with the
   *  weights in c4 order and writes the requantized Y8 (finite multipliers). */
  void (*conv_c4_prep)(const QConvArgs& a, uint8_t* xi, int r0, int r1) = nullptr;
  void (*conv_c4)(const QConvArgs& a, int j0, int j1, void* buf) = nullptr;
  /** `gemm` applies QGemmArgs::fe itself (every QDriver kernel); false: the caller converts each block after it. */
  bool float_epi = true;
  /** The fused conv drivers (tile_q / tile_f, conv_c4) take weights with the ones row folded (QConvW::folded). */
  bool conv_fold = false;
  /** conv / conv_c4 take QConvArgs::fmode 2 and 3 (the float epilogue without stores, or quantizing into Y8). */
  bool conv_fmodes = false;
};

// ---- float GEMM ----------------------------------------------------------------------------------------------
struct FPackedB {
  int K = 0, N = 0, nr = 0, panels = 0;
  float* data = nullptr;  // panels * K * nr: panel-major, then k, then the nr columns
};

struct FGemmArgs {
  int M, N, K;
  const float* A;
  int lda;
  const FPackedB* B;
  float* C;
  int ldc;
  const float* bias;  // optional: N values added (Gemm's C broadcast handled by the caller otherwise)
};

struct FGemmKernel {
  const char* name;
  const char* isa;
  uint32_t needs;
  int nr;
  size_t scratch_bytes;
  void (*gemm)(const FGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch);
  /** Direct convolution (null: im2col + gemm): rows per strip at most, columns per panel; columns [j0, j1) of one
   *  image, `panel` holding K * conv_nr floats (64-aligned). */
  int conv_mr = 0, conv_nr = 0;
  void (*conv)(const FConvArgs& a, int j0, int j1, float* panel) = nullptr;
};

// Kernel tables (one per translation unit; null entries on architectures that lack them).
extern const QGemmKernel kQGemmScalar;
extern const QGemmKernel kQGemmAvx2, kQGemmAvx2Fast7, kQGemmAvxVnni, kQGemmAvx512Vnni, kQGemmAmx;
extern const QGemmKernel kQGemmNeon, kQGemmNeonDot;
extern const FGemmKernel kFGemmScalar, kFGemmAvx2, kFGemmAvx512, kFGemmNeon;

/** Every kernel compiled into this binary for this architecture (whether or not the CPU runs it). */
int qgemm_kernels(const QGemmKernel* const** out);
int fgemm_kernels(const FGemmKernel* const** out);

/**
 * Packs B (K x N row-major, uint8 or int8 bytes) for kernel `k`: picks boff (7-bit when max - min <= 127, so every
 * b_s lies in [-64, 63]; otherwise 128 for uint8 and 0 for int8), allocates and fills p. `sevenbit_only` makes the
 * function return false (packing nothing) when the weights are not 7-bit.
 */
bool qpack(const QGemmKernel& k, const uint8_t* b, bool b_signed, int K, int N, QPackedB* p);
/** Bytes of qpack_into's `data` and `colsum` for a K x N matrix. */
size_t qpack_data_bytes(const QGemmKernel& k, int K, int N);
size_t qpack_colsum_bytes(const QGemmKernel& k, int N);
/**
 * qpack of a strided B into caller-owned, 64-aligned buffers: element (k, j) at b[k * ldb + j], or b[j * ldb + k]
 * when `trans` (B given as N x K). p->data / p->colsum point into them (qfree must not be called on p).
 */
bool qpack_into(const QGemmKernel& k, const uint8_t* b, bool b_signed, int K, int N, int ldb, bool trans, QPackedB* p, int8_t* data, int32_t* colsum);
void qfree(QPackedB* p);
/** Runs one GEMM over [0, M) x all panels and applies the zero-point correction (single thread helper). */
void qgemm_run(const QGemmKernel& k, const QGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch);
/** rowsum[i] = sum_k a_u[i][k] for rows [m0, m1). */
void qrowsums(const uint8_t* A, int lda, bool a_signed, int K, int m0, int m1, int32_t* rowsum);

/** Packs B (K x N, or N x K when trans) into panels of k.nr columns; zero columns pad the last panel. */
void fpack(const FGemmKernel& k, const float* b, int K, int N, bool trans, FPackedB* p);
/** Floats of fpack_into's `data` for a K x N matrix. */
size_t fpack_floats(const FGemmKernel& k, int K, int N);
/** fpack of a strided B (rows ldb apart) into a caller-owned, 64-aligned buffer (ffree must not be called on p). */
void fpack_into(const FGemmKernel& k, const float* b, int K, int N, int ldb, bool trans, FPackedB* p, float* data);
void ffree(FPackedB* p);

/** n dependent 256-bit / 512-bit FMAs (4-cycle latency each): the benchmark measures the clock under SIMD load. */
float fma_chain_avx2(long n);
float fma_chain_avx512(long n);

void* aligned_alloc64(size_t bytes);
void aligned_free(void* p);


/**
 * The integer output stage of every 8-bit quantizer here: round half to even (nearbyint in the default mode) of `v`,
 * plus `zp`, clamped to [qmin, qmax], returned as a float holding that integer; NaN gives `nan_value`. `v` is clamped
 * to [-2^22, 2^22] first (the result saturates anyway for |zp| <= 255): there adding and subtracting 1.5 * 2^23 leaves
 * the rounded integer, in plain float operations the compiler vectorizes (nearbyint is a library call per element
 * without SSE4.1).
 */
// static: ISA translation units (built with -mavx2 ...) include this header too; an external inline copy could be
// the one the linker keeps for baseline callers.
static inline float quant_round(float v, float zp, float qmin, float qmax, float nan_value) {
  const float c = v < -4194304.0f ? -4194304.0f : (v > 4194304.0f ? 4194304.0f : v);
  float t = ((c + 12582912.0f) - 12582912.0f) + zp;
  t = t < qmin ? qmin : t;
  t = t > qmax ? qmax : t;
  return v != v ? nan_value : t;
}


/** quant_round over n values into bytes (the integers as uint8 or two's complement int8): SSE2 on x86-64. */
static inline void quant_store(const float* v, int n, float zp, float qmin, float qmax, float nan_value, uint8_t* out) {
  int i = 0;
#if defined(__SSE2__)
  const __m128 lo = _mm_set1_ps(-4194304.0f), hi = _mm_set1_ps(4194304.0f), magic = _mm_set1_ps(12582912.0f);
  const __m128 z = _mm_set1_ps(zp), mn = _mm_set1_ps(qmin), mx = _mm_set1_ps(qmax), nq = _mm_set1_ps(nan_value);
  const bool is_signed = qmin < 0.0f;
  for (; i + 8 <= n; i += 8) {
    __m128i q[2];
    for (int h = 0; h < 2; h++) {
      const __m128 x = _mm_loadu_ps(v + i + 4 * h);
      const __m128 nan = _mm_cmpunord_ps(x, x);
      const __m128 c = _mm_min_ps(_mm_max_ps(x, lo), hi);
      __m128 t = _mm_add_ps(_mm_sub_ps(_mm_add_ps(c, magic), magic), z);
      t = _mm_min_ps(_mm_max_ps(t, mn), mx);
      t = _mm_or_ps(_mm_and_ps(nan, nq), _mm_andnot_ps(nan, t));
      q[h] = _mm_cvttps_epi32(t);
    }
    const __m128i w = _mm_packs_epi32(q[0], q[1]);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), is_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
  }
#endif
  for (; i < n; i++) out[i] = static_cast<uint8_t>(static_cast<int32_t>(quant_round(v[i], zp, qmin, qmax, nan_value)));
}


/** The QFloatEpi stage over rows [m0, m1), columns [j0, j1) of C (int32 in, float32 bits out, in place). */
static inline void qfloat_rows(const QFloatEpi& f, int32_t* C, int ldc, int m0, int m1, int j0, int j1) {
  const float fzp = static_cast<float>(f.zp), fmin = static_cast<float>(f.qmin), fmax = static_cast<float>(f.qmax);
  const float fnan = static_cast<float>(f.nanq);
  for (int i = m0; i < m1; i++) {
    int32_t* c = C + static_cast<size_t>(i) * ldc;
    for (int j = j0; j < j1; j++) {
      float v = static_cast<float>(c[j]) * f.mult[j];
      if (f.requant) v = static_cast<float>(static_cast<int32_t>(quant_round(v, fzp, fmin, fmax, fnan)) - f.zp) * f.ys;
      if (f.bias) v = v + f.bias[j];
      std::memcpy(c + j, &v, 4);
    }
  }
}

}  // namespace lowbit
