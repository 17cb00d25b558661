/**
 * Native float ops (float-ops.ts) against the scalar reference through the equivalence harness (size sweeps, poisoned
 * odd-offset buffers, edge values): broadcast Add/Sub/Mul/Div and Transpose exact, LayerNormalization exact, Softmax
 * within its declared 1 ulp, Exp within its declared 1 ulp. Also: the shapes the BERT-shaped benchmark uses, every variant really runs natively
 * (no reference fallback) on them, and the broadcast-collapse helper's law against a direct index computation.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { broadcastShapes, KernelRegistry, Tensor, freshRunContext, keyFor, referenceKernels, type AttrValue, type DType, type KernelNode } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { collapse } from './float-ops.js';
import { readyBackend, tracked } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();

function kn(opType: string, inputTypes: readonly (DType | null)[], attrs: Record<string, AttrValue> = {}, opset = 17, outputCount = 1): KernelNode {
  return { name: `${opType.toLowerCase()}0`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes, outputCount };
}

function check(key: string, build: (size: number, values: ValueSource) => { node: KernelNode; inputs: (Tensor | null)[] }, sizes = [0, 1, 3, 8, 17]) {
  const v = backend.variants().find((x) => x.key === key)!;
  expect(v).toBeDefined();
  const t = tracked(v);
  const refKey = referenceKernels().some((k) => k.key === key) ? key : `${key.slice(0, key.indexOf(':'))}:*`;
  const registry = new KernelRegistry().registerAll(referenceKernels().filter((k) => k.key === refKey)).register(t.variant);
  const r = assertEquivalent({ registry, key, build: (s, values) => build(s, values) as never, sizes, numRuns: 25 });
  expect(r.variants).toEqual([v.name]);
  return t;
}

describe('native float ops', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }

  it('registers the keys the runtime asks for', () => {
    for (const [op, t] of [['Add', 'float32'], ['Mul', 'float32'], ['Transpose', 'float32'], ['Transpose', 'uint8'], ['Softmax', 'float32'], ['LayerNormalization', 'float32']] as const) {
      const key = keyFor(kn(op, [t, t]));
      expect(backend.variants().some((v) => v.key === key)).toBe(true);
    }
  });

  const shapesFor = (s: number): [number[], number[]][] => [
    [[s, 4], [s, 4]], // same shape
    [[2, s, 3], [3]], // row vector
    [[s, 3, 1], [1, 1, 5]], // both broadcast
    [[], [s, 2]], // scalar a
    [[3, 1, s], [3, 2, 1]],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
    it(`${op}:f32 with numpy broadcasting is bit-exact`, () => {
      for (let shape = 0; shape < 5; shape++) {
        const t = check(`${op}:f32`, (s, values) => {
          const [da, db] = shapesFor(s)[shape];
          return { node: kn(op, ['float32', 'float32']), inputs: [values.tensor('float32', da), values.tensor('float32', db)] };
        });
        expect(t.referenceRuns()).toBe(0);
      }
    });
  }

  it('Transpose with attention perms and the default perm is exact, for 1-, 4- and 8-byte elements', () => {
    const cases: [DType, number[] | undefined, (s: number) => number[]][] = [
      ['float32', [0, 2, 1, 3], (s) => [1, s, 4, 3]],
      ['float32', [0, 2, 3, 1], (s) => [1, s, 4, 3]],
      ['uint8', [0, 2, 1, 3], (s) => [2, s, 3, 2]],
      ['uint8', [0, 2, 3, 1], (s) => [1, s + 1, 13, 10]], // a detection head's NCHW -> NHWC (ultraface's box and score heads)
      ['float32', [0, 2, 3, 1], (s) => [1, s + 60, 3, 5]], // 60..77 channels out
      ['int8', undefined, (s) => [s, 3, 2]],
      ['int64', [1, 0], (s) => [s, 5]],
      ['int32', [2, 0, 1], (s) => [3, s, 2]],
    ];
    for (const [dt, perm, dims] of cases) {
      const key = keyFor(kn('Transpose', [dt]));
      const t = check(key, (s, values) => ({ node: kn('Transpose', [dt], perm ? { perm } : {}), inputs: [values.tensor(dt, dims(s))] }));
      expect(t.referenceRuns()).toBe(0);
    }
  });

  it('LayerNormalization:f32 is bit-exact (with and without B, Mean and InvStdDev outputs, axis -1 and -2, 21 rows: two 8-row groups and 5 more)', () => {
    for (const [axis, outs, withBias, rows] of [[-1, 1, true, 3], [-1, 3, false, 3], [-2, 3, true, 3], [-1, 3, true, 7], [-1, 1, false, 7]] as const) {
      const t = check('LayerNormalization:f32', (s, values) => {
        const dims = [2 + (rows > 3 ? 1 : 0), rows, s];
        const inner = dims.slice(axis + 3);
        return {
          node: kn('LayerNormalization', ['float32', 'float32', withBias ? 'float32' : null], { axis, epsilon: 1e-5 }, 17, outs),
          inputs: [values.tensor('float32', dims), values.tensor('float32', inner), withBias ? values.tensor('float32', inner) : null],
        };
      });
      void t;
    }
  });

  it('lowbit.QLayerNorm:f32 (LayerNormalization then per-tensor QuantizeLinear) is bit-exact, u8 and i8, with and without B, past one stack block', () => {
    for (const [zp, withBias, rows] of [['uint8', true, 3], ['int8', false, 3], ['uint8', false, 300]] as const) {
      const t = check('lowbit.QLayerNorm:f32', (s, values) => ({
        node: { ...kn('QLayerNorm', ['float32', 'float32', withBias ? 'float32' : null, 'float32', zp], { axis: -1, epsilon: 1e-5 }), domain: 'lowbit' },
        inputs: [values.tensor('float32', [rows, s + 30]), values.tensor('float32', [s + 30]), withBias ? values.tensor('float32', [s + 30]) : null,
          new Tensor('float32', Float32Array.of(s % 2 ? 0.02 : 0.3), []), new Tensor(zp, (zp === 'uint8' ? Uint8Array.of(100 + s) : Int8Array.of(s - 5)) as never, [])],
      }), rows === 300 ? [0, 9] : undefined);
      expect(t.referenceRuns()).toBe(0);
    }
  });

  it('Softmax:f32 over the last axis within 1 ulp (and opset 11 over a trailing 2-D view)', () => {
    check('Softmax:f32', (s, values) => ({ node: kn('Softmax', ['float32'], { axis: -1 }), inputs: [values.tensor('float32', [2, 3, s])] }));
    check('Softmax:f32', (s, values) => ({ node: kn('Softmax', ['float32'], { axis: 1 }, 11), inputs: [values.tensor('float32', [2, s, 3])] }));
    // short rows in several blocks of rows (a detector's [anchors, 2] scores: 300 rows of 1..5)
    check('Softmax:f32', (s, values) => ({ node: kn('Softmax', ['float32'], { axis: -1 }), inputs: [values.tensor('float32', [300, (s % 5) + 1])] }), [0, 1, 2, 3, 4]);
  });

  it('Exp:f32 within its declared 1 ulp (edge values: NaN, +-inf, overflow above 88.72, subnormal results), natively', () => {
    const t = check('Exp:f32', (s, values) => ({ node: kn('Exp', ['float32']), inputs: [values.tensor('float32', [3, s + 5])] }), [0, 1, 3, 8, 17, 40]);
    expect(t.referenceRuns()).toBe(0);
    // every float32 bit pattern class around the boundaries, against fround(Math.exp(x))
    const xs = Float32Array.from([88.72, 88.7228, 88.73, 89, 89.5, 100, 709, 710, Infinity, -Infinity, NaN, -87.3, -103.2, -103.3, -104, -745, -746, 0, -0, 1e-30, -1e-30, 0.5, -0.5, 20.1]);
    const y = new Float32Array(xs.length);
    if ('addon' in loaded) loaded.addon.exp(xs, xs.length, y);
    xs.forEach((x, i) => {
      const want = Math.fround(Math.exp(x));
      if (Number.isNaN(want)) expect(y[i]).toBeNaN();
      else expect(Math.abs(y[i] - want) <= Math.abs(want) * 2 ** -23 || y[i] === want, `exp(${x}) = ${y[i]}, want ${want}`).toBe(true);
    });
  });

  it('the BERT-shaped benchmark shapes run natively and match the reference', () => {
    const rnd = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 4);
    const x = new Tensor('float32', rnd(64 * 256, 1), [1, 64, 256]);
    const g = new Tensor('float32', rnd(256, 2), [256]);
    const scores = new Tensor('float32', rnd(4 * 64 * 64, 3), [1, 4, 64, 64]);
    const heads = new Tensor('float32', rnd(64 * 256, 4), [1, 64, 4, 64]);
    const runs: [KernelNode, (Tensor | null)[]][] = [
      [kn('Add', ['float32', 'float32']), [x, g]],
      [kn('Mul', ['float32', 'float32']), [x, new Tensor('float32', Float32Array.of(0.125), [])]],
      [kn('LayerNormalization', ['float32', 'float32', 'float32'], { axis: -1, epsilon: 1e-12 }), [x, g, g]],
      [kn('Softmax', ['float32'], { axis: -1 }), [scores]],
      [kn('Transpose', ['float32'], { perm: [0, 2, 1, 3] }), [heads]],
      [kn('Transpose', ['float32'], { perm: [0, 2, 3, 1] }), [heads]],
    ];
    for (const [node, inputs] of runs) {
      const key = keyFor(node);
      const nat = tracked(backend.variants().find((v) => v.key === key)!);
      const ref = referenceKernels().find((v) => v.key === key) ?? referenceKernels().find((v) => v.key === `${node.opType}:*`)!;
      const got = nat.variant.create(node).run(inputs, freshRunContext)[0]!;
      const want = ref.create(node).run(inputs, freshRunContext)[0]!;
      expect(got.dims).toEqual(want.dims);
      const a = got.data as Float32Array;
      const b = want.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(new Int32Array(Float32Array.of(a[i]).buffer)[0] - new Int32Array(Float32Array.of(b[i]).buffer)[0]);
        worst = Math.max(worst, d);
      }
      expect(worst, key).toBeLessThanOrEqual(node.opType === 'Softmax' ? 1 : 0);
      expect(nat.referenceRuns()).toBe(0);
    }
  });

  it('property: collapse keeps every element at the same offsets (against direct strided indexing)', () => {
    const arbDims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 5 });
    fc.assert(fc.property(arbDims, fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (a, ones) => {
      const b = a.map((d, i) => (ones[i] ? 1 : d));
      const out = broadcastShapes({ name: 'property', opType: 'Add' }, [a, b]);
      const stridesOf = (d: number[]) => {
        const st = new Array<number>(out.length).fill(0);
        for (let k = d.length - 1, s = 1; k >= 0; k--) {
          st[out.length - d.length + k] = d[k] === 1 ? 0 : s;
          s *= d[k];
        }
        return st;
      };
      const sa = stridesOf(a);
      const sb = stridesOf(b);
      const offsets = (dims: number[], st: number[]) => {
        const res: number[] = [];
        const walk = (k: number, off: number) => {
          if (k === dims.length) return void res.push(off);
          for (let i = 0; i < dims[k]; i++) walk(k + 1, off + i * st[k]);
        };
        walk(0, 0);
        return res;
      };
      const c = collapse(out, [sa, sb]);
      expect(offsets(c.dims, c.strides[0])).toEqual(offsets(out, sa));
      expect(offsets(c.dims, c.strides[1])).toEqual(offsets(out, sb));
    }), { numRuns: 300 });
  });
});
