/**
 * Native QuantizeLinear / DequantizeLinear against the reference through the equivalence harness: bit-exact with NaN,
 * infinities, exact .5 ties and saturation edges, per tensor and per axis (positive and negative axis).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type DType } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();

const scales = (n: number) => Float32Array.from({ length: n }, (_, i) => [0.5, 2, 0.1, 1, 0.0078125, 3][i % 6]);

function build(op: 'QuantizeLinear' | 'DequantizeLinear', q: DType) {
  return (size: number, values: ValueSource) => {
    const dims = [2, size + 1, 3];
    const x = op === 'QuantizeLinear' ? values.tensor('float32', dims) : values.tensor(q, dims);
    const perAxis = size % 2 === 1;
    const n = perAxis ? size + 1 : 1;
    const scale = new Tensor('float32', scales(n), perAxis ? [n] : []);
    const zp = size % 3 === 2 ? null : values.tensor(q, perAxis ? [n] : []);
    const attrs = new Map<string, number>(perAxis ? [['axis', size % 4 === 1 ? 1 : -2]] : []);
    const types: DType[] = op === 'QuantizeLinear' ? ['float32', 'float32', q] : [q, 'float32', q];
    const withAttr = { ...node(op, zp ? types : types.slice(0, 2)), attrs: (q === 'int8' && !zp && op === 'QuantizeLinear' ? new Map([...attrs, ['output_dtype', 3]]) : attrs) as never };
    return { node: withAttr, inputs: zp ? [x, scale, zp] : [x, scale] };
  };
}

describe('native QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear equivalence', () => {
  if ('error' in loaded) {
    it('reports ready=false when the addon is absent', () => {
      console.log(`kernels-native: addon absent, Q/DQ not tested: ${loaded.error}`);
      expect(backend.ready).toBe(false);
    });
    return;
  }
  for (const q of ['uint8', 'int8'] as const)
    for (const op of ['QuantizeLinear', 'DequantizeLinear'] as const) {
      const s = q === 'uint8' ? 'u8' : 'i8';
      const key = op === 'QuantizeLinear' ? `QuantizeLinear:f32->${s}` : `DequantizeLinear:${s}->f32`;
      it(`${key} is bit-exact`, () => {
        const v = backend.variants().find((x) => x.key === key)!;
        expect(v.isa).toBe(backend.info!.qgemm.some((k) => k.isa === 'avx2') ? 'avx2' : 'scalar-c');
        const t = tracked(v);
        assertEquivalent({ registry: registryWith(t.variant), key, build: build(op, q), sizes: [0, 1, 2, 3, 4, 5, 9, 16], numRuns: 40 });
        expect(t.referenceRuns()).toBe(0);
      });
    }
  it('DynamicQuantizeLinear:f32->u8 is bit-exact on finite inputs; non-finite ones get the reference error', () => {
    const key = 'DynamicQuantizeLinear:f32->u8';
    const v = backend.variants().find((x) => x.key === key)!;
    const t = tracked(v);
    const build = (size: number, values: ValueSource) => ({ node: node('DynamicQuantizeLinear', ['float32']), inputs: [values.tensor('float32', [size + 1, 3], { finite: true })] });
    assertEquivalent({ registry: registryWith(t.variant), key, build, sizes: [0, 1, 2, 7, 16], numRuns: 60 });
    // longer inputs: several 64-value blocks of the AVX-512 range pass and every tail length modulo 16
    const long = (size: number, values: ValueSource) => ({ node: node('DynamicQuantizeLinear', ['float32']), inputs: [values.tensor('float32', [size * 23 + 1, 7], { finite: true })] });
    assertEquivalent({ registry: registryWith(t.variant), key, build: long, sizes: [1, 2, 3, 5, 8, 13, 16], numRuns: 30 });
    expect(t.referenceRuns()).toBe(0);
    const inst = v.create(node('DynamicQuantizeLinear', ['float32']));
    const alloc = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, new ((d as string) === 'float32' ? Float32Array : Uint8Array)(dims.reduce((p, q) => p * q, 1)) as never, dims) };
    expect(() => inst.run([new Tensor('float32', Float32Array.of(1, NaN), [2])], alloc as never)).toThrow();
    // subnormal values whose range underflows the scale to 0 (found by fast-check: 168 x 2^-149 gave 255 on AVX2):
    // scale 1, zero point 0, y all 0 as the reference, in the scalar tails and the vector blocks alike
    const ref = referenceKernels().find((x) => x.key === key)!.create(node('DynamicQuantizeLinear', ['float32']));
    for (const len of [1, 7, 23, 168, 203])
      for (const pick of [() => 2 ** -149, (i: number) => (i % 3 - 1) * 2 ** -149, (i: number) => -(2 ** -145) * ((i % 5) / 4), (i: number) => (i % 2 ? 1 : -1) * 2 ** -144]) {
        const x = new Tensor('float32', Float32Array.from({ length: len }, (_, i) => pick(i)), [len]);
        const got = inst.run([x], alloc as never).map((o) => Array.from(o!.data as ArrayLike<number>));
        expect(got).toEqual(ref.run([x], alloc as never).map((o) => Array.from(o!.data as ArrayLike<number>)));
        expect([got[1], got[2], got[0]!.some((v) => v !== 0)]).toEqual([[1], [0], false]);
      }
    // inside the vector parts of longer inputs too (8-lane, 16-lane and 64-value blocks, tails; each non-finite value)
    for (const bad of [NaN, Infinity, -Infinity])
      for (const [len, at] of [[23, 0], [23, 5], [23, 9], [23, 16], [23, 22], [203, 0], [203, 63], [203, 64], [203, 150], [203, 192], [203, 202]]) {
        const x = Float32Array.from({ length: len }, (_, i) => Math.sin(i) * 3);
        x[at] = bad;
        expect(() => inst.run([new Tensor('float32', x, [len])], alloc as never)).toThrow();
      }
  });
  it('QuantizeLinear: every length 0..50 and every lane position of the special values, per tensor and per axis, bit-exact', () => {
    const specials = [NaN, Infinity, -Infinity, -0, 0.5, 1.5, -2.5, 2 ** 22, -(2 ** 22) - 1, 3.4e38, -3.4e38, 1e-45, 127.5, -128.5, 255.5, 254.5];
    for (const q of ['uint8', 'int8'] as const) {
      const key = `QuantizeLinear:f32->${q === 'uint8' ? 'u8' : 'i8'}`;
      const native = backend.variants().find((x) => x.key === key)!;
      const ref = referenceKernels().find((x) => x.key === key)!;
      for (let len = 0; len <= 50; len++) {
        for (const perAxis of [false, true]) {
          const xs = Float32Array.from({ length: 2 * len }, (_, i) => (i % 3 === 1 ? specials[(i + len) % specials.length] : Math.sin(i * 1.7 + len) * 300));
          const n = { ...node('QuantizeLinear', ['float32', 'float32', q]), attrs: new Map(perAxis ? [['axis', 0]] : []) as never };
          const scale = perAxis ? new Tensor('float32', Float32Array.of(0.5, 1), [2]) : new Tensor('float32', Float32Array.of(1), []);
          const zp = perAxis ? new Tensor(q, (q === 'uint8' ? Uint8Array.of(128, 3) : Int8Array.of(-3, 5)) as never, [2]) : new Tensor(q, (q === 'uint8' ? Uint8Array.of(7) : Int8Array.of(-7)) as never, []);
          const inputs = [new Tensor('float32', xs, [2, len]), scale, zp];
          const got = native.create(n).run(inputs, freshRunContext)[0]!.data;
          const want = ref.create(n).run(inputs, freshRunContext)[0]!.data;
          expect([q, len, perAxis, Array.from(got as Uint8Array)]).toEqual([q, len, perAxis, Array.from(want as Uint8Array)]);
        }
      }
    }
  });
});
