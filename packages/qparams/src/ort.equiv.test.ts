/**
 * quantize/dequantize against onnxruntime-node's QuantizeLinear/DequantizeLinear on random inputs the ONNX node
 * tests do not cover: exact .5 ties, saturation, +-Inf, NaN, random scales (some powers of two, so ties are exact) and
 * zero points, per-tensor / per-axis / blocked (including a block size that does not divide the axis), int16,
 * int4, float8 with and without saturate. Results must agree bit for bit. Float8 and int4 tensors cannot cross the
 * node binding, so those run as QuantizeLinear -> DequantizeLinear chains and compare the dequantized floats.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dequantize } from './dequantize.js';
import type { QuantDType } from './dtypes.js';
import { quantize } from './quantize.js';
import { DT } from './test-support/onnx-case.js';
import { ort, ortSession } from './test-support/ort-model.js';

const RUNS = { numRuns: 40 };

/** A positive float32 scale; a third of the time an exact power of two. */
const scaleArb = fc.oneof(
  fc.float({ min: Math.fround(1e-3), max: Math.fround(1e3), noNaN: true }),
  fc.integer({ min: -10, max: 10 }).map((e) => 2 ** e),
);

/** x values for a given scale: plain floats, exact ties (k + 0.5) * scale, huge values and infinities. */
function xArb(n: number, scale: number): fc.Arbitrary<Float32Array> {
  const v = fc.oneof(
    fc.float({ min: -1e5, max: 1e5, noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -300, max: 300 }).map((k) => (k + 0.5) * scale),
    fc.constantFrom(Infinity, -Infinity, 3e38, -3e38, 0, -0, NaN),
  );
  return fc.array(v, { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));
}

function tensor(type: string, data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(type as 'float32', data as Float32Array, [...dims]);
}

