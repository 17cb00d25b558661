/**
 * com.microsoft MatMulNBits against onnxruntime-node (CPU EP, accuracy_level unset = float32 compute), fast-check
 * over K, N, batch shape, bits (2, 4, 8), block size (16..128), zero points (none = default, packed uint8, float32),
 * bias and random padding codes in the last block.
 *
 * Tolerance, per output element: |lowbit - ort| <= 2 * (K + 4) * 2^-24 * (sum_k |a_k| * (|w_k| + z_k) + |bias|) + 1e-37,
 * z_k = 0 for integer zero points and 2 |zp * scale| of k's block for float ones.
 * Both sides dequantize the same integer codes with the same float32 scales (at most one rounding per weight, two if
 * a runtime forms `q * s - zp * s`) and then sum K float32 products in some order (onnxruntime's MLAS SGEMM blocks
 * and vectorizes; this reference sums k ascending). The classic bound for a float sum of K terms in any order is
 * `(K - 1) * u * sum |terms|` with u = 2^-24, so two such sums differ by at most twice that, plus the weights' and the
 * bias' roundings (the +4). onnxruntime applies a float zero point as `q * s - zp * s` (measured: a K = 1 case
 * differs by 1e-6 relative where q is close to zp), whose rounding error scales with |zp * s|, hence z_k. This is a bound, not a fit: it cannot hide a wrong code, scale or zero point, which
 * moves an element by about |a_k| * scale, far above it.
 */
import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelNode } from '../contract.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { singleNodeModel } from '../test-support/single-node-model.js';
import { dequantizeNBits, MATMUL_NBITS_KERNELS, MS_DOMAIN } from './matmul-nbits.js';
import { packCodes, unpackCode } from './nbits.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  readonly lead: number[];
  readonly K: number;
  readonly N: number;
  readonly bits: number;
  readonly blockSize: number;
  readonly zp: 'none' | 'packed' | 'float';
  readonly bias: boolean;
  readonly seed: number;
}

function build(c: Case): { inputs: (Tensor | null)[]; attrs: Record<string, number> } {
  const r = lcg(c.seed);
  const kBlocks = Math.ceil(c.K / c.blockSize);
  const levels = 1 << c.bits;
  const codes = Array.from({ length: c.N * kBlocks * c.blockSize }, () => Math.floor(r() * levels));
  // Pack block by block (each block's blob is its own bit stream).
  const blob = (c.blockSize * c.bits) / 8;
  const B = new Uint8Array(c.N * kBlocks * blob);
  for (let i = 0; i < c.N * kBlocks; i++) B.set(packCodes(codes.slice(i * c.blockSize, (i + 1) * c.blockSize), c.bits), i * blob);
  const scales = Float32Array.from({ length: c.N * kBlocks }, () => 0.01 + r() * 0.1);
  let zp: Tensor | null = null;
  if (c.zp === 'packed') {
    const per = Math.ceil((kBlocks * c.bits) / 8);
    const Z = new Uint8Array(c.N * per);
    for (let n = 0; n < c.N; n++) Z.set(packCodes(Array.from({ length: kBlocks }, () => Math.floor(r() * levels)), c.bits), n * per);
    zp = new Tensor('uint8', Z, [c.N, per]);
  } else if (c.zp === 'float') {
    zp = new Tensor('float32', Float32Array.from({ length: c.N * kBlocks }, () => r() * (levels - 1)), [c.N, kBlocks]);
  }
  const M = c.lead.reduce((p, d) => p * d, 1);
  const A = new Tensor('float32', Float32Array.from({ length: M * c.K }, () => r() * 2 - 1), [...c.lead, c.K]);
  const bias = c.bias ? new Tensor('float32', Float32Array.from({ length: c.N }, () => r() - 0.5), [c.N]) : null;
  return {
    inputs: [A, new Tensor('uint8', B, [c.N, kBlocks, blob]), new Tensor('float32', scales, [c.N, kBlocks]), zp, null, bias],
    attrs: { K: c.K, N: c.N, bits: c.bits, block_size: c.blockSize },
  };
}

