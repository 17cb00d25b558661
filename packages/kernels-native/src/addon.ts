/**
 * Loading the compiled addon (build/Release/lowbit_native.node, built by `scripts/build-addon.mjs` at install time)
 * and its typed surface. Loading never throws: a missing or broken addon is a reason string.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** One C++ kernel this CPU runs, as the addon reports it. */
export interface NativeKernelInfo {
  readonly name: string;
  /** The @lowbit/kernels Isa it belongs to. */
  readonly isa: string;
  readonly needs7bit?: boolean;
}

export interface NativeInfo {
  readonly cpu: string;
  readonly isaBits: number;
  readonly amxPermission: boolean;
  readonly physicalCores: number;
  readonly arch: string;
  /** int8 GEMM kernels this CPU runs (CPUID + OS state; AMX only after the XTILEDATA permission was granted). */
  readonly qgemm: readonly NativeKernelInfo[];
  readonly fgemm: readonly NativeKernelInfo[];
}

export interface NativePool {
  readonly threads: number;
  close(): void;
}

/** A depthwise QLinearConv with its per-session operands bound (`NativeAddon.DwConvBound`). */
export interface NativeDwConvBound {
  run(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, y: Uint8Array | Int8Array): void;
}

/**
 * lowbit.DynamicQConv with its per-session operands bound (`NativeQGemm.bindDynamicConv`, `NativeAddon.DwConvScaledBound`):
 * x quantized (DynamicQuantizeLinear) into the object's buffer, then the convolution with the float epilogue, in one
 * call. False (nothing written) for an empty or non-finite x or result; x and y checked against the bound geometry
 * (RangeError).
 */
export interface NativeDynamicConvBound {
  /**
   * `range` (3 floats): see `NativeQGemm.runConvScaled`. With `yq`, `yScale` (1 float) and `yZeroPoint` (1 byte),
   * lowbit.DynamicQConvQuantize: y (float scratch) then quantized into them in the same call (DynamicQuantizeLinear,
   * from the range the convolution gathered where it does; `range` is then not written).
   */
  runDynamicConv(pool: NativePool | null, x: Float32Array, batch: number, y: Float32Array, range?: Float32Array | null, yq?: Uint8Array, yScale?: Float32Array, yZeroPoint?: Uint8Array): boolean;
  /** The quantized-input form (lowbit.DynamicQConv:u8): x_q with its scale and zero point (0..255), no quantizing of x. */
  runDynamicConvQ(pool: NativePool | null, xq: Uint8Array, xScale: number, xZeroPoint: number, batch: number, y: Float32Array, range?: Float32Array | null, yq?: Uint8Array,
    yScale?: Float32Array, yZeroPoint?: Uint8Array): boolean;
}

