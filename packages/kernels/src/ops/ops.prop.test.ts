/**
 * Laws of the shape and conversion ops, checked with fast-check over random shapes and values:
 * broadcasting is commutative and agrees with Expand, Transpose by a permutation then by its inverse is the
 * identity, Reshape/Flatten keep the row-major data, Split undoes Concat, Cast round-trips exactly representable
 * values, and binary ops on broadcast inputs equal the op on explicitly expanded inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelNode } from '../contract.js';
import { KernelRegistry } from '../registry.js';
import { freshRunContext } from '../run-context.js';
import { Tensor, type DType } from '../tensor.js';
import type { AttrValue } from '../contract.js';
import { OPS_KERNELS } from './index.js';
import { broadcastShapes } from './util/broadcast.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, opset = 21, outputCount = 1): Tensor[] {
  const node: KernelNode = {
    name: `${opType}_prop`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount,
  };
  return registry.resolve(`${opType}:*`).create(node).run(inputs, freshRunContext) as Tensor[];
}

const int64 = (xs: readonly number[]) => new Tensor('int64', xs.map((v) => BigInt(v)), [xs.length]);
const dimsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
const f32Tensor = (dims: number[]) =>
  fc.float32Array({ minLength: dims.reduce((p, d) => p * d, 1), maxLength: dims.reduce((p, d) => p * d, 1), noNaN: true })
    .map((data) => new Tensor('float32', data, dims));

/** A shape broadcastable to `dims`: a suffix of it with some dims replaced by 1. */
const broadcastableTo = (dims: number[]) =>
  fc.tuple(fc.integer({ min: 0, max: dims.length }), fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }))
    .map(([drop, ones]) => dims.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

describe('broadcasting', () => {
  it('is commutative and each input broadcasts to the result', () => {
    fc.assert(fc.property(dimsArb.chain((d) => fc.tuple(broadcastableTo(d), broadcastableTo(d))), ([a, b]) => {
      const node = { name: 'n', opType: 'Add' };
      const ab = broadcastShapes(node, [a, b]);
      expect(broadcastShapes(node, [b, a])).toEqual(ab);
      expect(broadcastShapes(node, [ab, a])).toEqual(ab);
      expect(ab.length).toBe(Math.max(a.length, b.length));
    }));
  });

  it('Add on broadcast inputs equals Add on Expand-ed inputs', () => {
    fc.assert(fc.property(
      dimsArb.chain((d) => fc.tuple(broadcastableTo(d), broadcastableTo(d))).chain(([a, b]) => fc.tuple(f32Tensor(a), f32Tensor(b))),
      ([a, b]) => {
        const [sum] = run('Add', [a, b]);
        const [ea] = run('Expand', [a, int64(sum.dims)]);
        const [eb] = run('Expand', [b, int64(sum.dims)]);
        const [sum2] = run('Add', [ea, eb]);
        expect(sum2.dims).toEqual(sum.dims);
        expect(Array.from(sum2.data as Float32Array)).toEqual(Array.from(sum.data as Float32Array));
      },
    ));
  });

  it('float32 Add/Sub/Mul/Div equal the correctly rounded float32 operation (Math.fround of the double result)', () => {
    fc.assert(fc.property(
      dimsArb.chain((d) => fc.tuple(broadcastableTo(d), broadcastableTo(d))).chain(([a, b]) => fc.tuple(f32Tensor(a), f32Tensor(b))),
      fc.constantFrom('Add', 'Sub', 'Mul', 'Div'),
      ([a, b], op) => {
        const [y] = run(op, [a, b]);
        const [ea] = run('Expand', [a, int64(y.dims)]);
        const [eb] = run('Expand', [b, int64(y.dims)]);
        const A = ea.data as Float32Array;
        const B = eb.data as Float32Array;
        const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q, Div: (p: number, q: number) => p / q }[op]!;
        expect(Array.from(y.data as Float32Array)).toEqual(Array.from(A, (v, i) => Math.fround(f(v, B[i]))));
      },
    ));
  });

  it('rejects incompatible shapes with a KernelError naming the input', () => {
    expect(() => run('Add', [new Tensor('float32', [1, 2, 3], [3]), new Tensor('float32', [1, 2], [2])])).toThrow(/input\[1\].*broadcast/);
  });
});

