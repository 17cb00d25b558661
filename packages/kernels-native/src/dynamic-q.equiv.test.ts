/**
 * Every native `lowbit.DynamicQMatMul:f32` / `lowbit.DynamicQConv:f32` variant, each on its own, against the scalar
 * reference through the equivalence harness: bit-exact (the dynamic fusion must stay exact). Covers int8 and uint8
 * weights, per-tensor and per-column scales / zero points, bias or none, batch dims, conv geometries (depthwise too),
 * fused Relu / Clip activations, and the
 * reference fallback for a grouped convolution and for non-finite x (same error as the reference); and the
 * -dynamic-b variants (B an activation, attention) on batched and broadcast B.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type DType } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { DYNAMIC_QCONV_KEY, DYNAMIC_QCONV_QUANTIZE_KEY, DYNAMIC_QCONV_QUANTIZE_U8_KEY, DYNAMIC_QCONV_U8_KEY, DYNAMIC_QMATMUL_KEY, DYNAMIC_QMATMUL_SPLIT_KEY } from './dynamic-q.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(2);
const loaded = loadAddon();
const SIZES = [1, 2, 3, 5, 16, 17, 33];

/** Finite float32 values with a size-dependent spread (int8 draws scaled), so the dynamic range varies. */
const floats = (values: ValueSource, dims: number[], scale: number) =>
  new Tensor('float32', Float32Array.from(values.tensor('int8', dims).data as Int8Array, (v) => Math.fround(v * scale)), dims);

const lowbitNode = (op: string, types: (DType | null)[], constants: Map<number, Tensor>, attrs = new Map<string, unknown>()) =>
  ({ ...node(op, types, constants), domain: 'lowbit', opset: 1, attrs: attrs as never });

function buildMatMul(wType: 'int8' | 'uint8') {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 5 + 3) % 71 + (size > 16 ? 64 : 1);
    const N = size + 15;
    const lead = size % 2 === 1 ? [2] : [];
    const x = floats(values, [...lead, M, K], 0.37 / (size + 1));
    const w = values.tensor(wType, [K, N]);
    const perCol = size % 3 !== 0;
    const ws = new Tensor('float32', Float32Array.from({ length: perCol ? N : 1 }, (_, j) => Math.fround(0.01 + j / 997)), [perCol ? N : 1]);
    const zw = values.tensor(wType, perCol ? [N] : []);
    const bias = size % 2 === 0 ? floats(values, [size % 4 === 0 ? 1 : N], 0.1) : null;
    const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
    if (bias) consts.set(4, bias);
    return { node: lowbitNode('DynamicQMatMul', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts), inputs: [x, w, ws, zw, bias] };
  };
}

/** DynamicQMatMul with a residual (input 5) of the output's dims: the folded Add. */
function withResidual(build: ReturnType<typeof buildMatMul>) {
  return (size: number, values: ValueSource) => {
    const c = build(size, values);
    const [x, w] = c.inputs as [Tensor, Tensor];
    const r = floats(values, [...x.dims.slice(0, -1), w.dims[1]], 0.3);
    const inputs = [...c.inputs];
    while (inputs.length < 5) inputs.push(null);
    return { node: { ...c.node, inputTypes: [...c.node.inputTypes.slice(0, 5), 'float32' as const] }, inputs: [...inputs, r] };
  };
}

/** DynamicQMatMulSplit: even sizes on 16-column boundaries (the tiles store into the groups), odd ones anywhere. */
function buildSplit(wType: 'int8' | 'uint8') {
  return (size: number, values: ValueSource) => {
    const c = buildMatMul(wType)(size, values);
    const widths = size % 2 === 0 ? [16, 32 * (1 + (size % 3)), 16] : [1 + (size % 5), 2 + (size % 7), size + 15 - (1 + (size % 5)) - (2 + (size % 7))];
    const N = widths.reduce((a, b) => a + b, 0);
    const [x, , ws, , bias] = c.inputs as [Tensor, Tensor, Tensor, Tensor, Tensor | null];
    const K = x.dims[x.dims.length - 1];
    const w = values.tensor(wType, [K, N]);
    const wsN = ws.data.length === 1 ? ws : new Tensor('float32', Float32Array.from({ length: N }, (_, j) => Math.fround(0.01 + j / 997)), [N]);
    const zw = values.tensor(wType, ws.data.length === 1 ? [] : [N]);
    const b = bias && bias.data.length !== 1 ? floats(values, [N], 0.1) : bias;
    const consts = new Map<number, Tensor>([[1, w], [2, wsN], [3, zw]]);
    if (b) consts.set(4, b);
    const attrs = new Map<string, unknown>([['splits', widths]]);
    return { node: { ...lowbitNode('DynamicQMatMulSplit', ['float32', wType, 'float32', wType, b ? 'float32' : null], consts, attrs), outputCount: widths.length }, inputs: [x, w, wsN, zw, b] };
  };
}

function buildConv(wType: 'int8' | 'uint8') {
  return (size: number, values: ValueSource) => {
    const C = (size % 3) + 1;
    const M = size + 2;
    const k = size % 3 === 0 ? [1, 1] : [3, 3];
    const attrs = new Map<string, unknown>([['strides', [1 + (size % 2), 1]], ['pads', [size % 2, 1, 0, size % 3]], ...activationAttrs(size)]);
    const x = floats(values, [1 + (size % 2), C, size + 3, size + 4], 0.5 / (size + 1));
    const w = values.tensor(wType, [M, C, k[0], k[1]]);
    const ws = new Tensor('float32', Float32Array.of(Math.fround(0.013 * size * (size % 5 === 1 ? -1 : 1))), []);
    const zw = values.tensor(wType, size % 2 ? [M] : []);
    const bias = size % 2 === 0 ? floats(values, [M], 0.1) : null;
    const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
    if (bias) consts.set(4, bias);
    return { node: lowbitNode('DynamicQConv', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts, attrs), inputs: [x, w, ws, zw, bias] };
  };
}

/**
 * A fused activation by size: none, Relu, Clip, the HardSwish decomposition (two parameter sets) or HardSigmoid (two);
 * a negative w_scale at some sizes gives -0 sums for Relu to lift.
 */
const activationAttrs = (size: number): [string, unknown][] => {
  switch (size) {
    case 1: case 33: return [['activation', 1]];
    case 2: return [['activation', 2], ['activation_min', -0.25], ['activation_max', 0.125]];
    case 3: return [['activation', 3], ['activation_add', 3], ['activation_min', 0], ['activation_max', 6], ['activation_div', 6]];
    case 17: return [['activation', 3], ['activation_add', 0.25], ['activation_min', -0.5], ['activation_max', 0.75], ['activation_div', 3]];
    case 5: return [['activation', 4], ['activation_alpha', Math.fround(0.2)], ['activation_beta', 0.5]];
    case 16: return [['activation', 4], ['activation_alpha', Math.fround(1.7)], ['activation_beta', Math.fround(0.1)]];
    default: return [];
  }
};

/**
 * Depthwise (group = C, W [M, 1, k, k], M = C, 2C or 3C): the direct depthwise kernel with the float epilogue in its own
 * pass. 3x3 / 5x5, strides 1, 2 and (2, 1) as ppocr has them, odd and even widths, batch 2; stride_w 3 and dilation_w 2
 * take the kernels' other paths (the AVX512-VNNI build's staged planes).
 */
