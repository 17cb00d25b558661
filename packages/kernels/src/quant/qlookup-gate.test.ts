import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor, type DType } from '../tensor.js';
import type { KernelNode } from '../contract.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };
const registry = createReferenceRegistry();
const node = (opType: string, domain: string, inputTypes: (DType | null)[], opset = 21): KernelNode => ({ name: opType.toLowerCase(), opType, domain, opset, attrs: new Map(), inputTypes, outputCount: 1 });
const run = (opType: string, domain: string, inputs: Tensor[]) => {
  const n = node(opType, domain, inputs.map((t) => t.dtype));
  const key = `${domain ? `${domain}.` : ''}${opType}:${{ uint8: 'u8', int8: 'i8', float32: 'f32' }[inputs[0].dtype as 'uint8']}`;
  const keyed = opType === 'QuantizeLinear' ? `QuantizeLinear:f32->${inputs[2].dtype === 'uint8' ? 'u8' : 'i8'}` : key;
  return registry.resolve(keyed, {}, n).create(n).run(inputs, ctx)[0]!;
};
const bits = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));

// The ops the fused kernels replace, run one after the other with their reference kernels.
const unfusedPool = (x: Tensor, table: Tensor) => run('GlobalAveragePool', '', [run('QLookup', 'lowbit', [x, table])]);
const unfusedScale = (x: Tensor, table: Tensor, gate: Tensor, ys: Tensor, yz: Tensor) => run('QuantizeLinear', '', [run('Mul', '', [run('QLookup', 'lowbit', [x, table]), gate]), ys, yz]);

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, 3.4e38, -3.4e38, 1e-45];
const arbFloat = fc.oneof(fc.constantFrom(...SPECIALS), fc.float({ min: -300, max: 300, noNaN: true }));

describe('lowbit.QLookupGlobalAveragePool / QLookupMulQuantize reference kernels', () => {
  it('compute the TSDoc example', () => {
    const x = new Tensor('uint8', [0, 1], [1, 1, 2]);
    const table = new Tensor('float32', Float32Array.from({ length: 256 }, (_, k) => k), [256]);
    expect(Array.from(run('QLookupGlobalAveragePool', 'lowbit', [x, table]).data as Float32Array)).toEqual([0.5]);
    const y = run('QLookupMulQuantize', 'lowbit', [x, table, new Tensor('float32', [2], [1, 1, 1]), new Tensor('float32', [1], []), new Tensor('uint8', [0], [])]);
    expect(y.dims).toEqual([1, 1, 2]);
    expect(Array.from(y.data as Uint8Array)).toEqual([0, 2]);
  });

  it('property: bit-identical to QLookup -> GlobalAveragePool and QLookup -> Mul -> QuantizeLinear (per-plane gates, other broadcasts, both dtypes, specials)', () => {
    const shape = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 70 }));
    const gateShape = fc.constantFrom('nc11', '1c11', 'n111', '1111', 'c11', 'w');
    fc.assert(fc.property(fc.constantFrom<DType>('uint8', 'int8'), fc.constantFrom<DType>('uint8', 'int8'), shape, gateShape, fc.array(arbFloat, { minLength: 256, maxLength: 256 }), arbFloat,
      fc.constantFrom(0.02, 0.1, 1, 3.7), fc.integer({ min: 0, max: 255 }), fc.integer(),
      (xt, yt, [N, C, H, W], gs, tv, g0, sy, zy, seed) => {
        const n = N * C * H * W;
        const xs = Array.from({ length: n }, (_, i) => (((i + 1) * 2654435761 + seed) >>> 0) % 256);
        const x = new Tensor(xt, xs.map((v) => (xt === 'int8' && v > 127 ? v - 256 : v)), [N, C, H, W]);
        const table = new Tensor('float32', Float32Array.from(tv), [256]);
        expect(bits(run('QLookupGlobalAveragePool', 'lowbit', [x, table]))).toEqual(bits(unfusedPool(x, table)));
        const gdims = { nc11: [N, C, 1, 1], '1c11': [1, C, 1, 1], n111: [N, 1, 1, 1], '1111': [1, 1, 1, 1], c11: [C, 1, 1], w: [W] }[gs];
        const gate = new Tensor('float32', Float32Array.from({ length: sizeOf(gdims) }, (_, i) => (i === 0 ? g0 : Math.fround(Math.sin(i + seed) * 4))), gdims);
        const ys = new Tensor('float32', [sy], []);
        const yz = new Tensor(yt, [yt === 'int8' ? zy - 128 : zy], []);
        const got = run('QLookupMulQuantize', 'lowbit', [x, table, gate, ys, yz]);
        const want = unfusedScale(x, table, gate, ys, yz);
        expect(got.dims).toEqual(want.dims);
        expect(got.dtype).toBe(want.dtype);
        expect(bits(got)).toEqual(bits(want));
      }), { numRuns: 150 });
  });

  it('per-plane gates of 256 or more elements go through the byte table: still identical', () => {
    const x = new Tensor('uint8', Array.from({ length: 2 * 3 * 300 }, (_, i) => (i * 37) % 256), [2, 3, 300]);
    const table = new Tensor('float32', Float32Array.from({ length: 256 }, (_, k) => (k - 100) / 7), [256]);
    const gate = new Tensor('float32', [0.5, -2, NaN, 3, 1e-3, Infinity], [2, 3, 1]);
    const args = [x, table, gate, new Tensor('float32', [0.05], []), new Tensor('int8', [-3], [])];
    expect(bits(run('QLookupMulQuantize', 'lowbit', args))).toEqual(bits(unfusedScale(...(args as [Tensor, Tensor, Tensor, Tensor, Tensor]))));
  });

  it('typed errors: a table of other than 256 values, a per-axis y_scale, a rank-2 pool input', () => {
    const x = new Tensor('uint8', [1, 2, 3, 4], [1, 1, 2, 2]);
    const t = new Tensor('float32', new Float32Array(256), [256]);
    expect(() => run('QLookupGlobalAveragePool', 'lowbit', [x, new Tensor('float32', new Float32Array(10), [10])])).toThrow(/table.*256 elements/);
    expect(() => run('QLookupMulQuantize', 'lowbit', [x, t, new Tensor('float32', [1], [1]), new Tensor('float32', [1, 2], [2]), new Tensor('uint8', [0], [])])).toThrow(/y_scale.*one element/);
    expect(() => run('QLookupGlobalAveragePool', 'lowbit', [new Tensor('uint8', [1, 2], [1, 2]), t])).toThrow(/rank/);
  });
});