describe('Transpose', () => {
  it('perm then inverse perm is the identity', () => {
    fc.assert(fc.property(
      dimsArb.filter((d) => d.length > 0).chain((d) => fc.tuple(f32Tensor(d), fc.shuffledSubarray(d.map((_, i) => i), { minLength: d.length, maxLength: d.length }))),
      ([x, perm]) => {
        const inv = perm.map((_, i) => perm.indexOf(i));
        const [y] = run('Transpose', [x], { perm });
        expect(y.dims).toEqual(perm.map((p) => x.dims[p]));
        const [z] = run('Transpose', [y], { perm: inv });
        expect(z.dims).toEqual(x.dims);
        expect(Array.from(z.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
      },
    ));
  });
});

describe('Reshape / Flatten', () => {
  it('keep the row-major data and the element count', () => {
    fc.assert(fc.property(dimsArb.chain((d) => fc.tuple(f32Tensor(d), fc.integer({ min: 0, max: d.length }))), ([x, axis]) => {
      const [flat] = run('Flatten', [x], { axis });
      expect(flat.dims.length).toBe(2);
      expect(flat.dims[0] * flat.dims[1]).toBe(x.data.length);
      const [back] = run('Reshape', [flat, int64(x.dims)]);
      expect(back.dims).toEqual(x.dims);
      expect(Array.from(back.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
      const [minus] = run('Reshape', [x, int64([-1])]);
      expect(minus.dims).toEqual([x.data.length]);
    }));
  });
});

describe('Concat / Split', () => {
  it('Split with the parts\' sizes undoes Concat', () => {
    fc.assert(fc.property(
      fc.tuple(dimsArb.filter((d) => d.length > 0), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), fc.nat())
        .chain(([d, sizes, a]) => {
          const axis = a % d.length;
          return fc.tuple(fc.tuple(...sizes.map((s) => f32Tensor(d.map((v, i) => (i === axis ? s : v))))), fc.constant(axis), fc.constant(sizes));
        }),
      ([parts, axis, sizes]) => {
        const [joined] = run('Concat', parts, { axis });
        const pieces = run('Split', [joined, int64(sizes)], { axis }, 18, sizes.length);
        pieces.forEach((p, i) => {
          expect(p.dims).toEqual(parts[i].dims);
          expect(Array.from(p.data as Float32Array)).toEqual(Array.from(parts[i].data as Float32Array));
        });
      },
    ));
  });
});

describe('Cast round trips', () => {
  const codes: Partial<Record<DType, number>> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, float16: 10, float64: 11, bfloat16: 16 };
  const castTo = (x: Tensor, to: DType) => run('Cast', [x], { to: codes[to]! })[0];

  it('int8 -> {int16, int32, int64, float32, float16, float64} -> int8 is exact', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 20 }), fc.constantFrom<DType>('int16', 'int32', 'int64', 'float32', 'float16', 'float64', 'bfloat16'), (xs, mid) => {
      const x = new Tensor('int8', xs);
      const y = castTo(castTo(x, mid), 'int8');
      expect(Array.from(y.data as Int8Array)).toEqual(xs);
    }));
  });

  it('float16 values survive float16 -> float32 -> float16 bit for bit (all non-NaN codes)', () => {
    const all = new Uint16Array(65536).map((_, i) => i).filter((b) => !((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0));
    const x = new Tensor('float16', all);
    const y = castTo(castTo(x, 'float32'), 'float16');
    expect(Array.from(y.data as Uint16Array)).toEqual(Array.from(all));
  });

  it('float32 -> float64 -> float32 is the identity', () => {
    fc.assert(fc.property(fc.float32Array({ maxLength: 20, noNaN: true }), (xs) => {
      const y = castTo(castTo(new Tensor('float32', xs), 'float64'), 'float32');
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(xs));
    }));
  });
});
