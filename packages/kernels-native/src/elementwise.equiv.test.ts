/**
 * Native `Erf:f32` (and the fused `lowbit.GeluErf:f32`, and the exact `Relu:f32`) against the scalar reference: the equivalence harness (edge values, poisoned outputs) at the
 * declared 1 ulp, and a dense sweep over [-7, 7] plus tiny, huge and special values that also counts how many results
 * differ at all (must be a small fraction).
 */
import { describe, expect, it } from 'vitest';
import { KernelRegistry, Tensor, freshRunContext, keyFor, referenceKernels } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, tracked } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();

const ulpDiff = (a: number, b: number) => {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const ord = (v: number) => (v < 0 ? -2147483648 - v : v); // sign-magnitude bits to a monotonic integer line
  return Math.abs(ord(i[0]) - ord(i[1]));
};

describe('native Erf:f32', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }
  it('has the key the runtime asks for', () => {
    expect(keyFor(node('Erf', ['float32']))).toBe('Erf:f32');
  });
  it('matches the reference within 1 ulp (equivalence harness)', () => {
    const v = backend.variants().find((x) => x.key === 'Erf:f32')!;
    const t = tracked(v);
    const build = (size: number, values: ValueSource) => ({ node: node('Erf', ['float32']) as never, inputs: [values.tensor('float32', [size, 3])] });
    const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith('Erf:'))).register(t.variant);
    const r = assertEquivalent({ registry, key: 'Erf:f32', build, sizes: [0, 1, 7, 64], numRuns: 20 });
    expect(r.variants).toEqual([v.name]);
    expect(t.referenceRuns()).toBe(0);
  });
  it('dense sweep: every result within 1 ulp, specials exact', () => {
    const xs: number[] = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1e-30, 3.4e38, -3.4e38, 5.999999, 6, -6];
    for (let i = -70000; i <= 70000; i++) xs.push(i / 10000);
    const x = new Tensor('float32', Float32Array.from(xs), [xs.length]);
    const n = node('Erf', ['float32']);
    const want = referenceKernels().find((k) => k.key === 'Erf:*' || k.key === 'Erf:f32')!.create(n).run([x], freshRunContext)[0]!.data as Float32Array;
    const got = backend.variants().find((k) => k.key === 'Erf:f32')!.create(n).run([x], freshRunContext)[0]!.data as Float32Array;
    let differ = 0;
    for (let i = 0; i < xs.length; i++) {
      if (Number.isNaN(want[i])) {
        expect(got[i]).toBeNaN();
        continue;
      }
      expect(Object.is(got[i], want[i]) || ulpDiff(got[i], want[i]) <= 1).toBe(true);
      if (!Object.is(got[i], want[i])) differ++;
    }
    for (let i = 0; i < 13; i++) if (!Number.isNaN(want[i])) expect(Object.is(got[i], want[i])).toBe(true);
    expect(differ).toBeLessThan(xs.length / 20);
  });
  it('every length 0..40 (vector bodies and tails) gives the results of the long run, specials in every lane', () => {
    const specials = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -3.4e38, 3.9999998, -4, 0.24999999, 0.25, -3.75];
    const xs = Float32Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? specials[(i / 3) % specials.length] : Math.sin(i * 7.3) * 4.5));
    const n = node('Erf', ['float32']);
    const k = backend.variants().find((v) => v.key === 'Erf:f32')!.create(n);
    const full = k.run([new Tensor('float32', xs, [40])], freshRunContext)[0]!.data as Float32Array;
    const want = referenceKernels().find((v) => v.key === 'Erf:*' || v.key === 'Erf:f32')!.create(n).run([new Tensor('float32', xs, [40])], freshRunContext)[0]!.data as Float32Array;
    for (let i = 0; i < 40; i++) expect(Number.isNaN(want[i]) ? Number.isNaN(full[i]) : ulpDiff(full[i], want[i]) <= 1 && (want[i] !== 0 || Object.is(full[i], want[i]))).toBe(true);
    for (let len = 0; len <= 40; len++) {
      for (const off of [0, 40 - len]) {
        const got = k.run([new Tensor('float32', xs.slice(off, off + len), [len])], freshRunContext)[0]!.data as Float32Array;
        expect(Array.from(got, (v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(Array.from(full.subarray(off, off + len), (v) => (Number.isNaN(v) ? 'NaN' : v)));
      }
    }
  });
});