function nodeOf(attrs: Record<string, number>, inputs: readonly (Tensor | null)[]): KernelNode {
  return {
    name: 'nbits', opType: 'MatMulNBits', domain: MS_DOMAIN, opset: 1, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: 1,
  };
}

async function ortRun(attrs: Record<string, number>, inputs: readonly (Tensor | null)[]): Promise<ort.Tensor> {
  const names = inputs.map((t, i) => (t ? `x${i}` : ''));
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const model = singleNodeModel({
    opType: 'MatMulNBits', opset: 21, domain: MS_DOMAIN, attrs,
    // B, scales and zero points are initializers (onnxruntime pre-packs them; its 8-bit path requires it).
    inputs: names.map((n, i) => (n ? { name: n, dtype: inputs[i]!.dtype, dims: inputs[i]!.dims, value: i >= 1 && i <= 3 ? inputs[i]! : undefined } : null)),
    outputs: [{ name: 'y', dtype: 'float32' }],
  });
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => { if (t && (i === 0 || i > 3)) feeds[`x${i}`] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]); });
  const out = (await s.run(feeds)).y;
  await s.release();
  return out;
}

/** The first element outside the stated bound, or undefined. */
function check(c: Case, inputs: readonly (Tensor | null)[], attrs: Record<string, number>, actual: Tensor, expected: ort.Tensor): string | undefined {
  if (JSON.stringify(actual.dims) !== JSON.stringify(expected.dims)) return `dims ${JSON.stringify(actual.dims)} vs ${JSON.stringify(expected.dims)}`;
  const node = nodeOf(attrs, inputs);
  const w = dequantizeNBits(node, { K: c.K, N: c.N, bits: c.bits, blockSize: c.blockSize, kBlocks: Math.ceil(c.K / c.blockSize), blob: (c.blockSize * c.bits) / 8 }, inputs);
  const A = inputs[0]!.data as Float32Array;
  const bias = inputs[5]?.data as Float32Array | undefined;
  const S = inputs[2]!.data as Float32Array;
  const zpf = inputs[3]?.dtype === 'float32' ? inputs[3].data as Float32Array : undefined;
  const e = expected.data as Float32Array;
  const y = actual.data as Float32Array;
  for (let m = 0; m < A.length / c.K; m++) for (let n = 0; n < c.N; n++) {
    let mag = bias ? Math.abs(bias[n]) : 0;
    for (let k = 0; k < c.K; k++) {
      // A float zero point may be applied as q * s - zp * s: its cancellation error scales with |zp * s|.
      const g = n * Math.ceil(c.K / c.blockSize) + Math.floor(k / c.blockSize);
      const zs = zpf ? 2 * Math.abs(zpf[g] * S[g]) : 0;
      mag += Math.abs(A[m * c.K + k]) * (Math.abs(w[n * c.K + k]) + zs);
    }
    const tol = 2 * (c.K + 4) * 2 ** -24 * mag + 1e-37;
    const i = m * c.N + n;
    if (!(Math.abs(y[i] - e[i]) <= tol)) return `Y[${m}, ${n}] = ${y[i]}, onnxruntime ${e[i]}, |diff| ${Math.abs(y[i] - e[i])} > ${tol}`;
  }
  return undefined;
}

const arbCase: fc.Arbitrary<Case> = fc.record({
  lead: fc.oneof(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 })),
  K: fc.integer({ min: 1, max: 300 }),
  N: fc.integer({ min: 1, max: 9 }),
  bits: fc.constantFrom(2, 4, 8),
  blockSize: fc.constantFrom(16, 32, 64, 128),
  zp: fc.constantFrom('none' as const, 'packed' as const, 'float' as const),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
}).map((c) => (c.bits === 8 && c.zp === 'float' ? { ...c, zp: 'packed' as const } : c)); // onnxruntime 1.30: no 8-bit float zero points