function buildDwConv(wType: 'int8' | 'uint8') {
  return (size: number, values: ValueSource) => {
    const C = (size % 4) + 2;
    const M = size % 3 === 0 ? 3 * C : size % 2 ? 2 * C : C;
    const k = size % 3 === 2 ? 5 : 3;
    const strides = size === 33 ? [1, 3] : size % 4 === 3 ? [2, 1] : [1 + (size % 2), 1 + (size % 2)];
    const attrs = new Map<string, unknown>([['group', C], ['strides', strides], ['pads', [1, 1, k >> 1, 1]], ...activationAttrs(size)]);
    if (size === 16) attrs.set('dilations', [1, 2]);
    const x = floats(values, [size % 5 === 2 ? 2 : 1, C, size + 4, size + 6], 0.5 / (size + 1));
    const w = values.tensor(wType, [M, 1, k, k]);
    const ws = new Tensor('float32', Float32Array.of(Math.fround(0.011 * size * (size % 5 === 1 ? -1 : 1))), []);
    const zw = values.tensor(wType, size % 2 ? [M] : []);
    const bias = size % 2 === 0 ? floats(values, [M], 0.1) : null;
    const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
    if (bias) consts.set(4, bias);
    return { node: lowbitNode('DynamicQConv', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts, attrs), inputs: [x, w, ws, zw, bias] };
  };
}

/**
 * The quantized-input form (lowbit.DynamicQConv:u8) of a conv case: x_q any bytes with a drawn x_zero_point and a
 * positive x_scale (inputs 0, 5, 6), the rest as the float case.
 */
function quantizedInput(build: ReturnType<typeof buildConv>) {
  return (size: number, values: ValueSource) => {
    const { node: n, inputs } = build(size, values);
    const xq = values.tensor('uint8', [...inputs[0]!.dims]);
    const xs = new Tensor('float32', Float32Array.of(Math.fround(0.5 / (size + 1) / 255 * (1 + (size % 7)))), []);
    const xz = values.tensor('uint8', []);
    const inputTypes: (DType | null)[] = ['uint8', ...n.inputTypes.slice(1, 4), n.inputTypes[4] ?? null, 'float32', 'uint8'];
    return { node: { ...n, inputTypes }, inputs: [xq, ...inputs.slice(1, 4), inputs[4] ?? null, xs, xz] };
  };
}

/** The same case as lowbit.DynamicQConvQuantize: DynamicQuantizeLinear of the convolution's result (y_q, y_scale, y_zp). */
function quantizeOut(build: ReturnType<typeof buildConv>) {
  return (size: number, values: ValueSource) => {
    const { node: n, inputs } = build(size, values);
    return { node: { ...n, opType: 'DynamicQConvQuantize', outputCount: 3 }, inputs };
  };
}