describe('native lowbit.GeluErf:f32', () => {
  if ('error' in loaded) return;
  const geluNode = (attrs: Record<string, number>) => ({ ...node('GeluErf', ['float32'], undefined, new Map(Object.entries(attrs))), domain: 'lowbit' });
  const FORMS: Record<string, number>[] = [
    { c1: Math.fround(Math.SQRT1_2), c2: 1, c3: 0.5 },
    { c1: Math.fround(Math.SQRT2), divide: 1, c2: 1, c3: 0.5, scale_first: 1 },
  ];
  it('has the key the runtime asks for', () => {
    expect(keyFor(geluNode({}))).toBe('lowbit.GeluErf:f32');
  });
  it('matches the reference within its declared tolerance (equivalence harness), both forms', () => {
    for (const attrs of FORMS) {
      const v = backend.variants().find((x) => x.key === 'lowbit.GeluErf:f32')!;
      const t = tracked(v);
      const build = (size: number, values: ValueSource) => ({ node: geluNode(attrs) as never, inputs: [values.tensor('float32', [size, 5])] });
      const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith('lowbit.GeluErf:'))).register(t.variant);
      const r = assertEquivalent({ registry, key: 'lowbit.GeluErf:f32', build, sizes: [0, 1, 7, 64], numRuns: 20 });
      expect(r.variants).toEqual([v.name]);
      expect(t.referenceRuns()).toBe(0);
    }
  });
  it('is bit-identical to the unfused steps computed with the native Erf (both forms, odd lengths for the tails)', () => {
    const xs: number[] = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 5.65, -5.66, 8, -8];
    for (let i = -20001; i <= 20000; i++) xs.push(i / 2500);
    const x = Float32Array.from(xs);
    const f = Math.fround;
    const erfNative = backend.variants().find((k) => k.key === 'Erf:f32')!.create(node('Erf', ['float32']));
    for (const attrs of FORMS) {
      const n = geluNode(attrs);
      const c1 = f(attrs.c1), c2 = f(attrs.c2), c3 = f(attrs.c3);
      const s = new Tensor('float32', x.map((v) => (attrs.divide ? f(v / c1) : f(v * c1))), [x.length]);
      const e = erfNative.run([s], freshRunContext)[0]!.data as Float32Array;
      const want = x.map((v, i) => {
        const a = f(e[i] + c2);
        return attrs.scale_first ? f(f(v * c3) * a) : f(f(v * a) * c3);
      });
      const got = backend.variants().find((k) => k.key === 'lowbit.GeluErf:f32')!.create(n).run([new Tensor('float32', x, [x.length])], freshRunContext)[0]!.data as Float32Array;
      for (let i = 0; i < x.length; i++) if (!Object.is(got[i], want[i])) expect([i, x[i], got[i]]).toEqual([i, x[i], want[i]]);
      const ref = referenceKernels().find((k) => k.key === 'lowbit.GeluErf:f32')!.create(n).run([new Tensor('float32', x, [x.length])], freshRunContext)[0]!.data as Float32Array;
      expect(Array.from(ref.subarray(0, 13), (v) => Object.is(v, NaN) || v)).toEqual(Array.from(got.subarray(0, 13), (v) => Object.is(v, NaN) || v));
    }
  });
  it('dense sweep against the reference within the declared tolerance, specials exact, every tail length', () => {
    const v = backend.variants().find((k) => k.key === 'lowbit.GeluErf:f32')!;
    const tol = v.tolerance as { rtol: number; atol: number };
    const specials = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e30, -1e30, 5.65, -5.66, 8, -8];
    const xs: number[] = [...specials];
    for (let i = -90000; i <= 90000; i++) xs.push(i / 10000);
    const x = new Tensor('float32', Float32Array.from(xs), [xs.length]);
    for (const attrs of [...FORMS, { c1: 0.5, c2: -0, c3: 2 }]) {
      const n = geluNode(attrs);
      const k = v.create(n);
      const got = k.run([x], freshRunContext)[0]!.data as Float32Array;
      const want = referenceKernels().find((r) => r.key === 'lowbit.GeluErf:f32')!.create(n).run([x], freshRunContext)[0]!.data as Float32Array;
      let differ = 0;
      for (let i = 0; i < xs.length; i++) {
        if (i < specials.length || !Number.isFinite(want[i])) {
          expect([i, Number.isNaN(got[i]) ? 'NaN' : got[i]]).toEqual([i, Number.isNaN(want[i]) ? 'NaN' : want[i]]);
          if (want[i] === 0) expect([i, Object.is(got[i], -0)]).toEqual([i, Object.is(want[i], -0)]);
          continue;
        }
        const d = Math.abs(got[i] - want[i]);
        if (d > tol.atol + tol.rtol * Math.abs(want[i])) expect([i, xs[i], got[i]]).toEqual([i, xs[i], want[i]]);
        if (d !== 0) differ++;
      }
      expect(differ).toBeLessThan(xs.length / 20);
      for (let len = 1; len <= 37; len += 3) {
        const part = k.run([new Tensor('float32', x.data.slice(0, len), [len])], freshRunContext)[0]!.data as Float32Array;
        expect(Array.from(part, (q) => (Number.isNaN(q) ? 'NaN' : q))).toEqual(Array.from(got.subarray(0, len), (q) => (Number.isNaN(q) ? 'NaN' : q)));
      }
    }
  });
});