describe('com.microsoft.MatMulNBits vs onnxruntime-node', () => {
  it('agrees within the float-sum bound over shapes, bits 2/4/8, block sizes, zero points and bias', async () => {
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { inputs, attrs } = build(c);
      const expected = await ortRun(attrs, inputs);
      const actual = MATMUL_NBITS_KERNELS[0].create(nodeOf(attrs, inputs)).run(inputs, freshRunContext)[0]!;
      const bad = check(c, inputs, attrs, actual, expected);
      expect(bad, JSON.stringify(c)).toBeUndefined();
    }), { numRuns: 80 });
  });

  // Default and float zero points only: with g_idx, onnxruntime 1.30 ignores packed uint8 zero points and uses
  // 2^(bits-1) (measured: K = 1, q = 3, zp = 4 gives onnxruntime a * (3 - 8) * s); this reference applies them.
  it('agrees with g_idx (act-order groups: the scale/zero point of each block serve a shuffled set of rows)', async () => {
    await fc.assert(fc.asyncProperty(arbCase.filter((c) => c.bits === 4 && c.zp !== 'packed'), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (c, shuffle) => {
      const { inputs, attrs } = build(c);
      const r = lcg(shuffle);
      const g = Int32Array.from({ length: c.K }, (_, k) => Math.floor(k / c.blockSize));
      for (let k = c.K - 1; k > 0; k--) { const j = Math.floor(r() * (k + 1)); [g[k], g[j]] = [g[j], g[k]]; }
      const withG = [...inputs.slice(0, 4), new Tensor('int32', g, [c.K]), inputs[5]];
      const expected = await ortRun(attrs, withG);
      const actual = MATMUL_NBITS_KERNELS[0].create(nodeOf(attrs, withG)).run(withG, freshRunContext)[0]!;
      expect(check(c, withG, attrs, actual, expected), JSON.stringify(c)).toBeUndefined();
    }), { numRuns: 30 });
  });

  it('pre-dequantizes constant weights at create and gives the same result as dequantizing per run', async () => {
    const c: Case = { lead: [2, 3], K: 70, N: 5, bits: 4, blockSize: 32, zp: 'packed', bias: true, seed: 7 };
    const { inputs, attrs } = build(c);
    const constants = new Map([1, 2, 3].map((i) => [i, inputs[i]!] as const));
    const withConsts = MATMUL_NBITS_KERNELS[0].create({ ...nodeOf(attrs, inputs), constants }).run(inputs, freshRunContext)[0]!;
    const plain = MATMUL_NBITS_KERNELS[0].create(nodeOf(attrs, inputs)).run(inputs, freshRunContext)[0]!;
    expect(Array.from(withConsts.data as Float32Array)).toEqual(Array.from(plain.data as Float32Array));
    expect(check(c, inputs, attrs, withConsts, await ortRun(attrs, inputs))).toBeUndefined();
  });
});

