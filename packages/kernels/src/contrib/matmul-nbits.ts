/**
 * com.microsoft MatMulNBits (onnxruntime contrib op, version 1): `Y = A x dequantize(B)^T (+ bias)` with B quantized
 * block-wise along K to `bits` (2..8) bits.
 *
 * Attributes: `K`, `N` (required), `bits` (default 4), `block_size` (required, a power of two >= 16),
 * `accuracy_level` (accepted and ignored: it names the *lowest* precision a runtime may use; this reference always
 * computes in float32, the highest). Inputs:
 * - A float32 `[..., K]`; Y float32 `[..., N]` (any rank >= 1, leading dims kept).
 * - B uint8 `[N, k_blocks, blob_size]`, `k_blocks = ceil(K / block_size)`, `blob_size = block_size * bits / 8`: for
 *   column n and block b the block's codes packed low bits first (see nbits.ts). Codes past K (the last block's
 *   padding) are ignored.
 * - scales float32, `N * k_blocks` values (`[N, k_blocks]`, or 1-D as older writers emit).
 * - zero_points (optional): uint8 packed like B, `ceil(k_blocks * bits / 8)` bytes per column (`[N, .]` or 1-D);
 *   or float32 `N * k_blocks` values (unpacked). Absent: `2^(bits-1)` (8 for 4 bits, 128 for 8 bits).
 * - g_idx (optional, deprecated): int32 `[K]`, the block whose scale/zero point row k uses (act-order GPTQ);
 *   absent: `floor(k / block_size)`. (onnxruntime 1.30 ignores packed uint8 zero points when g_idx is given and
 *   uses 2^(bits-1); this reference applies them, as the spec says.)
 * - bias (optional): float32 `[N]`.
 *
 * Numerics (float32 throughout, no FMA): `w[n, k] = fround((q[n, k] - zp[n, g]) * scale[n, g])` with `g` the block
 * of k (for a float zero point `fround(fround(q - zp) * scale)`); `Y[m, n] = sum_k A[m, k] * w[n, k]` accumulated
 * for k = 0..K-1 with `acc = fround(acc + fround(a * w))`, then `fround(acc + bias[n])`. No rounding to integers
 * happens here (the codes are already integers), so no rounding mode is involved; nothing saturates. NaN/Inf in A,
 * scales or bias propagate as IEEE arithmetic says.
 *
 * Example (K = 2, N = 1, bits = 4, block_size = 16, one block): B byte 0 = 0xA3 packs codes q = [3, 10]; scale 0.5,
 * zero point 8 (the default): w = [(3 - 8) * 0.5, (10 - 8) * 0.5] = [-2.5, 1]; A = [[2, 3]] -> Y = [[-5 + 3]] = [[-2]].
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { expectSize, fail, input, optionalInput } from '../nn/checks.js';
import { attrInt } from '../ops/util/attrs.js';
import type { Tensor } from '../tensor.js';
import { unpackCode } from './nbits.js';

export const MS_DOMAIN = 'com.microsoft';

interface Cfg {
  readonly K: number;
  readonly N: number;
  readonly bits: number;
  readonly blockSize: number;
  readonly kBlocks: number;
  readonly blob: number;
}

function config(node: KernelNode): Cfg {
  const K = attrInt(node, 'K', -1);
  const N = attrInt(node, 'N', -1);
  const bits = attrInt(node, 'bits', 4);
  const blockSize = attrInt(node, 'block_size', -1);
  if (!(K >= 1) || !Number.isSafeInteger(K)) fail(node, 'attribute "K"', { expected: 'a positive int', actual: String(K) });
  if (!(N >= 1) || !Number.isSafeInteger(N)) fail(node, 'attribute "N"', { expected: 'a positive int', actual: String(N) });
  if (!(bits >= 2 && bits <= 8) || !Number.isInteger(bits)) fail(node, 'attribute "bits"', { expected: '2..8', actual: String(bits) });
  if (!(blockSize >= 16) || (blockSize & (blockSize - 1)) !== 0) {
    fail(node, 'attribute "block_size"', { expected: 'a power of two >= 16', actual: String(blockSize) });
  }
  const kBlocks = Math.ceil(K / blockSize);
  return { K, N, bits, blockSize, kBlocks, blob: (blockSize * bits) / 8 };
}

/** The dequantized weight, `w[n * K + k]`, float32 (see the module TSDoc for the formula). */
export function dequantizeNBits(node: KernelNode, c: Cfg, inputs: readonly (Tensor | null)[]): Float32Array {
  const { K, N, bits, blockSize, kBlocks, blob } = c;
  const b = input(node, inputs, 1, ['uint8'] as const);
  if (b.dims.length !== 3 || b.dims[0] !== N || b.dims[1] !== kBlocks || b.dims[2] !== blob) {
    fail(node, 'B shape', { inputIndex: 1, expected: `[${N}, ${kBlocks}, ${blob}] (N, k_blocks, blob_size)`, actual: `[${b.dims.join(', ')}]` });
  }
  const scales = input(node, inputs, 2, ['float32'] as const);
  expectSize(node, scales, 2, N * kBlocks, 'scales element count (N * k_blocks)');
  const zp = optionalInput(node, inputs, 3, ['uint8', 'float32'] as const);
  const zpBytes = Math.ceil((kBlocks * bits) / 8);
  if (zp) expectSize(node, zp, 3, zp.dtype === 'uint8' ? N * zpBytes : N * kBlocks, zp.dtype === 'uint8' ? 'packed zero_points byte count (N * ceil(k_blocks * bits / 8))' : 'zero_points element count (N * k_blocks)');
  const gIdx = optionalInput(node, inputs, 4, ['int32'] as const);
  if (gIdx) {
    expectSize(node, gIdx, 4, K, 'g_idx element count (K)');
    for (let k = 0; k < K; k++) {
      const g = gIdx.data[k];
      if (g < 0 || g >= kBlocks) fail(node, `g_idx[${k}]`, { inputIndex: 4, expected: `0..${kBlocks - 1}`, actual: String(g) });
    }
  }
  const dflt = 1 << (bits - 1);
  const S = scales.data;
  const B = b.data;
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = gIdx ? gIdx.data[k] : Math.floor(k / blockSize);
      const q = unpackCode(B, (n * kBlocks + Math.floor(k / blockSize)) * blob, k % blockSize, bits);
      const s = S[n * kBlocks + g];
      let v: number;
      if (!zp) v = (q - dflt) * s;
      else if (zp.dtype === 'uint8') v = (q - unpackCode(zp.data, n * zpBytes, g, bits)) * s;
      else v = Math.fround(q - zp.data[n * kBlocks + g]) * s;
      w[n * K + k] = v; // the store rounds to float32
    }
  }
  return w;
}