/** Packed int8 B (K x N) for one kernel. */
export interface NativeQGemm {
  /** Whether the packed weights fit the 7-bit fast path (max - min <= 127). */
  readonly sevenBit: boolean;
  run(pool: NativePool | null, a: Uint8Array | Int8Array, m: number, za: Uint8Array | Int8Array | null, zb: Uint8Array | Int8Array | null, c: Int32Array): void;
  /** The GEMM followed by `requantize` (multiplier 1 or N float32 values) into 8-bit `y` (its type sets the range). */
  runRequant(pool: NativePool | null, a: Uint8Array | Int8Array, m: number, za: Uint8Array | Int8Array | null, zb: Uint8Array | Int8Array | null, mult: Float32Array, yZeroPoint: number, y: Uint8Array | Int8Array): void;
  /**
   * The GEMM with a float32 output stage, one pass: with `yScale` null y = fround(acc) * mult[j]; else
   * q = requantize(acc, mult[j], yZeroPoint) in the 8-bit range `ySigned` selects and y = fround(q - yZeroPoint) * yScale;
   * then y + bias[j] when a bias is given (mult, bias: 1 or N values; each step rounded once to float32).
   */
  runFloat(pool: NativePool | null, a: Uint8Array | Int8Array, m: number, za: Uint8Array | Int8Array | null, zb: Uint8Array | Int8Array | null, mult: Float32Array, bias: Float32Array | null, y: Float32Array, yScale: number | null, yZeroPoint: number, ySigned: boolean,
    residual?: Float32Array | null): void;
  /**
   * runFloat into column groups (lowbit.QLinearMatMulToFloatSplit): y[g] takes m * n_g values of the result's columns in
   * order (n_g summing to N), requantized and dequantized with yScale[g] and yZeroPoint[g].
   */
  runFloat(pool: NativePool | null, a: Uint8Array | Int8Array, m: number, za: Uint8Array | Int8Array | null, zb: Uint8Array | Int8Array | null, mult: Float32Array, bias: Float32Array | null, y: Float32Array[], yScale: Float32Array, yZeroPoint: Int32Array, ySigned: boolean): void;
  /**
   * The dynamic-int8 MatMul in one call: x quantized as DynamicQuantizeLinear (x_s, x_zp), then y = fround(acc) *
   * fround(x_s * wScale[j]) (+ bias[j]) from the GEMM's tiles (+ residual[i, j], m * N values that must not overlap y:
   * lowbit.DynamicQMatMul's folded Add, added over each finished block; activation 0 then), then the optional activation
   * (as runConvScaled's). `y` an array of Float32Arrays of m * n_g values (n_g summing to N): the result's columns in
   * order, group g into y[g] (lowbit.DynamicQMatMulSplit; no residual or activation then). False (nothing written)
   * for an empty or non-finite x.
   */
  runDynamic(pool: NativePool | null, x: Float32Array, m: number, zb: Uint8Array | Int8Array | null, wScale: Float32Array, bias: Float32Array | null, y: Float32Array | Float32Array[],
    activation?: number, lo?: number, hi?: number, p?: number, q?: number, residual?: Float32Array | null): boolean;
  /** ConvInteger over NCHW `x` with B = the weights transposed ([C*KH*KW, M]); `geometry` as `convGeometry2d`. */
  runConv(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, xZeroPoint: number, zw: Uint8Array | Int8Array | null, y: Int32Array): void;
  /** QLinearConv: runConv followed by `requantize` (multiplier 1 or M values). */
  runConvRequant(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, xZeroPoint: number, zw: Uint8Array | Int8Array | null, mult: Float32Array, yZeroPoint: number, y: Uint8Array | Int8Array, bias: Int32Array | null): void;
  /**
   * Checks and copies runConvRequant's per-session operands (geometry, zero points, multipliers, bias) into the object
   * once, replacing an earlier binding; then `runConvBound` runs runConvRequant with them.
   */
  bindConvRequant(geometry: Int32Array, xZeroPoint: number, zw: Uint8Array | Int8Array | null, mult: Float32Array, yZeroPoint: number, bias: Int32Array | null): void;
  /** runConvRequant with the operands `bindConvRequant` bound (x and y checked against the bound geometry: RangeError). */
  runConvBound(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, y: Uint8Array | Int8Array): void;
  /**
   * ConvInteger's sums scaled to float32 (the dynamic-int8 epilogue): y = fround(acc) * scale, then + bias[m], each
   * step rounded once, then the optional activation (0 none, 1 Relu, 2 Clip(lo, hi), lo <= hi, 3 HardSwish
   * decomposition (add p, divide by q), 4 HardSigmoid(p, q): lowbit.DynamicQConv's `activation`). False (nothing written) when the kernel has no direct convolution.
   * `range` (3 floats), when given, receives [lo, hi, 1] with lo = min(0, min y), hi = max(0, max y) (DynamicQuantizeLinear's
   * range of y) when the kernel's epilogue gathered it and every value is finite, else [0, 0, 0] (then run the range pass).
   */
  runConvScaled(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, xZeroPoint: number, zw: Uint8Array | Int8Array | null, scale: number, bias: Float32Array | null, y: Float32Array, activation?: number, lo?: number, hi?: number, p?: number, q?: number, range?: Float32Array | null): boolean;
  /**
   * lowbit.DynamicQConvQuantize's convolution in two passes over the same sums (the AVX512-VNNI kernel): the first
   * gathers the range of runConvScaled's y without storing it, the second stores DynamicQuantizeLinear(y) into yq with
   * that range's scale and zero point (yScale, yZeroPoint); y never reaches memory. 1 done; 0 not available here
   * (nothing written); -1 some value not finite (nothing written).
   */
  runConvScaledQuantize(pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, xZeroPoint: number, zw: Uint8Array | Int8Array | null, scale: number, bias: Float32Array | null, yq: Uint8Array, yScale: Float32Array, yZeroPoint: Uint8Array, activation?: number, lo?: number, hi?: number, p?: number, q?: number): number;
  /**
   * Checks and copies lowbit.DynamicQConv's per-session operands (geometry, w_zero_point, w_scale, bias, activation)
   * once, replacing an earlier binding; then `runDynamicConv` quantizes x and runs runConvScaled with scale
   * fround(x_scale * wScale). Throws when the kernel has no direct convolution.
   */
  bindDynamicConv(geometry: Int32Array, zw: Uint8Array | Int8Array | null, wScale: number, bias: Float32Array | null, activation?: number, lo?: number, hi?: number, p?: number, q?: number): void;
  /** See `NativeDynamicConvBound` (throws before `bindDynamicConv`). */
  runDynamicConv(pool: NativePool | null, x: Float32Array, batch: number, y: Float32Array, range?: Float32Array | null, yq?: Uint8Array, yScale?: Float32Array, yZeroPoint?: Uint8Array): boolean;
  /** See `NativeDynamicConvBound` (throws before `bindDynamicConv`). */
  runDynamicConvQ(pool: NativePool | null, xq: Uint8Array, xScale: number, xZeroPoint: number, batch: number, y: Float32Array, range?: Float32Array | null, yq?: Uint8Array,
    yScale?: Float32Array, yZeroPoint?: Uint8Array): boolean;
  dispose(): void;
}