describe('com.microsoft.MatMulNBits reference', () => {
  it('the TSDoc example: codes [3, 10], scale 0.5, default zero point 8, A = [[2, 3]] -> [[-2]]', () => {
    const B = new Uint8Array(8); // block_size 16 at 4 bits: 8 bytes, codes past K = 2 ignored
    B[0] = 0xa3;
    const inputs = [new Tensor('float32', [2, 3], [1, 2]), new Tensor('uint8', B, [1, 1, 8]), new Tensor('float32', [0.5], [1, 1])];
    const y = MATMUL_NBITS_KERNELS[0].create(nodeOf({ K: 2, N: 1, bits: 4, block_size: 16 }, inputs)).run(inputs, freshRunContext)[0]!;
    expect(y.dims).toEqual([1, 1]);
    expect(Array.from(y.data as Float32Array)).toEqual([-2]);
  });

  it('bit streams round-trip for every width 2..8 (codes straddling bytes included)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 8 }), fc.array(fc.nat(255), { minLength: 1, maxLength: 40 }), (bits, raw) => {
      const codes = raw.map((v) => v & ((1 << bits) - 1));
      const packed = packCodes(codes, bits);
      expect(codes.map((_, t) => unpackCode(packed, 0, t, bits))).toEqual(codes);
    }));
  });

  it('integral float zero points give the same result as the packed uint8 ones (every width 2..8)', () => {
    fc.assert(fc.property(arbCase, fc.integer({ min: 2, max: 8 }), (c0, bits) => {
      const c = { ...c0, bits, zp: 'packed' as const };
      const { inputs, attrs } = build(c);
      const kBlocks = Math.ceil(c.K / c.blockSize);
      const per = Math.ceil((kBlocks * bits) / 8);
      const Z = inputs[3]!.data as Uint8Array;
      const zf = Float32Array.from({ length: c.N * kBlocks }, (_, i) => unpackCode(Z, Math.floor(i / kBlocks) * per, i % kBlocks, bits));
      const asFloat = [...inputs.slice(0, 3), new Tensor('float32', zf, [c.N, kBlocks]), null, inputs[5]];
      const k = MATMUL_NBITS_KERNELS[0];
      const a = k.create(nodeOf(attrs, inputs)).run(inputs, freshRunContext)[0]!;
      const b = k.create(nodeOf(attrs, asFloat)).run(asFloat, freshRunContext)[0]!;
      expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    }), { numRuns: 50 });
  });

  it('g_idx picks each row\'s block for scale and zero point', () => {
    const K = 32;
    const codes = Array.from({ length: K }, (_, k) => k % 16);
    const B = packCodes(codes, 4); // two blocks of 16 codes, 8 bytes each
    const scales = new Tensor('float32', [1, 2], [1, 2]);
    const gIdx = new Tensor('int32', Int32Array.from({ length: K }, (_, k) => (k % 2)), [K]);
    const A = new Tensor('float32', Float32Array.from({ length: K }, (_, k) => (k === 3 ? 1 : 0)), [1, K]);
    const inputs = [A, new Tensor('uint8', B, [1, 2, 8]), scales, null, gIdx];
    const y = MATMUL_NBITS_KERNELS[0].create(nodeOf({ K, N: 1, bits: 4, block_size: 16 }, inputs)).run(inputs, freshRunContext)[0]!;
    expect(Array.from(y.data as Float32Array)).toEqual([(3 - 8) * 2]); // row 3 -> block 1 (scale 2)
  });

  it('says where on bad attributes and shapes', () => {
    const A = new Tensor('float32', [1, 2], [1, 2]);
    const k = MATMUL_NBITS_KERNELS[0];
    expect(() => k.create(nodeOf({ K: 2, N: 1, bits: 4, block_size: 24 }, [A]))).toThrow(/block_size.*power of two >= 16.*24/);
    expect(() => k.create(nodeOf({ K: 2, N: 1, bits: 9, block_size: 16 }, [A]))).toThrow(/bits.*2\.\.8.*9/);
    const inputs = [A, new Tensor('uint8', new Uint8Array(4), [1, 1, 4]), new Tensor('float32', [1], [1])];
    expect(() => k.create(nodeOf({ K: 2, N: 1, bits: 4, block_size: 16 }, inputs)).run(inputs, freshRunContext)).toThrow(/input\[1\]: B shape: expected \[1, 1, 8\]/);
    const badA = [new Tensor('float32', [1, 2, 3], [1, 3]), new Tensor('uint8', new Uint8Array(8), [1, 1, 8]), new Tensor('float32', [1], [1])];
    expect(() => k.create(nodeOf({ K: 2, N: 1, bits: 4, block_size: 16 }, badA)).run(badA, freshRunContext)).toThrow(/input\[0\]: A shape: expected \[\.\.\., 2\]/);
  });
});