describe('native fused dynamic-int8 equivalence', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }

  for (const [key, build, what] of [[DYNAMIC_QMATMUL_KEY, buildMatMul, ''], [DYNAMIC_QMATMUL_KEY, (w: 'int8' | 'uint8') => withResidual(buildMatMul(w)), ' with a residual'], [DYNAMIC_QMATMUL_SPLIT_KEY, buildSplit, ' split into column groups'], [DYNAMIC_QCONV_KEY, buildConv, ' (fused Relu / Clip / HardSwish / HardSigmoid by size)'], [DYNAMIC_QCONV_KEY, buildDwConv, ' depthwise (fused Relu / Clip / HardSwish / HardSigmoid by size)'],
    [DYNAMIC_QCONV_U8_KEY, (w: 'int8' | 'uint8') => quantizedInput(buildConv(w)), ' quantized input'], [DYNAMIC_QCONV_U8_KEY, (w: 'int8' | 'uint8') => quantizedInput(buildDwConv(w)), ' quantized input, depthwise'],
    [DYNAMIC_QCONV_QUANTIZE_KEY, (w: 'int8' | 'uint8') => quantizeOut(buildConv(w)), ' quantized output'], [DYNAMIC_QCONV_QUANTIZE_KEY, (w: 'int8' | 'uint8') => quantizeOut(buildDwConv(w)), ' quantized output, depthwise'],
    [DYNAMIC_QCONV_QUANTIZE_U8_KEY, (w: 'int8' | 'uint8') => quantizeOut(quantizedInput(buildConv(w))), ' quantized input and output'],
    [DYNAMIC_QCONV_QUANTIZE_U8_KEY, (w: 'int8' | 'uint8') => quantizeOut(quantizedInput(buildDwConv(w))), ' quantized input and output, depthwise']] as const) {
    for (const wType of ['int8', 'uint8'] as const) {
      it(`${key}${what} (${wType} weights): every variant is bit-exact and runs natively`, () => {
        // (the -dynamic-b variants take a non-constant B: tested below)
        const variants = backend.variants().filter((v) => v.key === key && !v.name.endsWith('-dynamic-b'));
        expect(variants.map((v) => v.name)).toContain('native-scalar-c');
        for (const v of variants) {
          const t = tracked(v);
          const r = assertEquivalent({ registry: registryWith(t.variant), key, build: build(wType), sizes: SIZES, numRuns: 10 });
          expect(r.variants).toEqual([v.name]);
          expect(t.referenceRuns()).toBe(0);
        }
      });
    }
  }

  it('DynamicQConvQuantize on ultraface-sized planes, instances interleaved (one shared float scratch), pooled DynamicQuantizeLinear: bit-identical to the reference; a non-finite result gets the reference error', () => {
    const refQ = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY)!;
    const mk = (C: number, M: number, k: number, group: number, s: number, H: number, W: number, seed: number) => {
      const w = new Tensor('int8', Int8Array.from({ length: M * (C / group) * k * k }, (_, i) => ((i * 53 + seed) % 255) - 127), [M, C / group, k, k]);
      const ws = new Tensor('float32', Float32Array.of(0.0031 * (seed + 1)), []);
      const zw = new Tensor('int8', Int8Array.of(seed % 3 - 1), []);
      const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i + seed) * 0.3)), [M]);
      const attrs = new Map<string, unknown>([['group', group], ['pads', k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]], ['strides', [s, s]], ['activation', 1]]);
      const n = lowbitNode('DynamicQConvQuantize', ['uint8', 'int8', 'float32', 'int8', 'float32', 'float32', 'uint8'], new Map<number, Tensor>([[1, w], [2, ws], [3, zw], [4, bias]]), attrs);
      const x = new Tensor('uint8', Uint8Array.from({ length: C * H * W }, (_, i) => (i * 131 + seed * 7) % 256), [1, C, H, W]);
      return { n: { ...n, outputCount: 3 }, inputs: [x, w, ws, zw, bias, new Tensor('float32', Float32Array.of(0.02), []), new Tensor('uint8', Uint8Array.of(97), [])] };
    };
    const layers = [mk(16, 16, 3, 16, 1, 120, 160, 1), mk(16, 32, 1, 1, 1, 120, 160, 2), mk(32, 32, 3, 32, 2, 120, 160, 3), mk(32, 32, 1, 1, 1, 60, 80, 4)];
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY)) {
      const insts = layers.map((l) => v.create(l.n));
      for (let rep = 0; rep < 2; rep++) {
        layers.forEach((l, i) => {
          const got = insts[i]!.run(l.inputs, freshRunContext);
          const want = refQ.create(l.n).run(l.inputs, freshRunContext);
          expect(got.map((t) => t!.dims)).toEqual(want.map((t) => t!.dims));
          const bytes = (t: Tensor | null) => { const d = t!.data as Uint8Array | Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };
          for (let o = 0; o < 3; o++) expect(bytes(got[o]!).equals(bytes(want[o]!))).toBe(true);
        });
      }
      expect(insts.map((i) => (i as unknown as { referenceRuns: number }).referenceRuns)).toEqual([0, 0, 0, 0]);
    }
    // the float form of a 1x1 convolution of a 1x1 input (squeeze-excite: one GEMM row), then quantized
    const se = mk(50, 200, 1, 1, 1, 1, 1, 5);
    const seNode = { ...se.n, inputTypes: ['float32', 'int8', 'float32', 'int8', 'float32'] as (DType | null)[] };
    const seIn = [new Tensor('float32', Float32Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i) * 2)), [1, 50, 1, 1]), ...se.inputs.slice(1, 5)];
    const refF = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_KEY)!;
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_QUANTIZE_KEY)) {
      const got = v.create(seNode).run(seIn, freshRunContext);
      const want = refF.create(seNode).run(seIn, freshRunContext);
      expect(got.map((t) => [t!.dtype, ...t!.dims])).toEqual(want.map((t) => [t!.dtype, ...t!.dims]));
      for (let o = 0; o < 3; o++) expect(Array.from(got[o]!.data as Uint8Array)).toEqual(Array.from(want[o]!.data as Uint8Array));
    }
    // the float form with constant operands: bound in the addon after the first run (later runs one native call), then quantized
    for (const [C, M, group] of [[16, 16, 16], [8, 24, 1]] as const) {
      const l = mk(C, M, 3, group, 1, 60, 80, 6);
      const fNode = { ...l.n, inputTypes: ['float32', 'int8', 'float32', 'int8', 'float32'] as (DType | null)[], constants: new Map<number, Tensor>([[1, l.inputs[1]!], [2, l.inputs[2]!], [3, l.inputs[3]!], [4, l.inputs[4]!]]) };
      const fIn = [new Tensor('float32', Float32Array.from({ length: C * 4800 }, (_, i) => Math.fround(Math.cos(i * 0.31) * 1.5)), [1, C, 60, 80]), ...l.inputs.slice(1, 5)];
      const want = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_KEY)!.create(fNode).run(fIn, freshRunContext);
      for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_QUANTIZE_KEY)) {
        const inst = v.create(fNode);
        for (let rep = 0; rep < 3; rep++) {
          const got = inst.run(fIn, freshRunContext);
          for (let o = 0; o < 3; o++) expect(Array.from(got[o]!.data as Uint8Array)).toEqual(Array.from(want[o]!.data as Uint8Array));
        }
        // bound from the second run on where the kernel has a direct convolution (every depthwise kernel; not the
        // portable one for a dense node)
        const b = (inst as unknown as { boundRuns: number }).boundRuns;
        expect(group === 1 && v.name === 'native-scalar-c' ? [0, 2] : [2]).toContain(b);
      }
    }
    // w = [127, -127], w_scale 3e38: the result overflows to -inf; native variants fall back to the reference's error
    const w = new Tensor('int8', Int8Array.of(127, -127), [1, 1, 1, 2]);
    const n = { ...lowbitNode('DynamicQConvQuantize', ['float32', 'int8', 'float32', 'int8'], new Map<number, Tensor>([[1, w]])), outputCount: 3 };
    const args = [new Tensor('float32', Float32Array.of(1, 2), [1, 1, 1, 2]), w, new Tensor('float32', Float32Array.of(3e38), []), new Tensor('int8', Int8Array.of(0), [])];
    const refError = (() => { try { referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_KEY)!.create(n).run(args, freshRunContext); } catch (e) { return (e as Error).message; } return 'none'; })();
    expect(refError).toMatch(/finite|NaN|inf/i);
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_QUANTIZE_KEY)) expect(() => v.create(n).run(args, freshRunContext)).toThrow(refError);
  });

  it('DynamicQConvQuantize on an AVX512-VNNI CPU quantizes with the range its convolution\'s epilogue gathered (no range pass), for the dense, depthwise and bound forms: the reference\'s bytes; an infinite result still gets the reference error', () => {
    const addon = (loaded as unknown as { addon: Record<string, (...a: unknown[]) => unknown> }).addon;
    const calls = { quantizeLinearRanged: 0, dynamicQuantizeLinear: 0 };
    const saved = { quantizeLinearRanged: addon.quantizeLinearRanged, dynamicQuantizeLinear: addon.dynamicQuantizeLinear };
    for (const k of Object.keys(calls) as (keyof typeof calls)[]) addon[k] = (...a: unknown[]) => (calls[k]++, saved[k]!.apply(addon, a));
    onTestFinished(() => void Object.assign(addon, saved));
    const vnni = backend.variants().some((v) => v.isa === 'avx512-vnni');
    let rangedSeen = 0;
    const refU8 = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY)!;
    const refF = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_KEY)!;
    const bytes = (t: Tensor | null) => { const d = t!.data as Uint8Array | Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };
    // uint8 weights with a zero point far from 128 (what quantizeDynamic writes for ConvInteger): the swapped depthwise
    // operands and the dense kernel's column sums; Relu and Clip; float input (bound after the first run) and quantized
    for (const [C, M, k, group, s, H, W, act, wScale] of [[16, 16, 3, 16, 1, 48, 70, 1, 0.004], [16, 32, 1, 1, 1, 40, 64, 2, 0.003], [3, 16, 3, 1, 2, 64, 80, 1, 0.002], [32, 32, 3, 32, 2, 40, 50, 0, 0.005]] as const) {
      const w = new Tensor('uint8', Uint8Array.from({ length: M * (C / group) * k * k }, (_, i) => (i * 97 + 11) % 256), [M, C / group, k, k]);
      const zw = new Tensor('uint8', Uint8Array.of(156), []);
      const ws = new Tensor('float32', Float32Array.of(wScale), []);
      const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.cos(i) * 0.2)), [M]);
      const attrs = new Map<string, unknown>([['group', group], ['pads', k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]], ['strides', [s, s]], ['activation', act], ['activation_min', -0.5], ['activation_max', 1.5]]);
      const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw], [4, bias]]);
      const u8 = { ...lowbitNode('DynamicQConvQuantize', ['uint8', 'uint8', 'float32', 'uint8', 'float32', 'float32', 'uint8'], consts, attrs), outputCount: 3 };
      const f32 = { ...lowbitNode('DynamicQConvQuantize', ['float32', 'uint8', 'float32', 'uint8', 'float32'], consts, attrs), outputCount: 3 };
      const xq = new Tensor('uint8', Uint8Array.from({ length: C * H * W }, (_, i) => (i * 131 + 7) % 256), [1, C, H, W]);
      const xf = new Tensor('float32', Float32Array.from({ length: C * H * W }, (_, i) => Math.fround(Math.sin(i * 0.37) * 2)), [1, C, H, W]);
      const cases = [[u8, refU8, [xq, w, ws, zw, bias, new Tensor('float32', Float32Array.of(0.02), []), new Tensor('uint8', Uint8Array.of(97), [])]], [f32, refF, [xf, w, ws, zw, bias]]] as const;
      for (const [n, ref, inputs] of cases) {
        const want = ref.create(n).run(inputs, freshRunContext);
        for (const v of backend.variants().filter((x) => x.key === (n === u8 ? DYNAMIC_QCONV_QUANTIZE_U8_KEY : DYNAMIC_QCONV_QUANTIZE_KEY) && x.isa === 'avx512-vnni')) {
          const inst = v.create(n);
          for (let rep = 0; rep < 2; rep++) {
            calls.quantizeLinearRanged = calls.dynamicQuantizeLinear = 0;
            const got = inst.run(inputs, freshRunContext);
            for (let o = 0; o < 3; o++) expect(bytes(got[o]!).equals(bytes(want[o]!))).toBe(true);
            // the first (unbound) run quantizes the float input with dynamicQuantizeLinear and the result from the
            // gathered range with quantizeLinearRanged; then the operands are bound and both happen inside the one call
            expect(calls.quantizeLinearRanged).toBe(rep === 0 ? 1 : 0);
            expect(calls.dynamicQuantizeLinear).toBe(n === f32 && rep === 0 ? 1 : 0);
            expect((inst as unknown as { boundRuns: number }).boundRuns).toBe(rep);
            rangedSeen += calls.quantizeLinearRanged;
          }
          expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
        }
      }
    }
    expect(vnni ? rangedSeen : 1).toBeGreaterThan(0);
    // a depthwise result that overflows to +inf (w_scale 3e38): the gathered range is refused, the reference reports it
    const w = new Tensor('uint8', Uint8Array.from({ length: 4 * 9 }, (_, i) => (i * 37) % 256), [4, 1, 3, 3]);
    const n = { ...lowbitNode('DynamicQConvQuantize', ['uint8', 'uint8', 'float32', 'uint8', 'float32', 'float32', 'uint8'], new Map<number, Tensor>([[1, w]]), new Map<string, unknown>([['group', 4], ['pads', [1, 1, 1, 1]]])), outputCount: 3 };
    const args = [new Tensor('uint8', Uint8Array.from({ length: 4 * 30 * 40 }, (_, i) => i % 256), [1, 4, 30, 40]), w, new Tensor('float32', Float32Array.of(3e38), []), new Tensor('uint8', Uint8Array.of(3), []), null, new Tensor('float32', Float32Array.of(1), []), new Tensor('uint8', Uint8Array.of(0), [])];
    const refError = (() => { try { refU8.create(n).run(args, freshRunContext); } catch (e) { return (e as Error).message; } return 'none'; })();
    expect(refError).toMatch(/finite|NaN|inf/i);
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY)) expect(() => v.create(n).run(args, freshRunContext)).toThrow(refError);
  });

  it('DynamicQConvQuantize with a short reduction and a large result on a one-thread backend runs two passes over the sums (no float result): the reference\'s bytes for 1x1 and 3x3 (c4) layers, quantized and float input, uint8 weights with zero point 128 or not; a non-finite result gets the reference error', async () => {
    const one = await readyBackend(1);
    // the one-pass form quantizes its float result with quantizeLinearRanged / dynamicQuantizeLinear; two passes call neither
    const addon = (loaded as unknown as { addon: Record<string, (...a: unknown[]) => unknown> }).addon;
    const saved = { quantizeLinearRanged: addon.quantizeLinearRanged, dynamicQuantizeLinear: addon.dynamicQuantizeLinear };
    let onePass = 0;
    for (const k of Object.keys(saved) as (keyof typeof saved)[]) addon[k] = (...a: unknown[]) => (onePass++, saved[k]!.apply(addon, a));
    onTestFinished(() => void Object.assign(addon, saved));
    const ref = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY)!;
    const bytes = (t: Tensor | null) => { const d = t!.data as Uint8Array | Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };
    const vnni = one.variants().some((v) => v.key === DYNAMIC_QCONV_QUANTIZE_U8_KEY && v.isa === 'avx512-vnni');
    let expected = 0;
    // (each result holds >= 2^18 values: the two-pass threshold; the last one overflows to +inf)
    for (const [C, M, k, s, H, W, act, zwv, wScale] of [[16, 32, 1, 1, 120, 160, 1, 128, 0.003], [3, 16, 3, 2, 240, 321, 2, 128, 0.01], [16, 24, 1, 1, 120, 121, 0, 156, 0.002], [1, 8, 3, 1, 256, 160, 1, 9, 3e38]] as const) {
      const w = new Tensor('uint8', Uint8Array.from({ length: M * C * k * k }, (_, i) => (i * 89 + 3) % 256), [M, C, k, k]);
      const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i) * 0.3)), [M]);
      const attrs = new Map<string, unknown>([['pads', k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]], ['strides', [s, s]], ['activation', act], ['activation_min', -0.25], ['activation_max', 2]]);
      const consts = new Map<number, Tensor>([[1, w], [2, new Tensor('float32', Float32Array.of(wScale), [])], [3, new Tensor('uint8', Uint8Array.of(zwv), [])], [4, bias]]);
      // the quantized-input form, and for the 3x3 stride 2 layer the float-input form too (the first layer of a network)
      const floatInput = C === 3;
      const n = floatInput
        ? { ...lowbitNode('DynamicQConvQuantize', ['float32', 'uint8', 'float32', 'uint8', 'float32'], consts, attrs), outputCount: 3 }
        : { ...lowbitNode('DynamicQConvQuantize', ['uint8', 'uint8', 'float32', 'uint8', 'float32', 'float32', 'uint8'], consts, attrs), outputCount: 3 };
      const inputs = floatInput
        ? [new Tensor('float32', Float32Array.from({ length: C * H * W }, (_, i) => Math.fround(Math.sin(i * 0.01) * 1.7)), [1, C, H, W]), w, consts.get(2)!, consts.get(3)!, bias]
        : [new Tensor('uint8', Uint8Array.from({ length: C * H * W }, (_, i) => (i * 131 + 17) % 256), [1, C, H, W]), w, consts.get(2)!, consts.get(3)!, bias, new Tensor('float32', Float32Array.of(0.02), []), new Tensor('uint8', Uint8Array.of(101), [])];
      const refQ = floatInput ? referenceKernels().find((r) => r.key === DYNAMIC_QCONV_QUANTIZE_KEY)! : ref;
      const finite = wScale < 1;
      const refError = finite ? undefined : (() => { try { refQ.create(n).run(inputs, freshRunContext); } catch (e) { return (e as Error).message; } return 'none'; })();
      const want = finite ? refQ.create(n).run(inputs, freshRunContext) : undefined;
      for (const v of one.variants().filter((x) => x.key === (floatInput ? DYNAMIC_QCONV_QUANTIZE_KEY : DYNAMIC_QCONV_QUANTIZE_U8_KEY))) {
        const inst = v.create(n);
        if (v.isa === 'avx512-vnni') expected++;
        if (!finite) {
          expect(refError).toMatch(/finite|NaN|inf/i);
          expect(() => inst.run(inputs, freshRunContext)).toThrow(refError);
          continue;
        }
        for (let rep = 0; rep < 2; rep++) {
          onePass = 0;
          const got = inst.run(inputs, freshRunContext);
          for (let o = 0; o < 3; o++) expect(bytes(got[o]!).equals(bytes(want![o]!))).toBe(true);
          // one pass would quantize its float result; the float-input form quantizes only its x (once per run)
          if (v.isa === 'avx512-vnni') expect(onePass).toBe(floatInput ? 1 : 0);
        }
      }
    }
    expect(vnni ? expected : 4).toBe(4);
  });

  it('depthwise on large planes (channel multiplier 1 and 2, stride 2, batch 2, per-channel zero points, fused activations): bit-identical to the reference, the epilogue in the convolution (no int32 pass)', () => {
    const ref = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_KEY)!;
    // every depthwise node runs dwConvScaled, none the int32 sums plus scaleAccumulators
    const addon = (loaded as unknown as { addon: Record<string, (...a: unknown[]) => unknown> }).addon;
    const calls = { dwConvScaled: 0, dwConv: 0, scaleAccumulators: 0 };
    const saved = { dwConvScaled: addon.dwConvScaled, dwConv: addon.dwConv, scaleAccumulators: addon.scaleAccumulators };
    for (const k of Object.keys(calls) as (keyof typeof calls)[]) addon[k] = (...a: unknown[]) => (calls[k]++, saved[k]!.apply(addon, a));
    onTestFinished(() => void Object.assign(addon, saved));
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_KEY && !x.name.endsWith('-dynamic-b'))) {
      for (const [C, k, H, W, s, act] of [[7, 1, 100, 120, 1, 1], [5, 2, 61, 97, 2, 3], [3, 2, 150, 160, 1, 4]] as const) {
        const M = C * k;
        const w = new Tensor('int8', Int8Array.from({ length: M * 9 }, (_, i) => ((i * 53) % 255) - 127), [M, 1, 3, 3]);
        const ws = new Tensor('float32', Float32Array.of(0.0173), []);
        const zw = new Tensor('int8', Int8Array.from({ length: M }, (_, i) => (i % 5) - 2), [M]);
        const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i) * 0.3)), [M]);
        const attrs = new Map<string, unknown>([['group', C], ['pads', [1, 1, 1, 1]], ['strides', [s, s]], ['activation', act]]);
        const n = lowbitNode('DynamicQConv', ['float32', 'int8', 'float32', 'int8', 'float32'], new Map<number, Tensor>([[1, w], [2, ws], [3, zw], [4, bias]]), attrs);
        const x = new Tensor('float32', Float32Array.from({ length: 2 * C * H * W }, (_, i) => Math.fround(Math.sin(i * 0.77) * 2.5)), [2, C, H, W]);
        const inst = v.create(n);
        const got = inst.run([x, w, ws, zw, bias], freshRunContext)[0]!;
        const want = ref.create(n).run([x, w, ws, zw, bias], freshRunContext)[0]!;
        expect(got.dims).toEqual(want.dims);
        expect(Buffer.from((got.data as Float32Array).buffer).equals(Buffer.from((want.data as Float32Array).buffer))).toBe(true);
        expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
      }
    }
    expect(calls.dwConvScaled).toBeGreaterThan(0);
    expect(calls.dwConv + calls.scaleAccumulators).toBe(0);
  });

  it('dense convolutions on large planes (1x1, 3x3 stride 1 / 2 with pads, C = 3, odd widths, M across strips, batch 2, per-tensor and per-channel zero points, every activation): bit-identical to the reference', () => {
    const ref = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_KEY)!;
    // [C, M, k, H, W, stride, pads, activation, per-channel zero points, weight type]
    const cases = [
      [16, 32, 1, 61, 97, 1, [0, 0, 0, 0], 1, false, 'uint8'],
      [3, 16, 3, 119, 161, 2, [1, 1, 1, 1], 1, false, 'uint8'],
      [12, 16, 3, 37, 41, 1, [1, 1, 1, 1], 0, true, 'int8'],
      [8, 13, 3, 30, 40, 1, [1, 1, 1, 1], 2, false, 'uint8'],
      [64, 6, 3, 4, 5, 1, [1, 1, 1, 1], 3, true, 'uint8'],
      [64, 25, 1, 15, 21, 1, [0, 0, 0, 0], 4, false, 'int8'],
      [5, 12, 3, 33, 47, 2, [0, 1, 1, 0], 3, false, 'int8'],
      [32, 64, 1, 30, 40, 2, [0, 0, 0, 0], 1, true, 'uint8'],
    ] as const;
    const actAttrs: Record<number, [string, unknown][]> = {
      0: [], 1: [['activation', 1]], 2: [['activation', 2], ['activation_min', -0.25], ['activation_max', 0.5]],
      3: [['activation', 3], ['activation_add', 3], ['activation_min', 0], ['activation_max', 6], ['activation_div', 6]],
      4: [['activation', 4], ['activation_alpha', Math.fround(0.2)], ['activation_beta', 0.5]],
    };
    for (const v of backend.variants().filter((x) => x.key === DYNAMIC_QCONV_KEY && !x.name.endsWith('-dynamic-b'))) {
      for (const [C, M, k, H, W, s, pads, act, perChannel, wType] of cases) {
        const K = C * k * k;
        const wd = Int8Array.from({ length: M * K }, (_, i) => ((i * 53 + (i >> 7) * 11) % 255) - 127);
        const w = wType === 'int8' ? new Tensor('int8', wd, [M, C, k, k]) : new Tensor('uint8', Uint8Array.from(wd, (q) => q + 128), [M, C, k, k]);
        const ws = new Tensor('float32', Float32Array.of(0.0173 / Math.sqrt(K)), []);
        const zwv = (i: number) => (wType === 'int8' ? (i % 7) - 3 : 120 + (i % 19));
        const zw = wType === 'int8' ? new Tensor('int8', Int8Array.from({ length: perChannel ? M : 1 }, (_, i) => zwv(i)), perChannel ? [M] : []) : new Tensor('uint8', Uint8Array.from({ length: perChannel ? M : 1 }, (_, i) => zwv(i)), perChannel ? [M] : []);
        const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i) * 0.3)), [M]);
        const attrs = new Map<string, unknown>([['pads', pads], ['strides', [s, s]], ...actAttrs[act]]);
        const n = lowbitNode('DynamicQConv', ['float32', wType, 'float32', wType, 'float32'], new Map<number, Tensor>([[1, w], [2, ws], [3, zw], [4, bias]]), attrs);
        const x = new Tensor('float32', Float32Array.from({ length: 2 * C * H * W }, (_, i) => Math.fround(Math.sin(i * 0.77) * 2.5 + (i % 3) * 0.5)), [2, C, H, W]);
        const inst = v.create(n);
        const got = inst.run([x, w, ws, zw, bias], freshRunContext)[0]!;
        const want = ref.create(n).run([x, w, ws, zw, bias], freshRunContext)[0]!;
        expect(got.dims).toEqual(want.dims);
        const same = Buffer.from((got.data as Float32Array).buffer).equals(Buffer.from((want.data as Float32Array).buffer));
        if (!same) throw new Error(`${v.name}: C=${C} M=${M} k=${k} ${H}x${W} s=${s} act=${act} differs from the reference`);
        expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
      }
    }
  });

  it('1x1 convolutions of a 1x1 input (squeeze-excite after a GlobalAveragePool): one GEMM call per run (no separate DynamicQuantizeLinear), every activation, bit-identical to the reference; non-finite x gets the reference error', () => {
    const ref = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_KEY)!;
    const addon = (loaded as unknown as { addon: Record<string, (...a: unknown[]) => unknown> }).addon;
    const saved = addon.dynamicQuantizeLinear!;
    let dqCalls = 0;
    addon.dynamicQuantizeLinear = (...a: unknown[]) => (dqCalls++, saved.apply(addon, a));
    onTestFinished(() => {
      addon.dynamicQuantizeLinear = saved;
    });
    const actAttrs: [string, unknown][][] = [
      [], [['activation', 1]], [['activation', 2], ['activation_min', -0.25], ['activation_max', 0.5]],
      [['activation', 3], ['activation_add', 3], ['activation_min', 0], ['activation_max', 6], ['activation_div', 6]],
      [['activation', 4], ['activation_alpha', Math.fround(0.2)], ['activation_beta', 0.5]],
      [['activation', 4], ['activation_alpha', Math.fround(1 / 6)], ['activation_beta', 0.5]],
    ];
    // [C, M, batch, per-channel zero points, weight type, bias, strides]
    const cases = [
      [200, 50, 1, false, 'int8', true, [1, 1]], [50, 200, 1, true, 'int8', true, [1, 1]], [8, 2, 1, false, 'uint8', false, [1, 1]],
      [88, 22, 3, true, 'uint8', true, [2, 2]], [3, 70, 2, false, 'int8', false, [1, 1]], [130, 17, 1, true, 'int8', true, [1, 1]],
    ] as const;
    const variants = backend.variants().filter((x) => x.key === DYNAMIC_QCONV_KEY && !x.name.endsWith('-dynamic-b'));
    for (const v of variants) {
      for (const [ci, [C, M, N, perChannel, wType, withBias, strides]] of cases.entries()) {
        for (const [ai, act] of actAttrs.entries()) {
          const wd = Int8Array.from({ length: M * C }, (_, i) => ((i * 53 + (i >> 5) * 11 + ai) % 255) - 127);
          const w = wType === 'int8' ? new Tensor('int8', wd, [M, C, 1, 1]) : new Tensor('uint8', Uint8Array.from(wd, (q) => q + 128), [M, C, 1, 1]);
          const ws = new Tensor('float32', Float32Array.of(Math.fround((ci % 2 ? -0.0173 : 0.0173) / Math.sqrt(C))), []);
          const zwv = (i: number) => (wType === 'int8' ? (i % 7) - 3 : 120 + (i % 19));
          const zl = perChannel ? M : 1;
          const zw = wType === 'int8' ? new Tensor('int8', Int8Array.from({ length: zl }, (_, i) => zwv(i)), perChannel ? [M] : []) : new Tensor('uint8', Uint8Array.from({ length: zl }, (_, i) => zwv(i)), perChannel ? [M] : []);
          const bias = withBias ? new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i) * 0.3)), [M]) : null;
          const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
          if (bias) consts.set(4, bias);
          const n = lowbitNode('DynamicQConv', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts, new Map<string, unknown>([['strides', strides], ...act]));
          // values around the activations' corners: 0, the HardSigmoid / HardSwish knees, and spread ones
          const x = new Tensor('float32', Float32Array.from({ length: N * C }, (_, i) => Math.fround(i % 11 === 0 ? 0 : Math.sin(i * 0.77 + ai) * (2 + ci) + (i % 3) * 0.5)), [N, C, 1, 1]);
          const inputs = [x, w, ws, zw, bias];
          const inst = v.create(n);
          const before = dqCalls;
          const got = inst.run(inputs, freshRunContext)[0]!;
          const want = ref.create(n).run(inputs, freshRunContext)[0]!;
          expect(got.dims).toEqual([N, M, 1, 1]);
          expect(got.dims).toEqual(want.dims);
          const [g, wnt] = [got.data as Float32Array, want.data as Float32Array];
          const same = Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(wnt.buffer, wnt.byteOffset, wnt.byteLength));
          if (!same) throw new Error(`${v.name}: C=${C} M=${M} N=${N} act=${ai} differs from the reference`);
          expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
          expect(dqCalls - before).toBe(0); // quantized inside the GEMM call
        }
      }
      const w = new Tensor('int8', Int8Array.from({ length: 6 }, (_, i) => i - 3), [3, 2, 1, 1]);
      const ws = new Tensor('float32', Float32Array.of(0.02), []);
      const inst = v.create(lowbitNode('DynamicQConv', ['float32', 'int8', 'float32'], new Map<number, Tensor>([[1, w], [2, ws]])));
      expect(() => inst.run([new Tensor('float32', Float32Array.of(1, Number.NaN), [1, 2, 1, 1]), w, ws], freshRunContext)).toThrow(/finite/);
    }
  });

  it('binds a float-input DynamicQConv whose operands are the node constants (dense and depthwise, every activation): one addon call per run after the first, bit-identical to the reference for new x values; other dims, other operand tensors and non-finite x leave or refuse the bound path', () => {
    const ref = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_KEY)!;
    const acts: [string, unknown][][] = [[], [['activation', 1]], [['activation', 3], ['activation_add', 3], ['activation_min', 0], ['activation_max', 6], ['activation_div', 6]],
      [['activation', 4], ['activation_alpha', Math.fround(0.2)], ['activation_beta', 0.5]], [['activation', 2], ['activation_min', -0.25], ['activation_max', 0.5]]];
    // [C, M, k, group, H, W, stride, weight type, per-channel zero points, bias]
    const cases = [
      [8, 16, 1, 1, 6, 40, 1, 'int8', false, true], [3, 8, 3, 1, 12, 30, 2, 'uint8', true, false],
      [16, 16, 5, 16, 3, 37, 1, 'uint8', true, true], [8, 16, 3, 8, 9, 20, 2, 'int8', false, false],
    ] as const;
    const variants = backend.variants().filter((x) => x.key === DYNAMIC_QCONV_KEY && !x.name.endsWith('-dynamic-b'));
    let boundSeen = 0;
    for (const v of variants) {
      for (const [ci, [C, M, k, group, H, W, s, wType, perChannel, withBias]] of cases.entries()) {
        const act = acts[ci % acts.length]!;
        const K = (C / group) * k * k;
        const wd = Int8Array.from({ length: M * K }, (_, i) => ((i * 97 + ci * 13) % 255) - 127);
        const w = wType === 'int8' ? new Tensor('int8', wd, [M, C / group, k, k]) : new Tensor('uint8', Uint8Array.from(wd, (q) => q + 128), [M, C / group, k, k]);
        const ws = new Tensor('float32', Float32Array.of(Math.fround(0.021 / Math.sqrt(K))), []);
        const zl = perChannel ? M : 1;
        const zw = wType === 'int8' ? new Tensor('int8', Int8Array.from({ length: zl }, (_, i) => (i % 5) - 2), perChannel ? [M] : []) : new Tensor('uint8', Uint8Array.from({ length: zl }, (_, i) => 125 + (i % 7)), perChannel ? [M] : []);
        const bias = withBias ? new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.cos(i) * 0.2)), [M]) : null;
        const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
        if (bias) consts.set(4, bias);
        const attrs = new Map<string, unknown>([['strides', [s, s]], ['pads', [k >> 1, k >> 1, k >> 1, k >> 1]], ['group', group], ...act]);
        const n = lowbitNode('DynamicQConv', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts, attrs);
        const inst = v.create(n) as unknown as { run: (i: (Tensor | null)[], r: typeof freshRunContext) => Tensor[]; boundRuns: number; referenceRuns: number };
        const refInst = ref.create(n);
        const xOf = (seed: number, dims: number[]) => new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.61 + seed) * (1 + seed) + (i % 4) * 0.25)), dims);
        const check = (x: Tensor, inputs: (Tensor | null)[]) => {
          const got = inst.run(inputs, freshRunContext)[0]!;
          const want = refInst.run(inputs, freshRunContext)[0]!;
          expect(got.dims).toEqual(want.dims);
          const [g, wt] = [got.data as Float32Array, want.data as Float32Array];
          if (!Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(wt.buffer, wt.byteOffset, wt.byteLength))) throw new Error(`${v.name} case ${ci}: x ${x.dims.join('x')} differs from the reference`);
        };
        const dims = [1, C, H, W];
        for (let r = 0; r < 4; r++) {
          const x = xOf(r, dims);
          check(x, [x, w, ws, zw, bias]);
        }
        const bound = inst.boundRuns;
        // the bound path where this kernel has a direct convolution (the portable one has none for dense nodes)
        if (bound > 0) {
          boundSeen++;
          expect(bound).toBe(3);
        }
        const x2 = xOf(7, [2, C, H + 1, W]); // other dims: the general path
        check(x2, [x2, w, ws, zw, bias]);
        expect(inst.boundRuns).toBe(bound);
        const wCopy = new Tensor(w.dtype, w.data.slice() as never, [...w.dims]); // another tensor with the same values
        const x3 = xOf(8, dims);
        check(x3, [x3, wCopy, ws, zw, bias]);
        expect(inst.boundRuns).toBe(bound);
        check(x3, [x3, w, ws, zw, bias]); // the general path again (bound for x2's dims since), binding x's dims anew
        expect(inst.boundRuns).toBe(bound);
        check(x3, [x3, w, ws, zw, bias]);
        expect(inst.boundRuns).toBe(bound > 0 ? bound + 1 : 0);
        const bad = xOf(9, dims);
        (bad.data as Float32Array)[5] = Number.POSITIVE_INFINITY;
        expect(() => inst.run([bad, w, ws, zw, bias], freshRunContext)).toThrow(/finite/);
        expect(inst.referenceRuns).toBe(1); // only the non-finite x
      }
    }
    expect(boundSeen).toBeGreaterThan(0);
  });

  it('binds a quantized-input DynamicQConv and DynamicQConvQuantize (either input form) whose operands are the node constants: one addon call per run after the first (the result quantized in it), bit-identical to the reference for new x_q, x_scale and x_zero_point; other dims leave the bound path', () => {
    const addon = (loaded as unknown as { addon: Record<string, (...a: unknown[]) => unknown> }).addon;
    let jsQuantize = 0;
    const saved = { quantizeLinearRanged: addon.quantizeLinearRanged, dynamicQuantizeLinear: addon.dynamicQuantizeLinear };
    for (const k of Object.keys(saved) as (keyof typeof saved)[]) addon[k] = (...a: unknown[]) => (jsQuantize++, saved[k]!.apply(addon, a));
    onTestFinished(() => void Object.assign(addon, saved));
    const bytes = (t: Tensor | null) => { const d = t!.data as Uint8Array | Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };
    let boundSeen = 0;
    // [C, M, k, group, H, W, stride, activation]: dense 1x1 and 3x3, depthwise 3x3 stride 1 and 2
    for (const [C, M, k, group, H, W, s, act] of [[16, 24, 1, 1, 12, 20, 1, 1], [8, 16, 3, 1, 10, 14, 1, 2], [16, 16, 3, 16, 9, 33, 1, 1], [24, 24, 3, 24, 12, 18, 2, 0]] as const) {
      const w = new Tensor('uint8', Uint8Array.from({ length: M * (C / group) * k * k }, (_, i) => 128 + ((i * 37) % 201) - 100), [M, C / group, k, k]);
      const ws = new Tensor('float32', Float32Array.of(0.0043), []);
      const zw = new Tensor('uint8', Uint8Array.of(128), []);
      const bias = new Tensor('float32', Float32Array.from({ length: M }, (_, i) => Math.fround(Math.sin(i) * 0.3)), [M]);
      const attrs = new Map<string, unknown>([['group', group], ['pads', [k >> 1, k >> 1, k >> 1, k >> 1]], ['strides', [s, s]], ['activation', act], ['activation_min', -0.4], ['activation_max', 0.9]]);
      const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw], [4, bias]]);
      const xq = (seed: number, dims: number[]) => new Tensor('uint8', Uint8Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i * 131 + seed * 71) % 256), dims);
      const xf = (seed: number, dims: number[]) => new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37 + seed) * 2)), dims);
      const sc = (v: number) => new Tensor('float32', Float32Array.of(v), []);
      const zp = (v: number) => new Tensor('uint8', Uint8Array.of(v), []);
      const dims = [1, C, H, W];
      const forms = [
        ['DynamicQConv', DYNAMIC_QCONV_U8_KEY, (r: number, d: number[]) => [xq(r, d), w, ws, zw, bias, sc(0.01 + r * 0.003), zp((r * 53) % 256)]],
        ['DynamicQConvQuantize', DYNAMIC_QCONV_QUANTIZE_U8_KEY, (r: number, d: number[]) => [xq(r, d), w, ws, zw, bias, sc(0.01 + r * 0.003), zp((r * 53) % 256)]],
        ['DynamicQConvQuantize', DYNAMIC_QCONV_QUANTIZE_KEY, (r: number, d: number[]) => [xf(r, d), w, ws, zw, bias]],
      ] as const;
      for (const [op, key, inputsOf] of forms) {
        const u8 = key !== DYNAMIC_QCONV_QUANTIZE_KEY;
        const n = { ...lowbitNode(op, [u8 ? 'uint8' : 'float32', 'uint8', 'float32', 'uint8', 'float32', ...(u8 ? ['float32', 'uint8'] as const : [])], consts, attrs), outputCount: op === 'DynamicQConv' ? 1 : 3 };
        const refInst = referenceKernels().find((r) => r.key === key)!.create(n);
        for (const v of backend.variants().filter((x) => x.key === key)) {
          const inst = v.create(n) as unknown as { run: (i: (Tensor | null)[], r: typeof freshRunContext) => Tensor[]; boundRuns: number; referenceRuns: number };
          const check = (inputs: (Tensor | null)[], what: string) => {
            const got = inst.run(inputs, freshRunContext);
            const want = refInst.run(inputs, freshRunContext);
            expect(got.length).toBe(want.length);
            for (let o = 0; o < want.length; o++) if (!bytes(got[o]!).equals(bytes(want[o]!))) throw new Error(`${v.name} ${key} C=${C} M=${M} k=${k} g=${group} ${what}: output ${o} differs from the reference`);
          };
          for (let r = 0; r < 4; r++) {
            const before = jsQuantize;
            check(inputsOf(r, dims) as never, `run ${r}`);
            if (inst.boundRuns > 0 && op === 'DynamicQConvQuantize') expect(jsQuantize).toBe(before); // quantized inside the bound call
          }
          const bound = inst.boundRuns;
          // bound from the second run where the kernel has a direct convolution (the portable one has none for dense nodes)
          expect(group === 1 && v.name === 'native-scalar-c' ? [0, 3] : [3]).toContain(bound);
          if (bound > 0) boundSeen++;
          check(inputsOf(5, [2, C, H + 2, W]) as never, 'other dims');
          expect(inst.boundRuns).toBe(bound);
          expect(inst.referenceRuns).toBe(0);
        }
      }
    }
    expect(boundSeen).toBeGreaterThan(0);
  });

  it('bound dynamic convolution entry points check their arguments', () => {
    const addon = (loaded as { addon: import('./addon.js').NativeAddon }).addon;
    const g = new Int32Array(new ArrayBuffer(52));
    g.set([2, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 3, 3]);
    const q = new addon.QGemm('scalar-c', new Int8Array(2 * 4), 2, 4, 1);
    expect(() => q.runDynamicConv(null, new Float32Array(18), 1, new Float32Array(36))).toThrow(/before bindDynamicConv/);
    const dw = new addon.DwConvScaledBound('scalar-c', g, new Int8Array(2), 2, null, 0.5, null);
    expect(() => dw.runDynamicConv(null, new Float32Array(17), 1, new Float32Array(18))).toThrow(RangeError);
    expect(() => dw.runDynamicConv(null, new Float32Array(18), 1, new Float32Array(17))).toThrow(RangeError);
    expect(dw.runDynamicConv(null, Float32Array.from({ length: 18 }, (_, i) => (i === 3 ? Number.NaN : i)), 1, new Float32Array(18))).toBe(false);
    expect(() => new addon.DwConvScaledBound('scalar-c', g, new Int8Array(2), 2, null, 0.5, new Float32Array(1))).toThrow(RangeError); // bias: M values
    // the quantized-input form: x_q of the bound geometry's length, a zero point in 0..255, the quantizing tail's sizes
    expect(() => q.runDynamicConvQ(null, new Uint8Array(18), 0.1, 3, 1, new Float32Array(36))).toThrow(/before bindDynamicConv/);
    expect(() => dw.runDynamicConvQ(null, new Uint8Array(17), 0.1, 3, 1, new Float32Array(18))).toThrow(RangeError);
    expect(() => dw.runDynamicConvQ(null, new Uint8Array(18), 0.1, 256, 1, new Float32Array(18))).toThrow(RangeError);
    expect(() => dw.runDynamicConvQ(null, new Uint8Array(18), 0.1, 3, 1, new Float32Array(18), null, new Uint8Array(17), new Float32Array(1), new Uint8Array(1))).toThrow(RangeError);
    const yq = new Uint8Array(18), ys = new Float32Array(1), yz = new Uint8Array(1);
    expect(dw.runDynamicConvQ(null, Uint8Array.from({ length: 18 }, (_, i) => i * 9), 0.1, 3, 1, new Float32Array(18), null, yq, ys, yz)).toBe(true);
    expect(ys[0]).toBeGreaterThan(0);
    q.dispose();
  });

  it('runs depthwise convolutions on the direct kernel, other grouped ones on the reference (same results), and non-finite x gets the reference error', () => {
    const v = backend.variants().find((x) => x.key === DYNAMIC_QCONV_KEY && x.name === 'native-scalar-c')!;
    const ws = new Tensor('float32', Float32Array.of(0.02), []);
    for (const [cg, runs] of [[1, 0], [2, 1]] as const) {
      const w = new Tensor('int8', Int8Array.from({ length: 4 * cg * 9 }, (_, i) => (i * 29) % 255 - 127), [4, cg, 3, 3]);
      const n = lowbitNode('DynamicQConv', ['float32', 'int8', 'float32'], new Map<number, Tensor>([[1, w], [2, ws]]), new Map<string, unknown>([['group', 4 / (cg === 1 ? 1 : 2)], ['pads', [1, 1, 1, 1]]]));
      const x = new Tensor('float32', Float32Array.from({ length: 4 * 5 * 5 }, (_, i) => Math.fround(Math.sin(i))), [1, 4, 5, 5]);
      const inst = v.create(n);
      const refInst = referenceKernels().find((r) => r.key === DYNAMIC_QCONV_KEY)!.create(n);
      expect(Array.from(inst.run([x, w, ws], freshRunContext)[0]!.data as Float32Array)).toEqual(Array.from(refInst.run([x, w, ws], freshRunContext)[0]!.data as Float32Array));
      expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(runs);
    }
    const m = backend.variants().find((x) => x.key === DYNAMIC_QMATMUL_KEY)!;
    const w2 = new Tensor('int8', Int8Array.of(1, -1), [2, 1]);
    const mi = m.create(lowbitNode('DynamicQMatMul', ['float32', 'int8', 'float32'], new Map<number, Tensor>([[1, w2]])));
    expect(() => mi.run([new Tensor('float32', Float32Array.of(1, Number.NaN), [1, 2]), w2, ws], freshRunContext)).toThrow(/finite/);
  });
});