/** Packed float B for one kernel. */
export interface NativeFGemm {
  run(pool: NativePool | null, a: Float32Array, m: number, bias: Float32Array | null, c: Float32Array): void;
  /** Conv over NCHW `x` (B packed from the [M, C*KH*KW] weights with transB). */
  runConv(pool: NativePool | null, x: Float32Array, batch: number, geometry: Int32Array, bias: Float32Array | null, y: Float32Array): void;
  dispose(): void;
}

/**
 * Batched GEMMs of two activations (attention's Q K^T and P V) for one float kernel: C[t] = A[t] B[t] for t < batch =
 * aOffsets.length, A[t] an M x K matrix at element aOffsets[t] of `a` (rows lda apart), B[t] K x N at bOffsets[t] of
 * `b` (rows ldb apart; or N x K, B^T, when bTrans), C [batch, M, N] contiguous. Each distinct B is packed once per
 * call into buffers kept between calls; results equal the single-matrix GEMM's bits for any thread count.
 */
export interface NativeFGemmBatch {
  run(pool: NativePool | null, a: Float32Array, aOffsets: Int32Array, lda: number, b: Float32Array, bOffsets: Int32Array, ldb: number, bTrans: boolean, m: number, k: number, n: number, c: Float32Array): void;
}

/** The int8 batched GEMM (as NativeFGemmBatch) with per-tensor zero points `za`, `zb` (integers in A's / B's types). */
export interface NativeQGemmBatch {
  run(pool: NativePool | null, a: Uint8Array | Int8Array, aOffsets: Int32Array, lda: number, b: Uint8Array | Int8Array, bOffsets: Int32Array, ldb: number, bTrans: boolean,
    m: number, k: number, n: number, za: number, zb: number, c: Int32Array): void;
  /** The sums requantized (one float32 multiplier, `mult[0]`) into 8-bit `y` [batch, M, N] (its type sets the range). */
  runRequant(pool: NativePool | null, a: Uint8Array | Int8Array, aOffsets: Int32Array, lda: number, b: Uint8Array | Int8Array, bOffsets: Int32Array, ldb: number, bTrans: boolean,
    m: number, k: number, n: number, za: number, zb: number, mult: Float32Array, yZeroPoint: number, y: Uint8Array | Int8Array): void;
  /** The sums scaled to float32 [batch, M, N]: y = fround(fround(acc) * fround(scale)) (the dynamic-int8 epilogue). */
  runScaled(pool: NativePool | null, a: Uint8Array | Int8Array, aOffsets: Int32Array, lda: number, b: Uint8Array | Int8Array, bOffsets: Int32Array, ldb: number, bTrans: boolean,
    m: number, k: number, n: number, za: number, zb: number, scale: number, y: Float32Array): void;
}

/** What `tuneMalloc` did (process-wide; the first call decides, later ones report that outcome). */
export interface MallocTuningResult {
  readonly applied: boolean;
  readonly reason: string;
}

