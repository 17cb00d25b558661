import { describe, expect, it } from 'vitest';
import { freshRunContext, zeroingContext } from './run-context.js';
import { Tensor, allocDataUninitialized, zeroFill } from './tensor.js';

describe('zeroFill / allocDataUninitialized / zeroingContext', () => {
  it('zeroFill zeroes numeric storage (0n for 64-bit integers) and leaves strings alone', () => {
    const f = Float32Array.of(1, -2, NaN);
    zeroFill(f);
    expect(Array.from(f)).toEqual([0, 0, 0]);
    const b = BigInt64Array.of(5n, -7n);
    zeroFill(b);
    expect(Array.from(b)).toEqual([0n, 0n]);
    const s = ['a', 'b'];
    zeroFill(s);
    expect(s).toEqual(['a', 'b']);
  });

  it('allocDataUninitialized: the dtype\'s storage class and length; 4 KiB and up on an ArrayBuffer of its own', () => {
    for (const [dtype, C] of [['float32', Float32Array], ['uint8', Uint8Array], ['int64', BigInt64Array], ['float16', Uint16Array]] as const) {
      for (const n of [0, 3, 1024, 5000]) {
        const d = allocDataUninitialized(dtype, n);
        expect(d).toBeInstanceOf(C);
        expect(d.length).toBe(n);
        expect(d.byteOffset).toBe(0);
        expect(d.buffer.byteLength).toBe(d.byteLength);
        if (d.byteLength < 4096) expect(Array.from(d as ArrayLike<number | bigint>).every((v) => v === 0 || v === 0n)).toBe(true);
      }
    }
  });

  it('zeroingContext hands out zeroed tensors over a context that does not', () => {
    const dirty = { alloc: <D extends 'float32' | 'int64'>(dtype: D, dims: readonly number[]) => {
      const t = freshRunContext.alloc(dtype, dims);
      (t.data as { fill(v: unknown): void }).fill(dtype === 'int64' ? 9n : 9);
      return t;
    } };
    const z = zeroingContext(dirty as never);
    expect(Array.from(z.alloc('float32', [2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(z.alloc('int64', [3]).data)).toEqual([0n, 0n, 0n]);
    expect(z.alloc('float32', [1])).toBeInstanceOf(Tensor);
  });
});
