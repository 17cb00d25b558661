import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { fuseDynamicMatMul } from './fuse-dynamic.js';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseDynamicMatMul.run(m, createPassContext({ options })) as PassResult;

interface Spec { K: number; N: number; w: number[]; ws: number[]; wz: number[]; bias?: number[]; unsigned?: boolean; swap?: boolean; biasDims?: number[]; xDims?: number[] }

/** The chain `dynamic-quantize` writes: DQL(x) -> MatMulInteger -> Cast -> Mul(., Mul(x_s, w_s)) [-> Add(bias)]. */
function model(s: Spec): Model {
  const wt = (name: string, dims: number[], v: number[]): TensorRef => (s.unsigned ? u8(name, dims, v) : i8(name, dims, v));
  const per = s.ws.length > 1;
  const inits = [wt('wq', [s.K, s.N], s.w), f32('ws', per ? [s.N] : [], s.ws), wt('wz', per ? [s.N] : [], s.wz)];
  const nodes = [
    mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], { name: 'dql' }),
    mkNode('MatMulInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], { name: 'mmi' }),
    mkNode('Cast', ['acc'], ['accf'], { name: 'cast', attributes: [intAttr('to', DataType.FLOAT)] }),
    mkNode('Mul', s.swap ? ['ws', 'xs'] : ['xs', 'ws'], ['sc'], { name: 'scale' }),
    mkNode('Mul', s.swap ? ['sc', 'accf'] : ['accf', 'sc'], [s.bias ? 'ys' : 'y'], { name: 'rescale' }),
  ];
  if (s.bias) {
    inits.push(f32('b', s.biasDims ?? [s.N], s.bias));
    nodes.push(mkNode('Add', s.swap ? ['b', 'ys'] : ['ys', 'b'], ['y'], { name: 'bias' }));
  }
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, s.xDims ?? [2, s.K])], outputs: ['y'], initializers: inits, nodes }), { opset: 13 });
}

const base: Spec = { K: 3, N: 2, w: [1, -2, 127, -127, 5, 0], ws: [0.01, 0.02], wz: [0, 0], bias: [0.5, -0.25] };
const x = new Tensor('float32', [0.3, -1.7, 2.2, 0.01, 0, -0.6], [2, 3]);
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