/**
 * BERT-sized lowbit.DynamicQMatMul (one native call: quantize, GEMM, scale and bias in the GEMM's tiles): whole
 * 64-column tiles, K = 1024 in two K blocks, N = 1100 over two column blocks with a partial last panel.
 */
function buildBert(wType: 'int8' | 'uint8') {
  const shapes = [[[64], 256, 256], [[64], 1024, 256], [[2, 17], 300, 1100]] as const;
  return (size: number, values: ValueSource) => {
    const [lead, K, N] = shapes[(size - 1) % 3];
    const x = floats(values, [...lead, K], 0.03);
    const w = values.tensor(wType, [K, N]);
    const perCol = size !== 2;
    const ws = new Tensor('float32', Float32Array.from({ length: perCol ? N : 1 }, (_, j) => Math.fround(0.004 + (j % 37) / 20000)), [perCol ? N : 1]);
    const zw = values.tensor(wType, perCol ? [N] : []);
    const bias = size === 3 ? null : floats(values, [size === 2 ? 1 : N], 0.1);
    const consts = new Map<number, Tensor>([[1, w], [2, ws], [3, zw]]);
    if (bias) consts.set(4, bias);
    return { node: lowbitNode('DynamicQMatMul', ['float32', wType, 'float32', wType, bias ? 'float32' : null], consts), inputs: [x, w, ws, zw, bias] };
  };
}

