/**
 * Law: results do not depend on the thread count. For random shapes (including ones that split by rows and ones that
 * split by column panels), signedness and zero points, every native MatMulInteger and MatMul:f32 variant on a 3-thread
 * backend returns exactly the bits of the same variant on a 1-thread backend (and, for integers, of the reference); on a
 * 3-thread backend that splits every op, and on one that keeps ops under the work grain on the caller.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type KernelVariant } from '@lowbit/kernels';
import { loadAddon } from './addon.js';
import { node, readyBackend } from './test-support.js';

const one = await readyBackend(1);
const three = await readyBackend(3);
const threeGrained = await readyBackend(3, true);
const loaded = loadAddon();

function run(v: KernelVariant, inputs: Tensor[], constant: Tensor): ArrayLike<number> {
  const inst = v.create(node(v.key.split(':')[0], inputs.map((t) => t.dtype), new Map([[1, constant]])));
  const [y] = inst.run(inputs, freshRunContext);
  inst.dispose?.();
  return y!.data as ArrayLike<number>;
}

const shape = fc.record({ M: fc.integer({ min: 1, max: 70 }), K: fc.integer({ min: 1, max: 90 }), N: fc.integer({ min: 1, max: 200 }), seed: fc.nat() });

function bytes(n: number, seed: number, signed: boolean): Uint8Array | Int8Array {
  let s = seed >>> 0;
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 16) & 0xff;
  }
  return out;
}

describe('native kernels: thread-count invariance (property)', () => {
  if ('error' in loaded) {
    it('is skipped without the addon, which the backend reports', () => {
      console.log(`kernels-native: addon absent, thread property not run: ${loaded.error}`);
      expect(one.ready).toBe(false);
    });
    return;
  }
  it('MatMulInteger: 3 threads == 1 thread == reference, every variant', () => {
    const ref = new Map(referenceKernels().map((v) => [`${v.key}/${v.name}`, v]));
    fc.assert(fc.property(shape, fc.boolean(), fc.boolean(), ({ M, K, N, seed }, sa, sb) => {
      const key = `MatMulInteger:${sa ? 'i8' : 'u8'}x${sb ? 'i8' : 'u8'}->i32`;
      const a = new Tensor(sa ? 'int8' : 'uint8', bytes(M * K, seed, sa) as never, [M, K]);
      const b = new Tensor(sb ? 'int8' : 'uint8', bytes(K * N, seed + 1, sb) as never, [K, N]);
      const zb = new Tensor(sb ? 'int8' : 'uint8', bytes(N, seed + 2, sb) as never, [N]);
      const inputs = [a, b, new Tensor(a.dtype, bytes(1, seed + 3, sa) as never, []), zb];
      const want = Array.from(run(ref.get(`${key}/scalar`)!, inputs, b));
      const threes = three.variants().filter((v) => v.key === key);
      for (const v1 of one.variants().filter((v) => v.key === key)) {
        const v3 = threes.find((v) => v.name === v1.name)!;
        expect(Array.from(run(v1, inputs, b))).toEqual(want);
        expect(Array.from(run(v3, inputs, b))).toEqual(want);
        expect(Array.from(run(threeGrained.variants().find((v) => v.key === key && v.name === v1.name)!, inputs, b))).toEqual(want);
      }
    }), { numRuns: 25 });
  });
  it('MatMul:f32: 3 threads gives the bits of 1 thread, every variant', () => {
    fc.assert(fc.property(shape, ({ M, K, N, seed }) => {
      const f = (n: number, s: number) => Float32Array.from(bytes(n, s, true), (v) => Math.fround(v / 37));
      const a = new Tensor('float32', f(M * K, seed), [M, K]);
      const b = new Tensor('float32', f(K * N, seed + 1), [K, N]);
      const threes = three.variants().filter((v) => v.key === 'MatMul:f32');
      for (const v1 of one.variants().filter((v) => v.key === 'MatMul:f32')) {
        const y1 = Float32Array.from(run(v1, [a, b], b));
        const y3 = Float32Array.from(run(threes.find((v) => v.name === v1.name)!, [a, b], b));
        expect(Buffer.from(y3.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
        const yg = Float32Array.from(run(threeGrained.variants().find((v) => v.key === 'MatMul:f32' && v.name === v1.name)!, [a, b], b));
        expect(Buffer.from(yg.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
      }
    }), { numRuns: 25 });
  });
});