function same(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(Array.from(got, (v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(Array.from(want, (v) => (Number.isNaN(v) ? 'NaN' : v)));
}

interface IntCase {
  readonly name: string; readonly dtype: QuantDType; readonly elem: number; readonly ortType: string; readonly opset: number;
  readonly dims: readonly number[]; readonly sDims: readonly number[]; readonly axis?: number; readonly blockSize?: number;
  readonly lo: number; readonly hi: number; readonly Arr: { from(a: ArrayLike<number>): ArrayLike<number> };
}

const INT_CASES: readonly IntCase[] = [
  { name: 'uint8 per-tensor (opset 13)', dtype: 'uint8', elem: DT.UINT8, ortType: 'uint8', opset: 13, dims: [16], sDims: [], lo: 0, hi: 255, Arr: Uint8Array },
  { name: 'int8 per-axis axis 1 (opset 13)', dtype: 'int8', elem: DT.INT8, ortType: 'int8', opset: 13, dims: [3, 4], sDims: [4], axis: 1, lo: -128, hi: 127, Arr: Int8Array },
  { name: 'int8 per-axis axis -2 (opset 13)', dtype: 'int8', elem: DT.INT8, ortType: 'int8', opset: 13, dims: [3, 4], sDims: [3], axis: -2, lo: -128, hi: 127, Arr: Int8Array },
  { name: 'int16 per-tensor (opset 21)', dtype: 'int16', elem: DT.INT16, ortType: 'int16', opset: 21, dims: [16], sDims: [], lo: -32768, hi: 32767, Arr: Int16Array },
  { name: 'uint16 per-tensor (opset 21)', dtype: 'uint16', elem: DT.UINT16, ortType: 'uint16', opset: 21, dims: [16], sDims: [], lo: 0, hi: 65535, Arr: Uint16Array },
  { name: 'int8 blocked axis 1 block 2 (opset 21)', dtype: 'int8', elem: DT.INT8, ortType: 'int8', opset: 21, dims: [2, 4], sDims: [2, 2], axis: 1, blockSize: 2, lo: -128, hi: 127, Arr: Int8Array },
  { name: 'uint8 blocked axis 1 block 3 of 4 (shorter last block, opset 21)', dtype: 'uint8', elem: DT.UINT8, ortType: 'uint8', opset: 21, dims: [2, 4], sDims: [2, 2], axis: 1, blockSize: 3, lo: 0, hi: 255, Arr: Uint8Array },
];

for (const c of INT_CASES) {
  describe(`QuantizeLinear / DequantizeLinear ${c.name} vs onnxruntime-node`, () => {
    let q: ort.InferenceSession;
    let dq: ort.InferenceSession;
    const ints = { ...(c.axis !== undefined ? { axis: c.axis } : {}), ...(c.blockSize ? { block_size: c.blockSize } : {}) };
    beforeAll(async () => {
      const io = [{ name: 's', elemType: DT.FLOAT, dims: c.sDims }, { name: 'z', elemType: c.elem, dims: c.sDims }];
      q = await ortSession(c.opset, [{ opType: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], ints }],
        [{ name: 'x', elemType: DT.FLOAT, dims: c.dims }, ...io], [{ name: 'y', elemType: c.elem, dims: c.dims }]);
      dq = await ortSession(c.opset, [{ opType: 'DequantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], ints }],
        [{ name: 'x', elemType: c.elem, dims: c.dims }, ...io], [{ name: 'y', elemType: DT.FLOAT, dims: c.dims }]);
    });
    const n = c.dims.reduce((a, b) => a * b, 1);
    const m = c.sDims.reduce((a, b) => a * b, 1);
    const arb = fc.tuple(fc.array(scaleArb, { minLength: m, maxLength: m }), fc.array(fc.integer({ min: c.lo, max: c.hi }), { minLength: m, maxLength: m }))
      .chain(([s, z]) => fc.tuple(fc.constant(s), fc.constant(z), xArb(n, s[0]), fc.array(fc.integer({ min: c.lo, max: c.hi }), { minLength: n, maxLength: n })));
    it('quantize and dequantize agree bit for bit', async () => {
      await fc.assert(fc.asyncProperty(arb, async ([s, z, x, qx]) => {
        const params = { dtype: c.dtype, scale: s, zeroPoint: z, paramDims: c.sDims, axis: c.axis ?? 1, blockSize: c.blockSize ?? 0 };
        const feedsQ = { x: tensor('float32', x, c.dims), s: tensor('float32', Float32Array.from(s), c.sDims), z: tensor(c.ortType, c.Arr.from(z), c.sDims) };
        const want = (await q.run(feedsQ)).y.data as ArrayLike<number>;
        same(quantize(x, c.dims, params), want);
        const feedsD = { x: tensor(c.ortType, c.Arr.from(qx), c.dims), s: feedsQ.s, z: feedsQ.z };
        same(dequantize(qx, c.dims, params), (await dq.run(feedsD)).y.data as Float32Array);
      }), RUNS);
    });
  });
}

interface ChainCase { readonly name: string; readonly dtype: QuantDType; readonly elem: number; readonly opset: number; readonly saturate?: number; readonly zpRaw: Uint8Array; readonly dims: readonly number[]; readonly sDims: readonly number[]; readonly axis?: number; readonly blockSize?: number }

const CHAIN_CASES: readonly ChainCase[] = [
  { name: 'float8e4m3fn saturate', dtype: 'float8e4m3fn', elem: DT.FLOAT8E4M3FN, opset: 19, zpRaw: Uint8Array.of(0), dims: [16], sDims: [] },
  { name: 'float8e4m3fn saturate=0', dtype: 'float8e4m3fn', elem: DT.FLOAT8E4M3FN, opset: 19, saturate: 0, zpRaw: Uint8Array.of(0), dims: [16], sDims: [] },
  { name: 'float8e5m2 saturate', dtype: 'float8e5m2', elem: DT.FLOAT8E5M2, opset: 19, zpRaw: Uint8Array.of(0), dims: [16], sDims: [] },
  { name: 'float8e5m2 saturate=0', dtype: 'float8e5m2', elem: DT.FLOAT8E5M2, opset: 19, saturate: 0, zpRaw: Uint8Array.of(0), dims: [16], sDims: [] },
  { name: 'int4 per-axis (zero points -3, 5)', dtype: 'int4', elem: DT.INT4, opset: 21, zpRaw: Uint8Array.of(0x5d), dims: [2, 4], sDims: [2], axis: 0 },
  { name: 'uint4 blocked block 2 (zero points 1, 15, 8, 0)', dtype: 'uint4', elem: DT.UINT4, opset: 21, zpRaw: Uint8Array.of(0xf1, 0x08), dims: [2, 4], sDims: [2, 2], axis: 1, blockSize: 2 },
];

function zpValues(c: ChainCase, m: number): number[] {
  if (c.dtype === 'int4' || c.dtype === 'uint4') {
    const out: number[] = [];
    for (let i = 0; i < m; i++) {
      const v = (c.zpRaw[i >> 1] >> ((i & 1) * 4)) & 15;
      out.push(c.dtype === 'int4' && v > 7 ? v - 16 : v);
    }
    return out;
  }
  return Array.from(c.zpRaw);
}

for (const c of CHAIN_CASES) {
  describe(`QuantizeLinear -> DequantizeLinear ${c.name} vs onnxruntime-node`, () => {
    let chain: ort.InferenceSession;
    const ints = { ...(c.axis !== undefined ? { axis: c.axis } : {}), ...(c.blockSize ? { block_size: c.blockSize } : {}) };
    beforeAll(async () => {
      chain = await ortSession(c.opset, [
        { opType: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'], ints: { ...ints, ...(c.saturate !== undefined ? { saturate: c.saturate } : {}) } },
        { opType: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'], ints },
      ], [{ name: 'x', elemType: DT.FLOAT, dims: c.dims }, { name: 's', elemType: DT.FLOAT, dims: c.sDims }],
      [{ name: 'y', elemType: DT.FLOAT, dims: c.dims }],
      [{ name: 'z', dataType: c.elem, dims: c.sDims, raw: c.zpRaw }]);
    });
    const n = c.dims.reduce((a, b) => a * b, 1);
    const m = c.sDims.reduce((a, b) => a * b, 1);
    it('dequantize(quantize(x)) agrees bit for bit', async () => {
      const arb = fc.array(scaleArb, { minLength: m, maxLength: m }).chain((s) => fc.tuple(fc.constant(s), xArb(n, s[0])));
      await fc.assert(fc.asyncProperty(arb, async ([s, x]) => {
        const params = { dtype: c.dtype, scale: s, zeroPoint: zpValues(c, m), paramDims: c.sDims, axis: c.axis ?? 1, blockSize: c.blockSize ?? 0 };
        const want = (await chain.run({ x: tensor('float32', x, c.dims), s: tensor('float32', Float32Array.from(s), c.sDims) })).y.data as Float32Array;
        const q = quantize(x, c.dims, params, { saturate: (c.saturate ?? 1) !== 0 });
        const got = dequantize(q, c.dims, params);
        const max = c.saturate === 0 ? FLOAT8_MAX[c.dtype] : undefined;
        if (max !== undefined) {
          // Past the float8 range with saturate=0 the ONNX reference conversion gives NaN for e4m3fn (e.g. -480:
          // exponent field 15, mantissa 7 = the NaN pattern) and +-Inf for e5m2 (it has infinities). onnxruntime
          // instead saturates to +-max (e4m3fn) or gives NaN (e5m2). Lowbit follows the spec, so exactly those
          // elements may differ; everywhere else the results must be bit-identical.
          const keep: number[] = [];
          got.forEach((g, i) => {
            const past = Number.isFinite(x[i]) && Math.abs(Math.fround(x[i] / s[0])) > max;
            const ortOther = Number.isNaN(want[i]) || Math.abs(want[i]) === Math.fround(max * s[0]);
            const deviation = past && !Number.isFinite(g) && ortOther;
            if (deviation) expect(c.dtype === 'float8e4m3fn' ? Number.isNaN(g) : Math.abs(g) === Infinity).toBe(true);
            else keep.push(i);
          });
          same(Float32Array.from(keep, (i) => got[i]), Float32Array.from(keep, (i) => want[i]));
        } else same(got, want);
      }), RUNS);
    });
  });
}

/** Largest finite value of each float8 type (e4m3fn 1.75 * 2^8, e5m2 1.75 * 2^15). */
const FLOAT8_MAX: Readonly<Record<string, number>> = { float8e4m3fn: 448, float8e5m2: 57344 };

describe('float8e4m3fn saturate=0 follows the ONNX reference where onnxruntime saturates', () => {
  it('-1.875 / 2^-8 = -480 is past 448: NaN, not -448', () => {
    // 480 = 1.875 * 2^8: biased exponent 8 + 7 = 15, mantissa 0.875 = 0b111 -> bits S.1111.111, e4m3fn's NaN.
    const q = quantize(Float32Array.of(-1.875, 1.75), [2], { dtype: 'float8e4m3fn', scale: [0.00390625], zeroPoint: [0], paramDims: [], axis: 0, blockSize: 0 }, { saturate: false });
    const y = dequantize(q, [2], { dtype: 'float8e4m3fn', scale: [0.00390625], zeroPoint: [0], paramDims: [], axis: 0, blockSize: 0 });
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(1.75); // 448 * 2^-8, the largest finite value, stays finite
  });
});

describe('DequantizeLinear int32 (no zero point) per-axis vs onnxruntime-node', () => {
  let dq: ort.InferenceSession;
  beforeAll(async () => {
    dq = await ortSession(13, [{ opType: 'DequantizeLinear', inputs: ['x', 's'], outputs: ['y'], ints: { axis: 0 } }],
      [{ name: 'x', elemType: DT.INT32, dims: [2, 3] }, { name: 's', elemType: DT.FLOAT, dims: [2] }], [{ name: 'y', elemType: DT.FLOAT, dims: [2, 3] }]);
  });
  it('agrees bit for bit, including values beyond 2^24', async () => {
    const x = fc.array(fc.oneof(fc.integer(), fc.integer({ min: -1000, max: 1000 })), { minLength: 6, maxLength: 6 });
    await fc.assert(fc.asyncProperty(x, fc.array(scaleArb, { minLength: 2, maxLength: 2 }), async (xs, s) => {
      const want = (await dq.run({ x: tensor('int32', Int32Array.from(xs), [2, 3]), s: tensor('float32', Float32Array.from(s), [2]) })).y.data as Float32Array;
      same(dequantize(Int32Array.from(xs), [2, 3], { dtype: 'int32', scale: s, axis: 0 }), want);
    }), RUNS);
  });
});