describe('native lowbit.DynamicQMatMul on BERT shapes', () => {
  if ('error' in loaded) return;
  for (const wType of ['int8', 'uint8'] as const)
    it(`${wType} weights: every variant is bit-exact on 64 x 256 x 256, 64 x 1024 x 256, 34 x 300 x 1100`, () => {
      const variants = backend.variants().filter((v) => v.key === DYNAMIC_QMATMUL_KEY && !v.name.endsWith('-dynamic-b'));
      expect(variants.length).toBeGreaterThan(0);
      for (const v of variants) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key: DYNAMIC_QMATMUL_KEY, build: buildBert(wType), sizes: [1, 2, 3], numRuns: 1 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
    });
});

/** Attention form: B an activation (batched or broadcast), per-tensor w_scale / w_zero_point, no bias, no constants. */
function buildDynamicB(wType: 'int8' | 'uint8') {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 5 + 3) % 40 + 1;
    const N = size + 7;
    const x = floats(values, [2, M, K], 0.37 / (size + 1));
    const w = values.tensor(wType, size % 3 === 0 ? [K, N] : [2, K, N]);
    const ws = new Tensor('float32', Float32Array.of(Math.fround(0.02 + size / 997)), []);
    const zw = values.tensor(wType, []);
    return { node: lowbitNode('DynamicQMatMul', ['float32', wType, 'float32', wType], new Map()), inputs: [x, w, ws, zw] };
  };
}

describe('native lowbit.DynamicQMatMul with an activation B (attention)', () => {
  if ('error' in loaded) return;
  for (const wType of ['uint8', 'int8'] as const) {
    it(`${wType} B: every -dynamic-b variant is bit-exact and runs natively`, () => {
      const variants = backend.variants().filter((v) => v.key === DYNAMIC_QMATMUL_KEY && v.name.endsWith('-dynamic-b'));
      expect(variants.length).toBeGreaterThan(0);
      for (const v of variants) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key: DYNAMIC_QMATMUL_KEY, build: buildDynamicB(wType), sizes: SIZES, numRuns: 8 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
    });
  }
});
