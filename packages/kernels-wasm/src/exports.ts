import type { WasmMemory } from './wasm-api.js';

/** The functions the AssemblyScript modules export (assembly/index.ts, assembly/relaxed.ts); pointers are byte offsets. */
export interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  qpackBSize(K: number, N: number): number;
  qpackB(src: number, K: number, N: number, ldb: number, dst: number): void;
  qpackB16Size(K: number, N: number): number;
  qwidenB(bp: number, K: number, N: number, signedB: number, dst: number): void;
  qprepA(src: number, M: number, K: number, lda: number, signedA: number, za: number, zaPerRow: number, dst: number, rowsum: number): void;
  qgemm(a16: number, M: number, K: number, bp: number, N: number, signedB: number, c: number, ldc: number, zb: number, rowsum: number, bp16: number): void;
  spackBSize(K: number, N: number): number;
  spackB(src: number, K: number, N: number, rs: number, cs: number, dst: number): void;
  sscratchASize(M: number, K: number): number;
  sgemm(a: number, lda: number, M: number, K: number, bp: number, N: number, c: number, ldc: number, bias: number, scratch: number): void;
  sepilogue(c: number, M: number, N: number, ldc: number, alpha: number, hasBias: number, beta: number, bias: number, brs: number, bcs: number): void;
  im2colPacked(x: number, Cg: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number, OH: number, OW: number, dst: number): void;
  depthwise(xpad: number, Hp: number, Wp: number, w: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number, bias: number, y: number, row: number): void;
  depthwisePlanes(x: number, planes: number, C: number, H: number, W: number, pad: number, Hp: number, Wp: number, pt: number, pl: number, w: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number, bias: number, y: number, row: number): void;
  im2row8(x: number, Cg: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number, OH: number, OW: number, pad: number, dst: number): void;
  padPlane(x: number, H: number, W: number, dst: number, Hp: number, Wp: number, pt: number, pl: number): void;
  relu(x: number, n: number, y: number): void;
  sigmoid(x: number, n: number, y: number): void;
  clip(x: number, n: number, lo: number, hi: number, y: number): void;
  quantize(x: number, n: number, scale: number, zp: number, qmin: number, qmax: number, signedOut: number, y: number): void;
  dequantize(x: number, n: number, signedIn: number, zp: number, scale: number, y: number): void;
  minMax(x: number, n: number, out: number): void;
  requantize(acc: number, M: number, N: number, mult: number, bias: number, zp: number, qmin: number, qmax: number, signedOut: number, y: number): void;
  batchNorm(x: number, N: number, C: number, plane: number, params: number, y: number): void;
  globalAvgPool(x: number, rows: number, plane: number, y: number): void;
  pool2d(x: number, planes: number, H: number, W: number, pad: number, Hp: number, Wp: number, pt: number, pl: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number, isMax: number, cnt: number, y: number): void;
  binary(op: number, a: number, aOuter: number, aInner: number, b: number, bOuter: number, bInner: number, outer: number, inner: number, y: number): void;
}

/** The relaxed-SIMD module's extra exports (assembly/qgemm7.ts). */
export interface RelaxedExports extends KernelExports {
  q7packBSize(K: number, N: number): number;
  q7packB(src: number, K: number, N: number, ldb: number, signedB: number, dst: number, cs: number): void;
  q7prepA(src: number, M: number, K: number, lda: number, signedA: number, za: number, zaPerRow: number, dst: number, u: number, r: number): void;
  q7gemm(a8: number, M: number, K: number, bp: number, N: number, c: number, ldc: number, cs: number, v: number, u: number, r: number, fused: number): void;
  /** 1 when the engine's fused i32x4.relaxed_dot_i8x16_i7x16_add_s computes the specified result (probe). */
  relaxedDotAddWorks(scratch: number): number;
}
