/**
 * Law: results do not depend on the thread count. For random shapes (including ones that split by rows and ones that
 * split by column panels), signedness and zero points, every native MatMulInteger and MatMul:f32 variant on a 3-thread
 * backend returns exactly the bits of the same variant on a 1-thread backend (and, for integers, of the reference); on a
 * 3-thread backend that splits every op, and on one that keeps ops under the work grain on the caller. The row-wise and
 * element-wise addon calls that take a pool (Softmax, LayerNormalization and GELU with their quantizing forms,
 * QuantizeLinear / DequantizeLinear per tensor and per axis, broadcast binary ops, Transpose) write the same bytes with
 * no pool, with pools of 2 and 3 threads that split every call, and with grained pools.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type KernelVariant } from '@lowbit/kernels';
import { loadAddon } from './addon.js';
import { DYNAMIC_QMATMUL_KEY } from './dynamic-q.js';
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
  it('lowbit.DynamicQMatMul (input quantized over the pool, then the GEMM): 3 threads gives the bits of 1 thread', () => {
    fc.assert(fc.property(shape, fc.boolean(), ({ M, K, N, seed }, bias) => {
      const x = new Tensor('float32', Float32Array.from(bytes(M * K, seed, true), (v) => Math.fround(v / 29)), [M, K]);
      const w = new Tensor('int8', bytes(K * N, seed + 1, true) as Int8Array, [K, N]);
      const ws = new Tensor('float32', Float32Array.of(0.0125), []);
      const zw = new Tensor('int8', Int8Array.of((seed % 61) - 30), []);  // nonzero: the row sums count
      const b = bias ? new Tensor('float32', Float32Array.from(bytes(N, seed + 2, true), (v) => v / 64), [N]) : null;
      const types = ['float32', 'int8', 'float32', 'int8', b ? 'float32' : null];
      const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw], ...(b ? [[4, b] as [number, Tensor]] : [])]);
      const make = (v: KernelVariant) => v.create({ ...node('DynamicQMatMul', types as never, consts), domain: 'lowbit', opset: 1 } as never);
      const threes = three.variants().filter((v) => v.key === DYNAMIC_QMATMUL_KEY);
      for (const v1 of one.variants().filter((v) => v.key === DYNAMIC_QMATMUL_KEY)) {
        const outs = [v1, threes.find((v) => v.name === v1.name)!, threeGrained.variants().find((v) => v.key === DYNAMIC_QMATMUL_KEY && v.name === v1.name)!].map((v) => {
          const inst = make(v);
          const [y] = inst.run([x, w, ws, zw, b], freshRunContext);
          inst.dispose?.();
          return Buffer.from((y!.data as Float32Array).buffer).toString('hex');
        });
        expect(outs[1]).toBe(outs[0]);
        expect(outs[2]).toBe(outs[0]);
      }
    }), { numRuns: 25 });
  });
  describe('row-wise and element-wise calls: the same bytes for any pool', () => {
    if ('error' in loaded) return;
    const addon = loaded.addon;
    const pools = [null, new addon.Pool(2, false), new addon.Pool(3, false), new addon.Pool(2, true), new addon.Pool(3, true)];
    // Sizes from tiny to past the grain (kGrainRows 4096 / kGrainCheap 8192 elements), odd row counts included.
    const rc = fc.record({ rows: fc.integer({ min: 1, max: 97 }), cols: fc.integer({ min: 1, max: 300 }), seed: fc.nat() });
    const floats = (n: number, seed: number, div = 23) => Float32Array.from(bytes(n, seed, true), (v, i) => (i % 97 === 5 ? NaN : Math.fround(v / div)));
    /** fn(pool) returns the output arrays; every pool must give the bytes of the first (no pool). */
    const same = (fn: (pool: (typeof pools)[number]) => ArrayBufferView[]) => {
      const want = fn(null).map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'));
      for (const p of pools.slice(1)) expect(fn(p).map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'))).toEqual(want);
    };
    it('softmax, layerNorm (float, with mean / inv, and quantized), gelu (float and quantized)', () => {
      fc.assert(fc.property(rc, fc.boolean(), ({ rows, cols, seed }, signed) => {
        const n = rows * cols;
        const x = floats(n, seed);
        const scale = floats(cols, seed + 1, 50), bias = floats(cols, seed + 2, 50);
        same((pool) => {
          const y = new Float32Array(n);
          addon.softmax(x, rows, cols, y, pool);
          return [y];
        });
        same((pool) => {
          const y = new Float32Array(n), mean = new Float32Array(rows), inv = new Float32Array(rows);
          addon.layerNorm(x, rows, cols, scale, bias, 1e-5, y, mean, inv, pool);
          return [y, mean, inv];
        });
        same((pool) => {
          const y = signed ? new Int8Array(n) : new Uint8Array(n);
          addon.layerNorm(x, rows, cols, scale, null, 1e-5, y, 0.02, signed ? -3 : 131, pool);
          return [y];
        });
        same((pool) => {
          const y = new Float32Array(n);
          addon.gelu(x, Math.SQRT2, true, 1, 0.5, false, y, pool);
          return [y];
        });
        same((pool) => {
          const y = signed ? new Int8Array(n) : new Uint8Array(n);
          addon.gelu(x, Math.SQRT2, true, 1, 0.5, true, y, 0.03, signed ? 5 : 17, pool);
          return [y];
        });
      }), { numRuns: 40 });
    });
    it('quantizeLinear / dequantizeLinear per tensor and per axis', () => {
      fc.assert(fc.property(rc, fc.integer({ min: 1, max: 9 }), fc.boolean(), ({ rows, cols, seed }, outer, signed) => {
        const n = outer * rows * cols;
        const x = floats(n, seed, 7);
        for (const C of [1, rows]) {
          const inner = C === 1 ? rows * cols : cols;
          const s = Float32Array.from(floats(C, seed + 3, 300), (v) => (Number.isNaN(v) ? 0.5 : Math.abs(v) + 0.01));
          const zp = bytes(C, seed + 4, signed);
          const q = (pool: (typeof pools)[number]) => {
            const y = signed ? new Int8Array(n) : new Uint8Array(n);
            addon.quantizeLinear(x, s, zp, outer, C, inner, y, pool);
            return y;
          };
          same((pool) => [q(pool)]);
          const xq = q(null);
          same((pool) => {
            const y = new Float32Array(n);
            addon.dequantizeLinear(xq, s, zp, outer, C, inner, y, pool);
            return [y];
          });
        }
      }), { numRuns: 40 });
    });
    it('binary (with broadcast) and transpose', () => {
      fc.assert(fc.property(rc, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 3 }), ({ rows, cols, seed }, d0, op) => {
        const n = d0 * rows * cols;
        const a = floats(n, seed), b = floats(rows * cols, seed + 5, 11);
        const dims = new Int32Array([d0, rows, cols]);
        same((pool) => {
          const y = new Float32Array(n);
          addon.binary(op, a, b, y, dims, new Int32Array([rows * cols, cols, 1]), new Int32Array([0, cols, 1]), pool);
          return [y];
        });
        same((pool) => {  // one axis (64-index steps)
          const y = new Float32Array(n);
          addon.binary(op, a, a, y, new Int32Array([n]), new Int32Array([1]), new Int32Array([1]), pool);
          return [y];
        });
        const xb = bytes(n, seed + 6, false);
        same((pool) => {  // [d0, rows, cols] -> [cols, d0, rows]
          const y = new Uint8Array(n);
          addon.transpose(xb, new Int32Array([cols, d0, rows]), new Int32Array([1, rows * cols, cols]), y, pool);
          return [y];
        });
        same((pool) => {
          const y = new Float32Array(n);
          addon.transpose(a, new Int32Array([rows, d0, cols]), new Int32Array([cols, rows * cols, 1]), y, pool);
          return [y];
        });
      }), { numRuns: 40 });
    });
  });
  it('lowbit.DynamicQConvQuantize (float input, then the shared float scratch and the pooled DynamicQuantizeLinear): 3 threads == 1 thread == reference, every variant', () => {
    const convShape = fc.record({ C: fc.integer({ min: 1, max: 8 }), M: fc.integer({ min: 1, max: 24 }), H: fc.integer({ min: 3, max: 140 }), W: fc.integer({ min: 3, max: 160 }), dw: fc.boolean(), seed: fc.nat() });
    const key = 'lowbit.DynamicQConvQuantize:f32';
    const ref = referenceKernels().find((r) => r.key === key)!;
    fc.assert(fc.property(convShape, ({ C, M: m0, H, W, dw, seed }) => {
      const M = dw ? C : m0;
      const w = new Tensor('int8', bytes(M * (dw ? 1 : C) * 9, seed, true) as Int8Array, [M, dw ? 1 : C, 3, 3]);
      const ws = new Tensor('float32', Float32Array.of(0.0021), []);
      const zw = new Tensor('int8', Int8Array.of(seed % 5 - 2), []);
      const x = new Tensor('float32', Float32Array.from(bytes(C * H * W, seed + 1, true), (v) => Math.fround(v / 41)), [1, C, H, W]);
      const n = { ...node('DynamicQConvQuantize', ['float32', 'int8', 'float32', 'int8'], new Map<number, Tensor>([[1, w]])), domain: 'lowbit', opset: 1, outputCount: 3,
        attrs: new Map<string, unknown>([['pads', [1, 1, 1, 1]], ['activation', 1], ...(dw ? [['group', C] as [string, unknown]] : [])]) as never };
      const outs = (v: KernelVariant) => {
        const inst = v.create(n);
        const r = inst.run([x, w, ws, zw], freshRunContext).map((t) => { const d = t!.data as Uint8Array | Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex'); });
        inst.dispose?.();
        return r;
      };
      const want = outs(ref);
      for (const b of [one, three, threeGrained]) for (const v of b.variants().filter((x) => x.key === key)) expect(outs(v)).toEqual(want);
    }), { numRuns: 15 });
  });
});