describe('fuse-dynamic-matmul', () => {
  it('applies: the chain with bias becomes one lowbit.DynamicQMatMul; verifies; bit-identical', () => {
    const m = model(base);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const fused = r.model.graph.nodes.find((n) => n.opType === 'DynamicQMatMul')!;
    expect(fused.domain).toBe('lowbit');
    expect(fused.inputs).toEqual(['x', 'wq', 'ws', 'wz', 'b']);
    expect(r.model.opsetImports).toContainEqual({ domain: 'lowbit', version: 1 });
    const [a, b] = runLevels(m, { x }, ['none', 'all']);
    expect(bits(b.y)).toEqual(bits(a.y));
  });

  it('applies without a bias, with uint8 weights, with operands in the other order', () => {
    for (const s of [{ ...base, bias: undefined }, { ...base, unsigned: true, w: [1, 2, 255, 0, 128, 7], wz: [128, 3] }, { ...base, swap: true }]) {
      const m = model(s);
      expect(run(m).model.graph.nodes.map((n) => n.opType)).toContain('DynamicQMatMul');
      const [a, b] = runLevels(m, { x }, ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
    }
  });

  it('does not apply (same object back): a kept intermediate, non-constant weights, a rank guard that prefers MatMulInteger', () => {
    const m = model(base);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'accf' } }).model).toBe(m);
    const dyn: Model = { ...m, graph: { ...m.graph, inputs: [...m.graph.inputs, tensorVi('wq', DataType.INT8, [3, 2])] } };
    expect(run(dyn).model).toBe(dyn);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('MatMulInteger') ? 9 : 0) } }).model).toBe(m);
  });

  it('a [1, N] bias (mnist-8\'s Add) joins as N values when the input has rank >= 2; not for a rank-1 input, a [2, N] or an [N, 1] bias', () => {
    const m = model({ ...base, biasDims: [1, 2] });
    const r = run(m);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.map((n) => n.opType)).not.toContain('Add');
    const fused = r.model.graph.nodes.find((n) => n.opType === 'DynamicQMatMul')!;
    const b = r.model.graph.initializers.find((t) => t.name === fused.inputs[4])!;
    expect(b.dims).toEqual([2]);
    const [a, c] = runLevels(m, { x }, ['none', 'all']);
    expect(c.y.dims).toEqual(a.y.dims);
    expect(bits(c.y)).toEqual(bits(a.y));
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true, min: -100, max: 100 }), { minLength: 6, maxLength: 6 }), fc.array(fc.float({ noNaN: true, min: -10, max: 10 }), { minLength: 2, maxLength: 2 }), (xv, bv) => {
      const mm = model({ ...base, bias: bv, biasDims: [1, 1, 2], xDims: [1, 2, 3] });
      expect(run(mm).model.graph.nodes.map((n) => n.opType)).toContain('DynamicQMatMul');
      const [p, q] = runLevels(mm, { x: new Tensor('float32', xv, [1, 2, 3]) }, ['none', 'all']);
      expect(q.y.dims).toEqual(p.y.dims);
      expect(bits(q.y)).toEqual(bits(p.y));
    }), { numRuns: 25 });
    // rank-1 input: the Add would widen [N] to [1, N]; [2, N] and [N, 1] are not one row of N
    for (const s of [{ ...base, biasDims: [1, 2], xDims: [3] }, { ...base, bias: [1, 2, 3, 4], biasDims: [2, 2] }, { ...base, biasDims: [2, 1] }]) {
      const mm = model(s);
      expect(run(mm).model.graph.nodes.map((n) => n.opType)).toContain('Add');
    }
  });

  it('running twice changes nothing', () => {
    const once = run(model(base)).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused and unfused dynamic MatMul are bit-identical', () => {
    const arb = fc.record({
      K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }),
      perColumn: fc.boolean(), withBias: fc.boolean(), unsigned: fc.boolean(),
      xs: fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 12, maxLength: 12 }),
    });
    fc.assert(fc.property(arb, ({ K, N, seed, perColumn, withBias, unsigned, xs }) => {
      const w = Array.from({ length: K * N }, (_, i) => ((seed + i * 7919) % 256) - (unsigned ? 0 : 128));
      const ws = Array.from({ length: perColumn ? N : 1 }, (_, j) => 0.001 * (1 + ((seed + j) % 17)));
      const wz = Array.from({ length: perColumn ? N : 1 }, (_, j) => (unsigned ? (seed + j) % 256 : ((seed + j) % 256) - 128));
      const bias = withBias ? Array.from({ length: N }, (_, j) => Math.sin(seed + j) * 3) : undefined;
      const m = model({ K, N, w, ws, wz, ...(bias ? { bias } : {}), unsigned });
      const input = new Tensor('float32', xs.slice(0, 2 * K), [2, K]);
      const [a, b] = runLevels(m, { x: input }, ['none', 'all']);
      expect(run(m).modified).toBe(true);
      expect(bits(b.y)).toEqual(bits(a.y));
    }), { numRuns: 100 });
  });

  it('Conv form: DQL -> ConvInteger -> Cast -> Mul -> Add([1, M, 1, 1]) becomes lowbit.DynamicQConv; property: bit-identical', () => {
    const arb = fc.record({
      C: fc.integer({ min: 1, max: 3 }), M: fc.integer({ min: 1, max: 3 }), k: fc.constantFrom(1, 3), seed: fc.integer({ min: 0, max: 1e5 }),
      withBias: fc.boolean(), unsigned: fc.boolean(), perChannelZp: fc.boolean(),
    });
    fc.assert(fc.property(arb, ({ C, M, k, seed, withBias, unsigned, perChannelZp }) => {
      const wt = (name: string, dims: number[], v: number[]): TensorRef => (unsigned ? u8(name, dims, v) : i8(name, dims, v));
      const w = Array.from({ length: M * C * k * k }, (_, i) => ((seed + i * 7919) % 256) - (unsigned ? 0 : 128));
      const zps = Array.from({ length: perChannelZp ? M : 1 }, (_, j) => ((seed + j) % 256) - (unsigned ? 0 : 128));
      const inits = [wt('wq', [M, C, k, k], w), f32('ws', [], [0.002 * (1 + (seed % 5))]), wt('wz', perChannelZp ? [M] : [], zps)];
      const pad = (k - 1) >> 1;
      const nodes = [
        mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], { name: 'dql' }),
        mkNode('ConvInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], { name: 'ci', attributes: [{ name: 'pads', type: 'ints', value: [pad, pad, pad, pad].map(BigInt) }] }),
        mkNode('Cast', ['acc'], ['accf'], { name: 'cast', attributes: [intAttr('to', DataType.FLOAT)] }),
        mkNode('Mul', ['xs', 'ws'], ['sc'], { name: 'scale' }),
        mkNode('Mul', ['accf', 'sc'], [withBias ? 'ys' : 'y'], { name: 'rescale' }),
      ];
      if (withBias) {
        inits.push(f32('b', [1, M, 1, 1], Array.from({ length: M }, (_, j) => Math.sin(seed + j))));
        nodes.push(mkNode('Add', ['ys', 'b'], ['y'], { name: 'bias' }));
      }
      const m = mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [1, C, 4, 5])], outputs: ['y'], initializers: inits, nodes }), { opset: 13 });
      const r = run(m);
      const ops = r.model.graph.nodes.map((n) => n.opType);
      expect(ops).toContain('DynamicQConv');
      expect(ops).not.toContain('ConvInteger');
      expect(ops).not.toContain('Add');
      expect(verifyErrors(r.model)).toEqual([]);
      const input = new Tensor('float32', Float32Array.from({ length: C * 20 }, (_, i) => Math.cos(i * 0.3 + seed) * 4), [1, C, 4, 5]);
      const [a, b] = runLevels(m, { x: input }, ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
    }), { numRuns: 60 });
  });

  it('sibling convolutions reading one DynamicQuantizeLinear (or a kept x_q): the quantized-input form, x quantized once; bit-identical on js and native', async () => {
    const C = 3;
    // conv a: 3x3 pads 1, 4 outputs, bias, Relu; conv b: 1x1, 2 outputs, no bias; conv c: depthwise 3x3 (group C)
    const inits = [
      i8('wa', [4, C, 3, 3], Array.from({ length: 4 * C * 9 }, (_, i) => ((i * 7919) % 256) - 128)), f32('wsa', [], [0.003]), i8('wza', [4], [0, 1, -2, 3]),
      f32('ba', [1, 4, 1, 1], [0.5, -0.25, 0, -1]),
      u8('wb', [2, C, 1, 1], [3, 200, 17, 255, 0, 90]), f32('wsb', [], [-0.01]), u8('wzb', [], [128]),
      i8('wc', [C, 1, 3, 3], Array.from({ length: C * 9 }, (_, i) => ((i * 131) % 256) - 128)), f32('wsc', [], [0.02]), i8('wzc', [], [0]),
    ];
    const pads = { name: 'pads', type: 'ints' as const, value: [1n, 1n, 1n, 1n] };
    const chain = (t: string, w: string, attrs: never[], last: string) => [
      mkNode('ConvInteger', ['xq', `w${t}`, 'xz', `wz${t}`], [`acc${t}`], { name: `ci${t}`, attributes: attrs }),
      mkNode('Cast', [`acc${t}`], [`accf${t}`], { name: `cast${t}`, attributes: [intAttr('to', DataType.FLOAT)] }),
      mkNode('Mul', ['xs', `ws${t}`], [`sc${t}`], { name: `scale${t}` }),
      mkNode('Mul', [`accf${t}`, `sc${t}`], [last], { name: `rescale${t}` }),
    ];
    const nodes = [
      mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], { name: 'dql' }),
      ...chain('a', 'wa', [pads] as never[], 'ysa'), mkNode('Add', ['ysa', 'ba'], ['za'], { name: 'biasa' }), mkNode('Relu', ['za'], ['ya'], { name: 'relua' }),
      ...chain('b', 'wb', [], 'yb'),
      ...chain('c', 'wc', [pads, { name: 'group', type: 'int', value: BigInt(C) }] as never[], 'yc'),
    ];
    const m = mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [1, C, 5, 6])], outputs: ['ya', 'yb', 'yc'], initializers: inits, nodes }), { opset: 13 });
    const r = run(m);
    expect(verifyErrors(r.model)).toEqual([]);
    const fused = r.model.graph.nodes.filter((n) => n.opType === 'DynamicQConv');
    expect(fused.map((n) => [n.inputs[0], n.inputs[4] === '' ? '' : 'bias', n.inputs[5], n.inputs[6]])).toEqual([['xq', 'bias', 'xs', 'xz'], ['xq', '', 'xs', 'xz'], ['xq', '', 'xs', 'xz']]);
    expect(r.model.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear')).toHaveLength(1);
    expect(r.model.graph.nodes.filter((n) => ['ConvInteger', 'Cast', 'Add', 'Relu'].includes(n.opType))).toEqual([]);
    const feeds = { x: new Tensor('float32', Float32Array.from({ length: C * 30 }, (_, i) => Math.cos(i * 0.37) * 3 + 0.5), [1, C, 5, 6]) };
    const [a, b] = runLevels(m, feeds, ['none', 'all']);
    for (const k of ['ya', 'yb', 'yc']) expect(bits(b[k])).toEqual(bits(a[k]));
    // one reader whose x_q stays observable (kept): the quantized-input form too; a lone reader: the float form
    const one = mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [1, C, 5, 6])], outputs: ['yb'], initializers: inits.slice(4, 7), nodes: [nodes[0], ...chain('b', 'wb', [], 'yb')] }), { opset: 13 });
    expect(run(one).model.graph.nodes.find((n) => n.opType === 'DynamicQConv')!.inputs[0]).toBe('x');
    const kept = run(one, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'xq' } }).model;
    expect(kept.graph.nodes.find((n) => n.opType === 'DynamicQConv')!.inputs.slice(4)).toEqual(['', 'xs', 'xz']);
    // a rank guard without the quantized-input form's kernel leaves the siblings unfused
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k === 'lowbit.DynamicQConv:u8' ? undefined : 1) } }).modified).toBe(false);
    const [native] = await loadBackends('native', { threads: 2 });
    if (native?.ready) {
      const created: string[] = [];
      const counting = { ...native, variants: () => native.variants().map((v) => ({ ...v, create: (n: never) => (created.push(`${v.key}/${v.name}`), v.create(n)) })) };
      for (let rep = 0; rep < 2; rep++) {
        const nf = Session.fromModel(m, { backend: 'native', backends: [counting as never] }).runSync(feeds);
        for (const k of ['ya', 'yb', 'yc']) expect(bits(nf[k])).toEqual(bits(a[k]));
      }
      expect(created.filter((c) => c.startsWith('lowbit.DynamicQConv:u8/native-'))).toHaveLength(6);
      expect(created.filter((c) => c.startsWith('DynamicQuantizeLinear:f32->u8/native-'))).toHaveLength(2);
      native.dispose?.();
    }
  });

  it('Conv + Relu / Clip / HardSwish written out / HardSigmoid: joins as the activation attributes; bit-identical on js and native; not fused when shared, non-constant, non-scalar or lo > hi', async () => {
    const C = 3, M = 6;
    type Act = 'Relu' | 'Clip' | 'ClipLo' | 'ClipShared' | 'ClipInput' | 'ClipBad' | 'HardSwish' | 'HardSwishSwapped' | 'HardSigmoid' | 'HardSwishShared' | 'HardSwishVector';
    const convModel = (act: Act, dw: boolean) => {
      const w = Array.from({ length: M * (dw ? 1 : C) * 9 }, (_, i) => ((i * 7919) % 256) - 128);
      const inits = [i8('wq', [M, dw ? 1 : C, 3, 3], w), f32('ws', [], [-0.004]), i8('wz', [], [0]), f32('b', [1, M, 1, 1], [0.5, -0.25, 0, -0, 0.125, -1])];
      const attrs = [{ name: 'pads', type: 'ints' as const, value: [1n, 1n, 1n, 1n] }, ...(dw ? [{ name: 'group', type: 'int' as const, value: BigInt(C) }] : [])];
      const nodes = [
        mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], { name: 'dql' }),
        mkNode('ConvInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], { name: 'ci', attributes: attrs }),
        mkNode('Cast', ['acc'], ['accf'], { name: 'cast', attributes: [intAttr('to', DataType.FLOAT)] }),
        mkNode('Mul', ['xs', 'ws'], ['sc'], { name: 'scale' }),
        mkNode('Mul', ['accf', 'sc'], ['ys'], { name: 'rescale' }),
        mkNode('Add', ['ys', 'b'], ['z'], { name: 'bias' }),
      ];
      const outputs = ['y'];
      if (act === 'Relu') nodes.push(mkNode('Relu', ['z'], ['y'], { name: 'act' }));
      else if (act === 'HardSigmoid') nodes.push(mkNode('HardSigmoid', ['z'], ['y'], { name: 'act', attributes: [{ name: 'alpha', type: 'float', value: Math.fround(1 / 6) }] }));
      else if (act.startsWith('HardSwish')) {
        // x * Clip(x + 3, 0, 6) / 6 as ppocr writes it (the swapped form: Add(3, x), Mul(clip, x))
        const swapped = act === 'HardSwishSwapped';
        inits.push(f32('three', act === 'HardSwishVector' ? [M] : [], act === 'HardSwishVector' ? new Array<number>(M).fill(3) : [3]), f32('zero', [], [0]), f32('six', [], [6]), f32('sixd', [], [6]));
        nodes.push(
          mkNode('Add', swapped ? ['three', 'z'] : ['z', 'three'], ['t'], { name: 'hs_add' }),
          mkNode('Clip', ['t', 'zero', 'six'], ['r'], { name: 'hs_clip' }),
          mkNode('Mul', swapped ? ['r', 'z'] : ['z', 'r'], ['m'], { name: 'hs_mul' }),
          mkNode('Div', ['m', 'sixd'], ['y'], { name: 'hs_div' }),
        );
        if (act === 'HardSwishShared') outputs.push('t');
      } else {
        inits.push(f32('lo', [], [act === 'ClipBad' ? 1 : -0.75]), f32('hi', [], [0.5]));
        const ins = act === 'ClipLo' ? ['z', 'lo'] : act === 'ClipInput' ? ['z', 'lo', 'x2'] : ['z', 'lo', 'hi'];
        nodes.push(mkNode('Clip', ins, ['y'], { name: 'act' }));
        if (act === 'ClipShared') outputs.push('z');
      }
      const inputs = [tensorVi('x', DataType.FLOAT, [1, C, 5, 6]), ...(act === 'ClipInput' ? [tensorVi('x2', DataType.FLOAT, [])] : [])];
      return mkModel(mkGraph({ inputs, outputs, initializers: inits, nodes }), { opset: 13 });
    };
    const feeds = { x: new Tensor('float32', Float32Array.from({ length: C * 30 }, (_, i) => Math.cos(i * 0.37) * 3), [1, C, 5, 6]) };
    const [native] = await loadBackends('native', { threads: 1 });
    for (const dw of [false, true])
      for (const act of ['Relu', 'Clip', 'ClipLo', 'HardSwish', 'HardSwishSwapped', 'HardSigmoid'] as const) {
        const m = convModel(act, dw);
        const r = run(m);
        expect(verifyErrors(r.model)).toEqual([]);
        const fused = r.model.graph.nodes.find((n) => n.opType === 'DynamicQConv')!;
        expect(r.model.graph.nodes.filter((n) => n.opType !== 'DynamicQConv' && n.name !== 'dql' && n.name !== 'scale').map((n) => n.name)).toEqual([]);
        expect(fused.outputs).toEqual(['y']);
        const kind = fused.attributes.find((a) => a.name === 'activation');
        expect(kind && kind.type === 'int' ? kind.value : undefined).toBe(act === 'Relu' ? 1n : act.startsWith('Clip') ? 2n : act === 'HardSigmoid' ? 4n : 3n);
        const [a, b] = runLevels(m, feeds, ['none', 'all']);
        const y = Array.from(a.y.data as Float32Array);
        const z = Array.from(runLevels(m, feeds, ['none'], ['z'])[0].z.data as Float32Array);
        expect(z.some((v) => v < -3) && z.some((v) => v > 3)).toBe(true); // every activation's clamps bite
        expect(y.some((v) => v > 0)).toBe(true);
        expect(bits(b.y)).toEqual(bits(a.y));
        if (!native?.ready) continue;
        const created: string[] = [];
        const counting = { ...native, variants: () => native.variants().map((v) => ({ ...v, create: (n: never) => (created.push(`${v.key}/${v.name}`), v.create(n)) })) };
        const nf = Session.fromModel(m, { backend: 'native', backends: [counting as never] }).runSync(feeds);
        expect(created.some((c) => c.startsWith('lowbit.DynamicQConv:f32/native-'))).toBe(true);
        expect(created.filter((c) => !c.startsWith('lowbit.DynamicQConv') && !c.startsWith('DynamicQuantizeLinear'))).toEqual([]);
        expect(bits(nf.y)).toEqual(bits(a.y));
      }
    for (const act of ['ClipShared', 'ClipInput', 'ClipBad', 'HardSwishShared', 'HardSwishVector'] as const) {
      const r = run(convModel(act, false));
      expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(expect.arrayContaining(['DynamicQConv', 'Clip']));
      expect(r.model.graph.nodes.find((n) => n.opType === 'DynamicQConv')!.attributes.some((a) => a.name === 'activation')).toBe(false);
    }
    native?.dispose?.();
  });

  it('attention form: B an activation with its own DynamicQuantizeLinear fuses (no bias); bit-identical on js and native', async () => {
    // probs [1, 2, 3, 4] x V [1, 2, 4, 5]: both quantized per tensor at run time, as dynamic-quantize writes attention.
    const m = mkModel(mkGraph({
      inputs: [tensorVi('p', DataType.FLOAT, [1, 2, 3, 4]), tensorVi('v', DataType.FLOAT, [1, 2, 4, 5])], outputs: ['y'],
      nodes: [
        mkNode('DynamicQuantizeLinear', ['v'], ['vq', 'vs', 'vz'], { name: 'dqlv' }),
        mkNode('DynamicQuantizeLinear', ['p'], ['pq', 'ps', 'pz'], { name: 'dqlp' }),
        mkNode('Mul', ['ps', 'vs'], ['sc'], { name: 'scale' }),
        mkNode('MatMulInteger', ['pq', 'vq', 'pz', 'vz'], ['acc'], { name: 'mmi' }),
        mkNode('Cast', ['acc'], ['accf'], { name: 'cast', attributes: [intAttr('to', DataType.FLOAT)] }),
        mkNode('Mul', ['accf', 'sc'], ['y'], { name: 'rescale' }),
      ],
    }), { opset: 13 });
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const fused = r.model.graph.nodes.find((n) => n.opType === 'DynamicQMatMul')!;
    expect(fused.inputs).toEqual(['p', 'vq', 'vs', 'vz']);
    expect(r.model.graph.nodes.map((n) => n.opType)).not.toContain('MatMulInteger');
    expect(run(r.model).model).toBe(r.model);
    const feeds = {
      p: new Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => Math.abs(Math.sin(i * 1.3)) / 4), [1, 2, 3, 4]),
      v: new Tensor('float32', Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.7) * 3), [1, 2, 4, 5]),
    };
    const [a, b] = runLevels(m, feeds, ['none', 'all']);
    expect(bits(b.y)).toEqual(bits(a.y));
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return;
    const created: string[] = [];
    const counting = { ...native, variants: () => native.variants().map((v) => ({ ...v, create: (n: never) => (created.push(`${v.key}/${v.name}`), v.create(n)) })) };
    const nf = Session.fromModel(m, { backend: 'native', backends: [counting as never] }).runSync(feeds);
    const nu = Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: 'none' }).runSync(feeds);
    expect(created.some((c) => c.startsWith('lowbit.DynamicQMatMul:f32/native-') && c.endsWith('-dynamic-b'))).toBe(true);
    expect(bits(nf.y)).toEqual(bits(nu.y));
    expect(bits(nf.y)).toEqual(bits(a.y));
    native.dispose?.();
  });
});
