import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';
import type { DType } from '../tensor.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };
const node = (x: DType, t: DType): KernelNode => ({ name: 'lut', opType: 'QLookup', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: [x, t], outputCount: 1 });
const run = (x: Tensor, table: Tensor) => createReferenceRegistry().resolve(`lowbit.QLookup:${x.dtype === 'uint8' ? 'u8' : 'i8'}`).create(node(x.dtype, table.dtype)).run([x, table], ctx)[0]!;

describe('lowbit.QLookup reference kernel', () => {
  it('computes the TSDoc example (uint8 -> uint8), keeps the dims, declares writesAllOutputs', () => {
    const y = run(new Tensor('uint8', [0, 2, 255], [3, 1]), new Tensor('uint8', Array.from({ length: 256 }, (_, k) => 255 - k), [256]));
    expect(y.dtype).toBe('uint8');
    expect(y.dims).toEqual([3, 1]);
    expect(Array.from(y.data as Uint8Array)).toEqual([255, 253, 0]);
    expect(createReferenceRegistry().resolve('lowbit.QLookup:i8').writesAllOutputs).toBe(true);
  });

  it('int8 input reads the table by its byte (-1 -> entry 255); int8 output keeps the sign', () => {
    const table = new Tensor('int8', Array.from({ length: 256 }, (_, k) => ((k * 7) & 255) - 128), [256]);
    const y = run(new Tensor('int8', [-128, -1, 0, 127], [4]), table);
    expect(y.dtype).toBe('int8');
    expect(Array.from(y.data as Int8Array)).toEqual([((128 * 7) & 255) - 128, ((255 * 7) & 255) - 128, -128, ((127 * 7) & 255) - 128]);
  });

  it('property: out[i] = table[x[i] & 255] for every dtype pair', () => {
    const q8 = fc.constantFrom<DType>('uint8', 'int8');
    fc.assert(fc.property(q8, q8, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 300 }), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 256, maxLength: 256 }), (xt, tt, xs, ts) => {
      const signed = (v: number) => (v > 127 ? v - 256 : v);
      const x = new Tensor(xt, xs.map(xt === 'int8' ? signed : (v) => v), [xs.length]);
      const y = run(x, new Tensor(tt, ts.map(tt === 'int8' ? signed : (v) => v), [256]));
      expect(Array.from(y.data as ArrayLike<number>)).toEqual(xs.map((v) => (tt === 'int8' ? signed(ts[v]) : ts[v])));
    }), { numRuns: 100 });
  });

  it('float32 table: float32 output, bits copied exactly (-0, a NaN payload)', () => {
    const words = new Uint32Array(256).map((_, k) => (k === 1 ? 0x80000000 : k === 2 ? 0x7fc00123 : new Uint32Array(Float32Array.of(k / 8).buffer)[0]));
    const y = run(new Tensor('int8', [1, 2, -1, 16], [2, 2]), new Tensor('float32', new Float32Array(words.buffer), [256]));
    expect(y.dtype).toBe('float32');
    expect(y.dims).toEqual([2, 2]);
    expect(Array.from(new Uint32Array((y.data as Float32Array).buffer))).toEqual([0x80000000, 0x7fc00123, words[255], words[16]]);
  });

  it('a table of other than 256 elements fails naming the node and input', () => {
    expect(() => run(new Tensor('uint8', [1], [1]), new Tensor('uint8', [1, 2], [2]))).toThrow(/lut.*table.*256 elements.*2/s);
  });
});
