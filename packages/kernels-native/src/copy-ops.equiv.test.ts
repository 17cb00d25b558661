/**
 * Native Concat and Slice (copy-ops.ts) against the scalar reference through the equivalence harness (size sweeps,
 * poisoned odd-offset buffers): bit-exact for 1-, 4- and 8-byte elements, every axis, empty inputs, negative and
 * clamped bounds; the ultraface box-decoding shapes run natively (no reference fallback); steps other than 1 and
 * opset 9 attributes go to the reference; the addon's copyRuns refuses runs outside either array.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KernelRegistry, Tensor, keyFor, referenceKernels, type AttrValue, type DType, type KernelNode } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { readyBackend, tracked } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();

function kn(opType: string, inputTypes: readonly (DType | null)[], attrs: Record<string, AttrValue> = {}, opset = 13): KernelNode {
  return { name: `${opType.toLowerCase()}0`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes, outputCount: 1 };
}

function check(key: string, build: (size: number, values: ValueSource) => { node: KernelNode; inputs: (Tensor | null)[] }, sizes = [0, 1, 3, 8, 17]) {
  const v = backend.variants().find((x) => x.key === key)!;
  expect(v, key).toBeDefined();
  const t = tracked(v);
  const refKey = `${key.slice(0, key.indexOf(':'))}:*`;
  const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key === refKey)).register(t.variant);
  const r = assertEquivalent({ registry, key, build: (s, values) => build(s, values) as never, sizes, numRuns: 20 });
  expect(r.variants).toEqual([v.name]);
  return t;
}

const i64 = (v: readonly number[]) => new Tensor('int64', BigInt64Array.from(v.map(BigInt)), [v.length]);
const DTYPES: DType[] = ['float32', 'uint8', 'int8', 'int32', 'int64'];

describe('native Concat and Slice', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }

  it('registers Concat and Slice for the runtime keys', () => {
    for (const dt of DTYPES) {
      expect(backend.variants().some((v) => v.key === keyFor(kn('Concat', [dt, dt])))).toBe(true);
      expect(backend.variants().some((v) => v.key === keyFor(kn('Slice', [dt, 'int64', 'int64'])))).toBe(true);
    }
  });

  it('Concat is bit-exact on every axis (negative too), with empty inputs, natively', () => {
    for (const dt of DTYPES) {
      for (const axis of [0, 1, 2, -1]) {
        const t = check(keyFor(kn('Concat', [dt, dt])), (s, values) => {
          const dims = (d: number) => { const r = [2, 3, 2]; r[axis < 0 ? axis + 3 : axis] = d; return r; };
          return { node: kn('Concat', [dt, dt, dt], { axis }), inputs: [values.tensor(dt, dims(s)), values.tensor(dt, dims(2)), values.tensor(dt, dims((s * 7) % 3))] };
        });
        expect(t.referenceRuns()).toBe(0);
      }
    }
  });

  it('Slice is bit-exact (negative, clamped and INT64 bounds, explicit unit steps, any axes), natively; other steps go to the reference', () => {
    const cases: [number[], number[], number[] | undefined, number[] | undefined][] = [
      [[0], [2], [2], undefined],
      [[2], [Number.MAX_SAFE_INTEGER], [-1], [1]],
      [[-3, 1], [100, -1], [1, 0], undefined],
      [[1, 0, 1], [2, 9, 2], undefined, [1, 1, 1]],
      [[0], [0], [1], undefined],
    ];
    for (const dt of DTYPES) {
      for (const [starts, ends, axes, steps] of cases) {
        const t = check(keyFor(kn('Slice', [dt, 'int64', 'int64'])), (s, values) => ({
          node: kn('Slice', [dt, 'int64', 'int64', axes ? 'int64' : null, steps ? 'int64' : null]),
          inputs: [values.tensor(dt, [s + 1, 3, 4]), i64(starts), i64(ends), axes ? i64(axes) : null, steps ? i64(steps) : null],
        }));
        expect(t.referenceRuns()).toBe(0);
      }
    }
    const stepped = check('Slice:f32', (s, values) => ({ node: kn('Slice', ['float32', 'int64', 'int64', 'int64', 'int64']), inputs: [values.tensor('float32', [s + 2, 3]), i64([0]), i64([9]), i64([0]), i64([2])] }));
    expect(stepped.referenceRuns()).toBeGreaterThan(0);
  });

  it('ultraface box decoding: Concat of [1, 4420, 2] halves on the last axis and its Slices run natively, exact', () => {
    const v = (key: string) => tracked(backend.variants().find((x) => x.key === key)!);
    const ref = (key: string) => referenceKernels().find((k) => k.key === key)!;
    const ctx = { alloc: (dt: DType, dims: readonly number[]) => new Tensor(dt, new Float32Array(dims.reduce((a, b) => a * b, 1)) as never, dims) } as never;
    const a = new Tensor('float32', Float32Array.from({ length: 8840 }, (_, i) => Math.sin(i) * 5), [1, 4420, 2]);
    const b = new Tensor('float32', Float32Array.from({ length: 8840 }, (_, i) => Math.cos(i) * 5), [1, 4420, 2]);
    const cat = v('Concat:f32');
    const node = kn('Concat', ['float32', 'float32'], { axis: 2 });
    const [y] = cat.variant.create(node).run([a, b], ctx);
    const [want] = ref('Concat:*').create(node).run([a, b], ctx);
    expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(want!.data as Float32Array));
    const sl = v('Slice:f32');
    const sn = kn('Slice', ['float32', 'int64', 'int64', 'int64']);
    const [lo] = sl.variant.create(sn).run([y, i64([2]), i64([Number.MAX_SAFE_INTEGER]), i64([2])], ctx);
    expect(Array.from(lo!.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    expect(cat.referenceRuns() + sl.referenceRuns()).toBe(0);
  });

  it('property: copyRuns copies exactly the runs asked for and refuses runs outside either array', () => {
    const { addon } = loaded as { addon: import('./addon.js').NativeAddon };
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), (run, count, dGap, sGap, backwards) => {
      const dStep = run + dGap;
      const sStep = run + sGap;
      const src = Uint8Array.from({ length: sStep * count }, (_, i) => (i * 37 + 11) & 255);
      const dst = new Uint8Array(dStep * count).fill(0xee);
      const s0 = backwards ? sStep * (count - 1) : 0;
      addon.copyRuns(dst, 0, dStep, src, s0, backwards ? -sStep : sStep, run, count);
      const want = new Uint8Array(dStep * count).fill(0xee);
      for (let c = 0; c < count; c++) for (let j = 0; j < run; j++) want[c * dStep + j] = src[s0 + (backwards ? -c : c) * sStep + j];
      expect(Array.from(dst)).toEqual(Array.from(want));
      expect(() => addon.copyRuns(dst, dStep - run + 1, dStep, src, 0, sStep, run, count)).toThrow(RangeError);
      expect(() => addon.copyRuns(dst, 0, dStep, src, 0, -1, run, count + 1)).toThrow(RangeError);
    }), { numRuns: 100 });
  });
});