describe('native lowbit.QGeluErf:f32', () => {
  if ('error' in loaded) return;
  const qNode = (attrs: Record<string, number>, zp: 'uint8' | 'int8') => ({ ...node('QGeluErf', ['float32', 'float32', zp], undefined, new Map(Object.entries(attrs))), domain: 'lowbit' });
  const FORMS: Record<string, number>[] = [
    { c1: Math.fround(Math.SQRT1_2), c2: 1, c3: 0.5 },
    { c1: Math.fround(Math.SQRT2), divide: 1, c2: 1, c3: 0.5, scale_first: 1 },
  ];
  it('matches the reference within 1 quantization step (equivalence harness), u8 and i8, both forms', () => {
    const v = backend.variants().find((x) => x.key === 'lowbit.QGeluErf:f32')!;
    expect(v.tolerance).toEqual({ rtol: 0, atol: 1 });
    for (const zp of ['uint8', 'int8'] as const)
      for (const attrs of FORMS) {
        const t = tracked(v);
        const build = (size: number, values: ValueSource) => ({
          node: qNode(attrs, zp) as never,
          inputs: [values.tensor('float32', [size, 5]), new Tensor('float32', Float32Array.of(size % 2 ? 0.013 : 0.5), []), new Tensor(zp, (zp === 'uint8' ? Uint8Array.of(size * 7) : Int8Array.of(size - 3)) as never, [])],
        });
        const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith('lowbit.QGeluErf:'))).register(t.variant);
        const r = assertEquivalent({ registry, key: 'lowbit.QGeluErf:f32', build, sizes: [0, 1, 7, 64, 300], numRuns: 10 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
  });
  it('is bit-identical to the native GeluErf then the native QuantizeLinear (lengths around the 1024 chunk and the vector tails, specials)', () => {
    const gelu = backend.variants().find((k) => k.key === 'lowbit.GeluErf:f32')!;
    const fused = backend.variants().find((k) => k.key === 'lowbit.QGeluErf:f32')!;
    for (const zp of ['uint8', 'int8'] as const) {
      const quant = backend.variants().find((k) => k.key === `QuantizeLinear:f32->${zp === 'uint8' ? 'u8' : 'i8'}`)!;
      for (const len of [1, 15, 17, 1023, 1024, 1025, 3001]) {
        const xs = Float32Array.from({ length: len }, (_, i) => (i % 41 === 3 ? [NaN, Infinity, -Infinity, -0, 3e38][i % 5] : Math.sin(i * 0.71) * 6));
        const x = new Tensor('float32', xs, [len]);
        const scale = new Tensor('float32', Float32Array.of(0.021), []);
        const z = new Tensor(zp, (zp === 'uint8' ? Uint8Array.of(131) : Int8Array.of(-4)) as never, []);
        const attrs = FORMS[len % 2];
        const g = gelu.create({ ...node('GeluErf', ['float32'], undefined, new Map(Object.entries(attrs))), domain: 'lowbit' } as never).run([x], freshRunContext)[0]!;
        const want = quant.create(node('QuantizeLinear', ['float32', 'float32', zp]) as never).run([g, scale, z], freshRunContext)[0]!.data as Uint8Array;
        const got = fused.create(qNode(attrs, zp) as never).run([x, scale, z], freshRunContext)[0]!.data as Uint8Array;
        expect([zp, len, Array.from(got)]).toEqual([zp, len, Array.from(want)]);
      }
    }
  });
});

describe('native Relu:f32', () => {
  if ('error' in loaded) return;
  it('is bit-identical to the reference (equivalence harness, and -0, NaN, infinities, denormals)', () => {
    const v = backend.variants().find((x) => x.key === 'Relu:f32')!;
    const t = tracked(v);
    const build = (size: number, values: ValueSource) => ({ node: node('Relu', ['float32']) as never, inputs: [values.tensor('float32', [size, 5])] });
    const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith('Relu:'))).register(t.variant);
    const r = assertEquivalent({ registry, key: 'Relu:f32', build, sizes: [0, 1, 7, 64], numRuns: 20 });
    expect(r.variants).toEqual([v.name]);
    expect(t.referenceRuns()).toBe(0);
    const xs = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, -2.5, 2.5, 3.4e38, -3.4e38];
    for (let i = 0; i < 100; i++) xs.push(Math.sin(i) * 10);
    const x = new Tensor('float32', Float32Array.from(xs), [xs.length]);
    const n = node('Relu', ['float32']);
    const want = referenceKernels().find((k) => k.key === 'Relu:f32' || k.key === 'Relu:*')!.create(n).run([x], freshRunContext)[0]!.data as Float32Array;
    const got = v.create(n).run([x], freshRunContext)[0]!.data as Float32Array;
    for (let i = 0; i < xs.length; i++) expect(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))).toBe(true);
    expect(Object.is(got[1], 0)).toBe(true); // -0 -> +0
  });
});

