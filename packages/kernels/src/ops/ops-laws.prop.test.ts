/**
 * More laws, checked with fast-check: Softmax rows sum to 1 and LogSoftmax = log(Softmax); reducing over all axes
 * one at a time equals reducing over all at once; reversing Slice (step -1) twice is the identity; Pad then Slice of
 * the padded border gives back the input; TopK(k = n) is a sort; Resize by scale 1 (half_pixel) is the identity;
 * Gather with an index range equals Slice; ScatterND of Gather-ed rows into zeros restores those rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { KernelRegistry } from '../registry.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { OPS_KERNELS } from './index.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, opset = 21, outputCount = 1): Tensor[] {
  const node: KernelNode = {
    name: `${opType}_law`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount,
  };
  return registry.resolve(`${opType}:*`).create(node).run(inputs, freshRunContext) as Tensor[];
}

const i64 = (xs: readonly number[], dims?: number[]) => new Tensor('int64', xs.map((v) => BigInt(v)), dims ?? [xs.length]);
const f32s = (t: Tensor) => Array.from(t.data as Float32Array);
const dimsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
const tensorArb = (dims: number[], max = 10) => {
  const n = dims.reduce((p, d) => p * d, 1);
  return fc.array(fc.float({ min: -max, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n })
    .map((xs) => new Tensor('float32', xs, dims));
};
const withTensor = dimsArb.chain((d) => tensorArb(d));

describe('normalization laws', () => {
  it('Softmax rows sum to 1 and LogSoftmax is its log', () => {
    fc.assert(fc.property(withTensor, (x) => {
      const [s] = run('Softmax', [x], { axis: -1 });
      const [ls] = run('LogSoftmax', [x], { axis: -1 });
      const w = x.dims[x.dims.length - 1];
      const S = f32s(s);
      const LS = f32s(ls);
      for (let r = 0; r < S.length / w; r++) {
        const sum = S.slice(r * w, (r + 1) * w).reduce((p, v) => p + v, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
      S.forEach((v, i) => expect(Math.abs(Math.log(v) - LS[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(LS[i]))));
    }));
  });
});

describe('reduction laws', () => {
  it('ReduceSum/ReduceMax over all axes equal reducing axis by axis', () => {
    fc.assert(fc.property(withTensor, fc.constantFrom('ReduceSum', 'ReduceMax', 'ReduceMin'), (x, op) => {
      const [all] = run(op, [x, i64([])], {}, 18);
      let t: Tensor = x;
      for (let a = x.dims.length - 1; a >= 0; a--) [t] = run(op, [t, i64([a])], { keepdims: 1 }, 18);
      expect(t.dims).toEqual(all.dims);
      const [a0, b0] = [f32s(all)[0], f32s(t)[0]];
      expect(Math.abs(a0 - b0)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a0)));
    }));
  });
});

describe('indexing laws', () => {
  it('Slice with step -1 twice along an axis is the identity', () => {
    fc.assert(fc.property(withTensor.chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: 0, max: x.dims.length - 1 }))), ([x, axis]) => {
      const rev = (t: Tensor) => run('Slice', [t, i64([-1]), i64([-(2 ** 53)]), i64([axis]), i64([-1])])[0];
      const y = rev(rev(x));
      expect(y.dims).toEqual(x.dims);
      expect(f32s(y)).toEqual(f32s(x));
    }));
  });

  it('Pad (any mode) then Slice of the interior gives back the input', () => {
    fc.assert(fc.property(withTensor, fc.constantFrom('constant', 'reflect', 'edge', 'wrap'), fc.nat({ max: 2 }), (x, mode, p) => {
      const r = x.dims.length;
      const pads = new Array<number>(2 * r).fill(0).map((_, i) => (mode === 'reflect' ? Math.min(p, x.dims[i % r] - 1) : p));
      const [padded] = run('Pad', [x, i64(pads)], { mode });
      const [back] = run('Slice', [padded, i64(pads.slice(0, r)), i64(x.dims.map((d, a) => d + pads[a]))]);
      expect(f32s(back)).toEqual(f32s(x));
    }));
  });

  it('TopK with k = n along the last axis is a descending sort', () => {
    fc.assert(fc.property(withTensor, (x) => {
      const w = x.dims[x.dims.length - 1];
      const [v] = run('TopK', [x, i64([w])], {}, 11, 2);
      const X = f32s(x);
      const V = f32s(v);
      for (let r = 0; r < X.length / w; r++) {
        expect(V.slice(r * w, (r + 1) * w)).toEqual(X.slice(r * w, (r + 1) * w).sort((a, b) => b - a));
      }
    }));
  });

  it('Gather of a contiguous index range equals Slice', () => {
    fc.assert(fc.property(withTensor.chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: 0, max: x.dims.length - 1 }))), ([x, axis]) => {
      const d = x.dims[axis];
      const idx = Array.from({ length: d }, (_, i) => i).slice(Math.floor(d / 2));
      const [g] = run('Gather', [x, i64(idx)], { axis });
      const [s] = run('Slice', [x, i64([Math.floor(d / 2)]), i64([d]), i64([axis])]);
      expect(g.dims).toEqual(s.dims);
      expect(f32s(g)).toEqual(f32s(s));
    }));
  });

  it('ScatterND of Gather-ed rows into zeros restores exactly those rows', () => {
    fc.assert(fc.property(withTensor, fc.nat(), (x, seed) => {
      const d0 = x.dims[0];
      const rows = Array.from({ length: d0 }, (_, i) => i).filter((i) => (seed >> i) & 1);
      const [g] = run('Gather', [x, i64(rows)], { axis: 0 });
      const zeros = new Tensor('float32', new Float32Array(x.data.length), x.dims);
      const [s] = run('ScatterND', [zeros, i64(rows, [rows.length, 1]), g]);
      const inner = x.data.length / d0;
      const X = f32s(x);
      const Sv = f32s(s);
      for (let r = 0; r < d0; r++) {
        const want = rows.includes(r) ? X.slice(r * inner, (r + 1) * inner) : new Array<number>(inner).fill(0);
        expect(Sv.slice(r * inner, (r + 1) * inner)).toEqual(want);
      }
    }));
  });
});

describe('Resize laws', () => {
  it('scale 1 is the identity for every mode', () => {
    fc.assert(fc.property(dimsArb.filter((d) => d.length >= 2).chain((d) => tensorArb(d)), fc.constantFrom('nearest', 'linear', 'cubic'), (x, mode) => {
      const [y] = run('Resize', [x, null, new Tensor('float32', x.dims.map(() => 1))], { mode }, 19);
      expect(y.dims).toEqual(x.dims);
      f32s(y).forEach((v, i) => expect(Math.abs(v - f32s(x)[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    }));
  });
});
