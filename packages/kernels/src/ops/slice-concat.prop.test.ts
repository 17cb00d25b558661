/**
 * Slice, Concat and Split copy contiguous runs with TypedArray `set` where the layout allows it; these properties
 * check them against the element-wise definitions (one multi-index at a time) for random shapes, axes, starts, ends
 * and steps (negative, out of range, INT64 extremes) over typed, BigInt and string storage, on output buffers that
 * start poisoned (the variants declare `writesAllOutputs`, so every element must be written). float32 values are
 * compared by bit pattern, with NaN payloads and -0 among them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode, RunContext } from '../contract.js';
import { KernelRegistry } from '../registry.js';
import { Tensor, allocData, sizeOf, type DType, type TensorData } from '../tensor.js';
import { OPS_KERNELS } from './index.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

/** Fresh buffers filled with a value no test tensor holds, so an unwritten element shows. */
const poisoned: RunContext = {
  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    const data = allocData(dtype, sizeOf(dims)) as TensorData;
    if (Array.isArray(data)) data.fill('poison');
    else if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(7777n);
    else (data as Uint8Array).fill(251);
    return new Tensor(dtype, data as never, dims) as Tensor<D>;
  },
};

function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, opset = 21, outputCount = 1): Tensor[] {
  const node: KernelNode = {
    name: `${opType}_runs`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount,
  };
  const v = registry.resolve(`${opType}:*`);
  expect(v.writesAllOutputs).toBe(true);
  return v.create(node).run(inputs, poisoned) as Tensor[];
}

const DTYPES: DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string'];

/** A tensor of `dtype` whose element i is distinct from its neighbours (bool alternates; -0 kept for float32). */
function tensorOf(dtype: DType, dims: readonly number[], seed: number): Tensor {
  const n = sizeOf(dims);
  const v = (i: number) => (i * 37 + seed) % 101;
  let data: unknown;
  if (dtype === 'string') data = Array.from({ length: n }, (_, i) => `s${v(i)}`);
  else if (dtype === 'int64' || dtype === 'uint64') data = Array.from({ length: n }, (_, i) => BigInt(v(i)) * 1000000007n);
  else if (dtype === 'bool') data = Array.from({ length: n }, (_, i) => v(i) % 2);
  else if (dtype === 'float32') data = Array.from({ length: n }, (_, i) => (v(i) === 0 ? -0 : v(i) - 50.25));
  else if (dtype === 'float64') data = Array.from({ length: n }, (_, i) => v(i) / 7);
  else if (dtype === 'int8' || dtype === 'int16' || dtype === 'int32') data = Array.from({ length: n }, (_, i) => v(i) - 50);
  else data = Array.from({ length: n }, (_, i) => v(i));
  const t = new Tensor(dtype, data as never, dims);
  // A NaN with a payload: the copies must keep its bits.
  if (dtype === 'float32') for (let i = 5; i < n; i += 17) new Uint32Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, n)[i] = 0x7fa00001;
  return t;
}

const stridesOf = (dims: readonly number[]) => {
  const s = new Array<number>(dims.length).fill(1);
  for (let a = dims.length - 2; a >= 0; a--) s[a] = s[a + 1] * dims[a + 1];
  return s;
};
/** Multi-index of flat position `k` in `dims`. */
const unflat = (k: number, dims: readonly number[]) => {
  const idx = new Array<number>(dims.length);
  for (let a = dims.length - 1; a >= 0; a--) { idx[a] = k % dims[a]; k = Math.floor(k / dims[a]); }
  return idx;
};
/** Elements as comparable values (float32 by bit pattern, so NaN payloads count). */
const items = (t: Tensor): unknown[] =>
  t.dtype === 'float32' ? Array.from(new Uint32Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, t.data.length)) : Array.from(t.data as ArrayLike<unknown>);

/** ONNX Slice for one axis: the input positions taken, in output order (python range after clamping). */
function positions(d: number, start: number, end: number, step: number): number[] {
  let b = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) { b = Math.min(Math.max(b, 0), d); e = Math.min(Math.max(e, 0), d); }
  else { b = Math.min(Math.max(b, 0), d - 1); e = Math.min(Math.max(e, -1), d - 1); }
  const out: number[] = [];
  for (let i = b; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

const BIG = 2 ** 53 - 1;
const dimsArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 24 })), { minLength: 1, maxLength: 4 })
  .filter((d) => sizeOf(d) <= 2000);
const boundArb = fc.oneof(fc.integer({ min: -30, max: 30 }), fc.constantFrom(BIG, -BIG));
const stepArb = fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }).filter((s) => s !== 0) });