describe('native Clip:f32 and GlobalAveragePool:f32', () => {
  if ('error' in loaded) return;
  const check = (key: string, build: (size: number, values: ValueSource) => { node: never; inputs: (Tensor | null)[] }, sizes: number[]) => {
    const v = backend.variants().find((x) => x.key === key)!;
    const t = tracked(v);
    const op = key.split(':')[0];
    const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith(`${op}:`))).register(t.variant);
    const r = assertEquivalent({ registry, key, build, sizes, numRuns: 15 });
    expect(r.variants).toEqual([v.name]);
    expect(t.referenceRuns()).toBe(0);
  };
  it('Clip (opset 13 inputs: both, min only, max only, none; opset 6 attributes, min above max) is bit-identical', () => {
    const f = (v: number) => new Tensor('float32', Float32Array.of(v), []);
    check('Clip:f32', (size, values) => {
      const x = values.tensor('float32', [size, 3]);
      const mode = size % 4;
      const inputs = [x, mode === 0 || mode === 1 ? f(-0.5) : null, mode === 0 || mode === 2 ? f(size % 2 ? 0.75 : -1) : null];
      return { node: { ...node('Clip', ['float32', 'float32', 'float32']), opset: 13 } as never, inputs };
    }, [0, 1, 2, 3, 5, 8, 13]);
    check('Clip:f32', (size, values) => {
      const attrs = new Map<string, number>([['min', size % 2 ? 0.25 : -2], ['max', size % 3 ? 1 : -3]]); // -3: min above max
      return { node: { ...node('Clip', ['float32'], undefined, attrs), opset: 6 } as never, inputs: [values.tensor('float32', [size, 4])] };
    }, [0, 1, 2, 3, 6]);
  });
  it('GlobalAveragePool (rows not a multiple of 8, 1-D to 3-D planes) is bit-identical', () => {
    check('GlobalAveragePool:f32', (size, values) => {
      const dims = size % 3 === 0 ? [1 + (size % 2), size + 1, 7, 5] : size % 3 === 1 ? [2, size + 3, 33] : [1, size + 9, 2, 3, 4];
      return { node: node('GlobalAveragePool', ['float32']) as never, inputs: [values.tensor('float32', dims)] };
    }, [1, 2, 3, 5, 8, 13]);
    // ppocr's squeeze-excite planes: 8-row groups of 8-column blocks (the AVX2 build's transposed sums) and their tails
    check('GlobalAveragePool:f32', (size, values) => {
      const dims = size === 1 ? [1, 200, 2, 96] : size === 2 ? [1, 88, 3, 96] : [2, 19, 3, 29];
      return { node: node('GlobalAveragePool', ['float32']) as never, inputs: [values.tensor('float32', dims)] };
    }, [1, 2, 3]);
  });
});