/** True when every input `dequantizeNBits` reads is a session constant (so the weight is dequantized once). */
function weightIsConstant(node: KernelNode): boolean {
  const c = node.constants;
  if (!c || !c.has(1) || !c.has(2)) return false;
  return [3, 4].every((i) => node.inputTypes[i] === null || node.inputTypes[i] === undefined || c.has(i));
}

function create(node: KernelNode): KernelInstance {
  const c = config(node);
  const fixed = weightIsConstant(node) ? node.constants! : undefined;
  const packed = fixed ? dequantizeNBits(node, c, [null, ...[1, 2, 3, 4].map((i) => fixed.get(i) ?? null)]) : undefined;
  return {
    run(inputs, ctx) {
      const a = input(node, inputs, 0, ['float32'] as const);
      const { K, N } = c;
      if (a.dims.length < 1 || a.dims[a.dims.length - 1] !== K) {
        fail(node, 'A shape', { inputIndex: 0, expected: `[..., ${K}] (K = ${K})`, actual: `[${a.dims.join(', ')}]` });
      }
      const w = packed ?? dequantizeNBits(node, c, inputs);
      const bias = optionalInput(node, inputs, 5, ['float32'] as const);
      if (bias) expectSize(node, bias, 5, N, 'bias element count (N)');
      const M = a.data.length / K;
      const y = ctx.alloc('float32', [...a.dims.slice(0, -1), N]);
      const A = a.data;
      const Y = y.data;
      const fr = Math.fround;
      for (let m = 0; m < M; m++) {
        const aBase = m * K;
        for (let n = 0; n < N; n++) {
          const wBase = n * K;
          let acc = 0;
          for (let k = 0; k < K; k++) acc = fr(acc + fr(A[aBase + k] * w[wBase + k]));
          Y[m * N + n] = bias ? fr(acc + bias.data[n]) : acc;
        }
      }
      return [y];
    },
  };
}

export const MATMUL_NBITS_KERNELS: KernelVariant[] = [{
  key: `${MS_DOMAIN}.MatMulNBits:*`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}];