describe('Slice copies runs exactly as the element-wise definition', () => {
  it('random shapes, axes, starts/ends (negative, clamped), steps, dtypes', () => {
    fc.assert(fc.property(
      dimsArb.chain((dims) => fc.tuple(
        fc.constant(dims),
        fc.subarray(dims.map((_, a) => a), { minLength: 0 }).chain((axes) => fc.shuffledSubarray(axes, { minLength: axes.length, maxLength: axes.length })),
        fc.constantFrom(...DTYPES), fc.boolean(), fc.nat(100),
      )).chain(([dims, axes, dtype, negAxes, seed]) => fc.tuple(
        fc.constant({ dims, axes, dtype, negAxes, seed }),
        fc.array(fc.tuple(boundArb, boundArb, stepArb), { minLength: axes.length, maxLength: axes.length }),
      )),
      ([{ dims, axes, dtype, negAxes, seed }, spec]) => {
        const x = tensorOf(dtype, dims, seed);
        const i64 = (xs: number[]) => new Tensor('int64', xs.map((v) => BigInt(v)), [xs.length]);
        const [y] = run('Slice', [x, i64(spec.map((s) => s[0])), i64(spec.map((s) => s[1])),
          i64(axes.map((a) => (negAxes ? a - dims.length : a))), i64(spec.map((s) => s[2]))], {}, 13);
        const taken = dims.map((d, a) => {
          const j = axes.indexOf(a);
          return j < 0 ? Array.from({ length: d }, (_, i) => i) : positions(d, spec[j][0], spec[j][1], spec[j][2]);
        });
        const outDims = taken.map((p) => p.length);
        expect(y.dims).toEqual(outDims);
        const xs = stridesOf(dims);
        const X = items(x);
        const want = Array.from({ length: sizeOf(outDims) }, (_, k) => X[unflat(k, outDims).reduce((p, i, a) => p + taken[a][i] * xs[a], 0)]);
        expect(items(y)).toEqual(want);
      },
    ), { numRuns: 400 });
  });
});

describe('Concat and Split copy runs exactly as the element-wise definition', () => {
  const partsArb = fc.tuple(dimsArb, fc.nat(), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(...DTYPES), fc.nat(100))
    .map(([dims, a, sizes, dtype, seed]) => {
      const axis = a % dims.length;
      return { axis, sizes, dtype, parts: sizes.map((s, k) => tensorOf(dtype, dims.map((d, i) => (i === axis ? s : d)), seed + k * 13)) };
    });

  it('Concat: out[.., j, ..] is part k at j - (sizes before k)', () => {
    fc.assert(fc.property(partsArb, fc.boolean(), ({ axis, sizes, parts }, neg) => {
      const [y] = run('Concat', parts, { axis: neg ? axis - parts[0].dims.length : axis });
      const outDims = [...parts[0].dims];
      outDims[axis] = sizes.reduce((p, s) => p + s, 0);
      expect(y.dims).toEqual(outDims);
      const P = parts.map(items);
      const PS = parts.map((t) => stridesOf(t.dims));
      const want = Array.from({ length: sizeOf(outDims) }, (_, k) => {
        const idx = unflat(k, outDims);
        let j = idx[axis];
        let p = 0;
        while (j >= sizes[p]) { j -= sizes[p]; p++; }
        idx[axis] = j;
        return P[p][idx.reduce((q, i, a) => q + i * PS[p][a], 0)];
      });
      expect(items(y)).toEqual(want);
    }), { numRuns: 300 });
  });

  it('Split: part k at j is x at j + (sizes before k)', () => {
    fc.assert(fc.property(partsArb, ({ axis, sizes, dtype, parts }) => {
      const dims = [...parts[0].dims];
      dims[axis] = sizes.reduce((p, s) => p + s, 0);
      const x = tensorOf(dtype, dims, 5);
      const xsd = stridesOf(dims);
      const X = items(x);
      const pieces = run('Split', [x, new Tensor('int64', sizes.map((s) => BigInt(s)), [sizes.length])], { axis }, 18, sizes.length);
      let before = 0;
      pieces.forEach((piece, k) => {
        expect(piece.dims).toEqual(parts[k].dims);
        const want = Array.from({ length: sizeOf(piece.dims) }, (_, q) => {
          const idx = unflat(q, piece.dims);
          idx[axis] += before;
          return X[idx.reduce((p, i, a) => p + i * xsd[a], 0)];
        });
        expect(items(piece)).toEqual(want);
        before += sizes[k];
      });
    }), { numRuns: 300 });
  });
});