describe('native Cast:i32->f32', () => {
  if ('error' in loaded) return;
  const castNode = () => node('Cast', ['int32'], undefined, new Map([['to', 1]]));
  it('has the key the runtime asks for', () => {
    expect(keyFor(castNode())).toBe('Cast:i32->f32');
  });
  it('is exact against the reference (equivalence harness; int32 extremes, values above 2^24 that round)', () => {
    const v = backend.variants().find((x) => x.key === 'Cast:i32->f32')!;
    const t = tracked(v);
    const build = (size: number, values: ValueSource) => ({ node: castNode() as never, inputs: [values.tensor('int32', [size, 3])] });
    const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key.startsWith('Cast:'))).register(t.variant);
    const r = assertEquivalent({ registry, key: 'Cast:i32->f32', build, sizes: [0, 1, 7, 64], numRuns: 20 });
    expect(r.variants).toEqual(['native-scalar-c']);
    const x = new Tensor('int32', Int32Array.of(2147483647, -2147483648, 16777217, 16777219, -16777219, 0, -1, 33554435), [8]);
    const want = referenceKernels().find((k) => k.key === 'Cast:*')!.create(castNode()).run([x], freshRunContext)[0]!.data;
    const got = v.create(castNode()).run([x], freshRunContext)[0]!.data;
    expect(Array.from(got as Float32Array)).toEqual(Array.from(want as Float32Array));
    expect(t.referenceRuns()).toBe(0);
  });
});

describe('native lowbit.QLookup', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }
  it('matches the reference exactly for every dtype pair and length (equivalence harness), never falling back', () => {
    for (const [s, xt] of [['u8', 'uint8'], ['i8', 'int8']] as const) {
      for (const tt of ['uint8', 'int8', 'float32'] as const) {
        const key = `lowbit.QLookup:${s}`;
        const v = backend.variants().find((x) => x.key === key)!;
        expect(v.tolerance).toBe('exact');
        const t = tracked(v);
        const table = new Tensor(tt, Array.from({ length: 256 }, (_, k) => (tt === 'float32' ? Math.fround(Math.sin(k) * 3) : ((k * 37 + 11) & 255) - (tt === 'int8' ? 128 : 0))), [256]);
        const build = (size: number, values: ValueSource) => ({ node: { ...node('QLookup', [xt, tt]), domain: 'lowbit' } as never, inputs: [values.tensor(xt, [size, 5]), table] });
        const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key === key)).register(t.variant);
        const r = assertEquivalent({ registry, key, build, sizes: [0, 1, 3, 64, 1000], numRuns: 20 });
        expect(r.variants).toEqual(['native-scalar-c']);
        expect(t.referenceRuns()).toBe(0);
      }
    }
  });
});
