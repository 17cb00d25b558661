/**
 * Native MaxPool (float32, uint8, int8) against the scalar reference through the equivalence harness: bit-exact over
 * 1-D/2-D/3-D windows with strides, pads, dilations, ceil_mode and auto_pad (edge values, NaN, poisoned outputs), none
 * handed to the reference; a node asking for Indices is declined.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type AttrValue, type DType, type KernelNode } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();

const pool = (dtype: DType, attrs: Record<string, AttrValue>, outputCount = 1): KernelNode => ({
  name: 'pool0', opType: 'MaxPool', domain: '', opset: 22, attrs: new Map(Object.entries(attrs)), inputTypes: [dtype], outputCount,
});

const CASES: { label: string; spatial: (s: number) => number[]; attrs: Record<string, AttrValue> }[] = [
  { label: '2x2 stride 2 (mnist)', spatial: (s) => [s + 2, s + 3], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { label: '3x3 stride 1 pads 1', spatial: (s) => [s + 2, s + 1], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
  { label: '3x3 stride 2 ceil_mode, uneven pads', spatial: (s) => [s + 3, s + 4], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 } },
  { label: '2x3 dilations 2, SAME_UPPER', spatial: (s) => [s + 4, s + 5], attrs: { kernel_shape: [2, 3], dilations: [1, 2], auto_pad: 'SAME_UPPER' } },
  { label: '1-D k3 s2', spatial: (s) => [s + 3], attrs: { kernel_shape: [3], strides: [2] } },
  { label: '3x3 stride 3 (mnist second pool)', spatial: (s) => [s + 3, 3 * s + 4], attrs: { kernel_shape: [3, 3], strides: [3, 3] } },
  { label: '2x2 stride 2 wide rows (16-output steps, odd edge)', spatial: (s) => [s + 2, 37 * s + 3], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 } },
  { label: '2x2 stride 2 wide rows, pads on both sides', spatial: (s) => [s + 1, 40 * s + 5], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { label: '3x1 stride 1 dilation 3, pads larger than the row', spatial: (s) => [s + 2, s + 1], attrs: { kernel_shape: [3, 1], dilations: [3, 1], pads: [4, 2, 4, 2] } },
  { label: '3x3 stride 1 wide rows (8-output steps)', spatial: (s) => [s + 3, 9 * s + 3], attrs: { kernel_shape: [3, 3], pads: [0, 1, 0, 1] } },
  { label: '1x3 stride 1 dilation 2 wide rows', spatial: (s) => [s + 1, 9 * s + 5], attrs: { kernel_shape: [1, 3], dilations: [1, 2] } },
  { label: '3-D 2x2x2', spatial: (s) => [2, s + 2, s + 2], attrs: { kernel_shape: [2, 2, 2], strides: [1, 2, 2] } },
];

describe('native MaxPool equivalence', () => {
  if ('error' in loaded) return;
  for (const dtype of ['float32', 'uint8', 'int8'] as const) {
    const key = `MaxPool:${dtype === 'float32' ? 'f32' : dtype === 'uint8' ? 'u8' : 'i8'}`;
    it(`${key}: bit-exact on every window shape, nothing handed to the reference`, () => {
      const vs = backend.variants().filter((x) => x.key === key);
      expect(vs.map((x) => x.name)).toContain('native-scalar-c');
      for (const v of vs) for (const c of CASES) {
        const t = tracked(v);
        const build = (size: number, values: ValueSource) => ({ node: pool(dtype, c.attrs) as never, inputs: [values.tensor(dtype, [1 + (size % 2), 3, ...c.spatial(size)])] });
        const r = assertEquivalent({ registry: registryWith(t.variant), key, build, sizes: [0, 1, 4, 9], numRuns: 10 });
        expect(r.variants, c.label).toEqual([v.name]);
        expect(t.referenceRuns(), c.label).toBe(0);
      }
    });
  }
  it('one instance over inputs of changing shapes (the geometry it keeps is redone) matches the reference', () => {
    const n = pool('float32', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    const native = backend.variants().find((x) => x.key === 'MaxPool:f32' && x.name === 'native-scalar-c')!.create(n);
    const ref = referenceKernels().find((k) => k.key === 'MaxPool:f32' || k.key === 'MaxPool:*')!.create(n);
    for (const hw of [[7, 9], [4, 4], [7, 9], [12, 5]]) {
      const x = new Tensor('float32', Float32Array.from({ length: 2 * hw[0] * hw[1] }, (_, i) => Math.sin(i * 1.7) * 5), [1, 2, ...hw]);
      const got = native.run([x], freshRunContext)[0]!;
      const want = ref.run([x], freshRunContext)[0]!;
      expect(got.dims).toEqual(want.dims);
      expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    }
  });
  it('MaxPool:f32 after a Relu (+0 and positives only: zero maxima kept without the tap-order pass), with negatives, and with -0 or NaN among the zeros matches the reference', () => {
    const ref = referenceKernels().find((k) => k.key === 'MaxPool:f32' || k.key === 'MaxPool:*')!;
    for (const attrs of [{ kernel_shape: [2, 2], strides: [2, 2] }, { kernel_shape: [3, 3], strides: [3, 3] }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }] as Record<string, AttrValue>[]) {
      const n = pool('float32', attrs);
      for (const v of backend.variants().filter((x) => x.key === 'MaxPool:f32')) {
        const t = tracked(v);
        const native = t.variant.create(n);
        const want = ref.create(n);
        for (const poison of [null, -0, NaN]) for (const at of [0, 5, 37, 200]) {
          // Relu-like (+0 and positives) for at = 0, else negatives and +0 too; then the poison at about every 3rd zero
          const pick = at === 0 ? [0, 0, 1, 2.5] : [0, 0, -1, 1, -2.5, 3];
          let r = at + 7;
          const next = () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 16;
          const data = Float32Array.from({ length: 2 * 3 * 14 * 30 }, () => pick[next() % pick.length]!);
          if (poison !== null) for (let i = 0; i < data.length; i++) if (data[i] === 0 && next() % 3 === 0) data[i] = poison;
          const x = new Tensor('float32', data, [2, 3, 14, 30]);
          const got = native.run([x], freshRunContext)[0]!;
          const exp = want.run([x], freshRunContext)[0]!;
          expect(got.dims).toEqual(exp.dims);
          expect(Array.from(new Uint32Array(Float32Array.from(got.data as Float32Array).buffer)), `${v.name} ${JSON.stringify(attrs)} ${poison} at ${at}`)
            .toEqual(Array.from(new Uint32Array(Float32Array.from(exp.data as Float32Array).buffer)));
        }
        expect(t.referenceRuns()).toBe(0);
      }
    }
  });
  it('declines a node that asks for Indices', () => {
    const v = backend.variants().find((x) => x.key === 'MaxPool:f32' && x.name === 'native-scalar-c')!;
    expect(v.supports?.(pool('float32', { kernel_shape: [2, 2] }, 2))).toBe(false);
    expect(v.supports?.(pool('float32', { kernel_shape: [2, 2] }))).toBe(true);
  });
});