export interface NativeAddon {
  /**
   * glibc only: mallopt(M_MMAP_THRESHOLD, mmapThreshold), and M_TRIM_THRESHOLD and M_TOP_PAD to `retain` (a free heap
   * top above it is trimmed down to it), in bytes, unless the environment sets glibc's malloc variables (MALLOC_*_ or
   * GLIBC_TUNABLES glibc.malloc.*).
   */
  tuneMalloc(mmapThreshold: number, retain: number): MallocTuningResult;
  info(): NativeInfo;
  /** The core clock in GHz, measured with dependent 1-cycle adds (benchmarks use it for peak figures). */
  clockGhz(): number;
  /** The clock while running dependent 256- or 512-bit FMAs (null when the CPU lacks them or on arm64). */
  clockUnderLoadGhz(width: 256 | 512): number | null;
  /**
   * QuantizeLinear to 8 bits over an [outer, C, inner] view (scale / zero point: 1 value, or C values per axis).
   * `pool` (here and on the other element-wise, row-wise and walk calls that take one last): the work split over its
   * threads in pieces of whole rows (or value chunks) when large enough; the same bytes for any split.
   */
  quantizeLinear(x: Float32Array, scale: Float32Array, zp: Uint8Array | Int8Array | null, outer: number, c: number, inner: number, y: Uint8Array | Int8Array, pool?: NativePool | null): void;
  /** DequantizeLinear from 8 bits over an [outer, C, inner] view. */
  dequantizeLinear(x: Uint8Array | Int8Array, scale: Float32Array, zp: Uint8Array | Int8Array | null, outer: number, c: number, inner: number, y: Float32Array, pool?: NativePool | null): void;
  /**
   * DequantizeLinear (per tensor) and a row-bias Add in one pass over [rows, n]: y = float(float((x - zeroPoint) * scale)
   * + bias[j]) (bias: n values or 1).
   */
  dequantizeBias(x: Uint8Array | Int8Array, scale: number, zeroPoint: number, rows: number, n: number, bias: Float32Array, y: Float32Array): void;
  /**
   * MaxPool over `planes` planes on the 3-D spatial view, geometry D, H, W, OD, OH, OW, KD, KH, KW, strides, dilations,
   * pads at the beginning (18 values); x and y of one type (Float32Array, Uint8Array or Int8Array).
   */
  maxPool<T extends Float32Array | Uint8Array | Int8Array>(x: T, planes: number, geometry: Int32Array, y: T): void;
  /** DynamicQuantizeLinear; false (nothing written) for an empty or non-finite input. With a pool of 2+ threads, a large x
   *  (64 Ki elements or more, AVX-512 CPUs) has its range and quantizing passes split over the threads: the same result. */
  dynamicQuantizeLinear(x: Float32Array, y: Uint8Array, scale: Float32Array, zp: Uint8Array, pool?: NativePool | null): boolean;
  /**
   * DynamicQuantizeLinear of x whose range a float-output convolution gathered (its `range` out-parameter, [lo, hi, 1]):
   * the same scale, zero point and bytes without the range pass. False (nothing written) when range[2] is not 1 or x is
   * empty: run dynamicQuantizeLinear then.
   */
  quantizeLinearRanged(x: Float32Array, y: Uint8Array, range: Float32Array, scale: Float32Array, zp: Uint8Array, pool?: NativePool | null): boolean;
  /**
   * Depthwise-style integer convolution (group = C, one input channel per group, M a multiple of C), direct: int32
   * sums into an Int32Array Y when `mult` is null (ConvInteger), else requantized into Y (QLinearConv).
   */
  dwConv(kernel: 'scalar-c' | 'avx2', pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, w: Uint8Array | Int8Array, m: number,
    xZeroPoint: number, zw: Uint8Array | Int8Array | null, mult: Float32Array | null, yZeroPoint: number, y: Int32Array | Uint8Array | Int8Array, bias: Int32Array | null): void;
  /**
   * The same integer convolution with lowbit.DynamicQConv's float epilogue in its own pass (no int32 buffer):
   * y = float(float(sum) * scale), + bias[m] rounded once when bias is given, then the activation (FloatAct's kind, lo,
   * hi, p, q), bit-identical to dwConv's sums followed by scaleAccumulators. `range`: as runConvScaled's (gathered by the
   * AVX512-VNNI row path).
   */
  dwConvScaled(kernel: 'scalar-c' | 'avx2', pool: NativePool | null, x: Uint8Array | Int8Array, batch: number, geometry: Int32Array, w: Uint8Array | Int8Array, m: number,
    xZeroPoint: number, zw: Uint8Array | Int8Array | null, scale: number, bias: Float32Array | null, y: Float32Array, activation: number, lo: number, hi: number, p: number, q: number,
    range?: Float32Array | null): void;
  /**
   * Depthwise-style Conv:f32 (group = C, M a multiple of C, at most 256 taps): one FMA chain per output over the taps
   * in (kh, kw) order, then + bias rounded once.
   */
  dwConvF(kernel: 'scalar-c' | 'avx2', pool: NativePool | null, x: Float32Array, batch: number, geometry: Int32Array, w: Float32Array, m: number, bias: Float32Array | null, y: Float32Array): void;
  /** The dynamic-int8 epilogue over an [outer, C, inner] view: y = float(float(acc) * scale[c]) (+ bias[c], rounded once). */
  scaleAccumulators(acc: Int32Array, scale: Float32Array, bias: Float32Array | null, outer: number, c: number, inner: number, y: Float32Array, activation?: number, lo?: number, hi?: number, p?: number, q?: number): void;
  /** y = Relu(x) element-wise as the reference (x > 0 ? x : 0; NaN stays NaN, -0 gives +0), y as long as x. */
  relu(x: Float32Array, y: Float32Array): void;
  /** y = Clip(x, lo, hi) as the reference (sequential: opset >= 11's min-then-max form; else one select), y as long as x. */
  clip(x: Float32Array, lo: number, hi: number, sequential: boolean, y: Float32Array): void;
  /** GlobalAveragePool over `rows` rows of `plane` values: y[r] = fround(sum / plane), the sum in float32 in order. */
  globalAvgPool(x: Float32Array, rows: number, plane: number, y: Float32Array): void;
  /** y = erf(x) element-wise (double-precision piecewise polynomials, rounded once), y as long as x. */
  erf(x: Float32Array, y: Float32Array): void;
  /**
   * GELU in the erf form, one float32 operation per graph step: `s = div ? x / c1 : x * c1`, `a = erf(s) + c2` (erf as
   * `erf` computes it), `y = scaleFirst ? (x * c3) * a : (x * a) * c3`; y as long as x.
   */
  /** Cast int32 -> float32 element-wise (nearest even); y as long as x. */
  castI32F32(x: Int32Array, y: Float32Array): void;
  /** y[i] = table[x[i]] over bytes (lowbit.QLookup; int8 tensors passed as their bytes); table 256 long, y as long as x. */
  lookupU8(x: Uint8Array, table: Uint8Array, y: Uint8Array): void;
  /** y[i] = table[x[i]] over 32-bit words (lowbit.QLookup with a float32 table, passed as its bits); table 256 long. */
  lookupU32(x: Uint8Array, table: Uint32Array, y: Uint32Array): void;
  /** lowbit.QLookupGlobalAveragePool over [rows, plane] bytes: y[r] = float(double(float32 running sum of table[x]) / plane). */
  lookupGap(x: Uint8Array, table: Float32Array, rows: number, plane: number, y: Float32Array): void;
  /**
   * lowbit.QLookupMulQuantize with one gate value per [n, c] plane (gate[n * gateStrideN + c * gateStrideC]):
   * y = saturate(roundHalfEven(fround(fround(table[x] * g) / scale)) + zeroPoint) as bytes; NaN gives the low end.
   */
  lookupMulQuantize(x: Uint8Array, table: Float32Array, gate: Float32Array, n: number, c: number, plane: number, gateStrideN: number, gateStrideC: number,
    scale: number, zeroPoint: number, signed: boolean, y: Uint8Array): void;
  /** y[i] = table[a[i] * 256 + b[i]] over same-length byte arrays (lowbit.QLookup2); table 65536 long. */
  lookupPairs(a: Uint8Array, b: Uint8Array, table: Uint8Array, y: Uint8Array): void;
  gelu(x: Float32Array, c1: number, div: boolean, c2: number, c3: number, scaleFirst: boolean, y: Float32Array, pool?: NativePool | null): void;
  /** The same GELU quantized per tensor into 8 bits (lowbit.QGeluErf): bit-identical to gelu then quantizeLinear. */
  gelu(x: Float32Array, c1: number, div: boolean, c2: number, c3: number, scaleFirst: boolean, y: Uint8Array | Int8Array, scale: number, zeroPoint: number, pool?: NativePool | null): void;
  /** y[i] = float(exp(double(x[i]))) for i < n (Exp:f32; eight double lanes on AVX-512 CPUs, within 1 float32 ulp). */
  exp(x: Float32Array, n: number, y: Float32Array): void;
  /**
   * `count` runs of `run` bytes: run c is src[s + c*sStep ..) to dst[d + c*dStep ..); offsets and steps in bytes from
   * each array's start (steps may be negative); every run must lie inside both arrays (RangeError otherwise).
   */
  copyRuns(dst: ArrayBufferView, d: number, dStep: number, src: ArrayBufferView, s: number, sStep: number, run: number, count: number): void;
  /** Softmax over the last axis of a [rows, n] view (double inside, as the reference). */
  softmax(x: Float32Array, rows: number, n: number, y: Float32Array, pool?: NativePool | null): void;
  /** LayerNormalization (stash_type 1) of `outer` rows of `inner`, bit-exact with the reference; scale/bias `inner` long. */
  layerNorm(x: Float32Array, outer: number, inner: number, scale: Float32Array, bias: Float32Array | null, eps: number, y: Float32Array, mean: Float32Array | null, inv: Float32Array | null, pool?: NativePool | null): void;
  /** The same normalization quantized per tensor into 8 bits (lowbit.QLayerNorm): bit-identical to layerNorm then quantizeLinear. */
  layerNorm(x: Float32Array, outer: number, inner: number, scale: Float32Array, bias: Float32Array | null, eps: number, y: Uint8Array | Int8Array, yScale: number, yZeroPoint: number, pool?: NativePool | null): void;
  /** y (output dims `dims`, rank <= 8) = x read with element `strides` per output axis; x and y of one typed-array type. */
  transpose(x: ArrayBufferView, dims: Int32Array, strides: Int32Array, y: ArrayBufferView, pool?: NativePool | null): void;
  /** y = a op b (0 Add, 1 Sub, 2 Mul, 3 Div) over output dims `dims` (rank <= 8), per-input element strides (0: broadcast). */
  binary(op: number, a: Float32Array, b: Float32Array, y: Float32Array, dims: Int32Array, sa: Int32Array, sb: Int32Array, pool?: NativePool | null): void;
  /** `grained` (default true): an op too small to pay for a hand-off to another thread runs on the caller alone. */
  Pool: new (threads: number, grained?: boolean) => NativePool;
  QGemm: new (kernel: string, b: Uint8Array | Int8Array, k: number, n: number, threads: number) => NativeQGemm;
  /**
   * dwConv's requantizing form with the per-session operands checked and copied once (the weights included); `run`
   * checks only x and y against the geometry (RangeError).
   */
  DwConvBound: new (kernel: 'scalar-c' | 'avx2', geometry: Int32Array, w: Uint8Array | Int8Array, m: number, xZeroPoint: number, zw: Uint8Array | Int8Array | null,
    mult: Float32Array, yZeroPoint: number, bias: Int32Array | null) => NativeDwConvBound;
  /** dwConvScaled's lowbit.DynamicQConv form bound once (the weights included); `runDynamicConv` quantizes x itself. */
  DwConvScaledBound: new (kernel: 'scalar-c' | 'avx2', geometry: Int32Array, w: Uint8Array | Int8Array, m: number, zw: Uint8Array | Int8Array | null, wScale: number,
    bias: Float32Array | null, activation?: number, lo?: number, hi?: number, p?: number, q?: number) => NativeDynamicConvBound;
  FGemm: new (kernel: string, b: Float32Array, k: number, n: number, transB: boolean, threads: number) => NativeFGemm;
  FGemmBatch: new (kernel: string, threads: number) => NativeFGemmBatch;
  /** Kernels that need 7-bit B are refused. */
  QGemmBatch: new (kernel: string, threads: number) => NativeQGemmBatch;
}

export type AddonLoad = { readonly addon: NativeAddon; readonly path: string } | { readonly error: string };

const ADDON = new URL('../build/Release/lowbit_native.node', import.meta.url);
const LOG = new URL('../build-addon.log', import.meta.url);

/** Loads the addon (Node's module cache makes repeated loads cheap). */
export function loadAddon(): AddonLoad {
  const path = fileURLToPath(ADDON);
  if (!existsSync(path)) {
    let why = 'the install step did not build it';
    try {
      const log = readFileSync(fileURLToPath(LOG), 'utf8');
      const line = log.split('\n').find((l) => /error|skipped|not found|not installed/i.test(l));
      if (line) why = `the install build failed: ${line.trim().slice(0, 200)}`;
    } catch {
      // no log: the install script never ran
    }
    return { error: `native addon not found at ${path} (${why}; run \`npm run build:addon -w @lowbit/kernels-native\`)` };
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    return { addon, path };
  } catch (e) {
    return { error: `native addon at ${path} failed to load: ${(e as Error).message}` };
  }
}
