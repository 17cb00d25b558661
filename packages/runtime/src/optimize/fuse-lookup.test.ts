import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, tensorFromValues, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { Session } from '../session.js';
import { fuseQuantizedLookup } from './fuse-lookup.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, intAttr, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseQuantizedLookup.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  /** 'hardswish': Add(+c) -> Clip(lo, hi) -> Mul(x, .) -> Div(d) (ppocr); 'relu': Relu -> Clip(lo, hi); 'ops': HardSwish -> Mul(c) -> Sigmoid. */
  chain: 'hardswish' | 'relu' | 'ops';
  xSigned?: boolean; ySigned?: boolean;
  sx?: number; zx?: number; sy?: number; zy?: number;
  c?: number; lo?: number; hi?: number; d?: number;
  /** dims of the constant c (rank 0 fuses). */
  cDims?: number[];
  /** Per-axis scale (256 values along axis 1) on the QuantizeLinear or the DequantizeLinear. */
  perAxis?: 'q' | 'dq';
  /** Extra graph outputs (an intermediate, or x itself). */
  leak?: string[];
  /** The Mul reads x through a second, equal DequantizeLinear (as QDQ models give each reader its own). */
  twoDq?: boolean;
}

const q8 = (name: string, signed: boolean | undefined, dims: number[], v: number[]): TensorRef =>
  tensorFromValues(name, signed ? DataType.INT8 : DataType.UINT8, dims, signed ? Int8Array.from(v) : Uint8Array.from(v));

/** xq [1, 256] (8-bit) -> DequantizeLinear -> chain -> QuantizeLinear -> out. */
function model(s: Spec): Model {
  const scale = (name: string, v: number, axis: boolean) => f32(name, axis ? [256] : [], axis ? Array.from({ length: 256 }, (_, k) => v * (1 + k / 512)) : [v]);
  const zp = (name: string, signed: boolean | undefined, v: number, axis: boolean) => q8(name, signed, axis ? [256] : [], axis ? Array(256).fill(v) : [v]);
  const inits = [
    scale('sx', s.sx ?? 0.05, s.perAxis === 'dq'), zp('zx', s.xSigned, s.zx ?? (s.xSigned ? 0 : 128), s.perAxis === 'dq'),
    scale('sy', s.sy ?? 0.03, s.perAxis === 'q'), zp('zy', s.ySigned, s.zy ?? (s.ySigned ? -100 : 28), s.perAxis === 'q'),
    f32('c', s.cDims ?? [], Array(s.cDims?.reduce((a, b) => a * b, 1) ?? 1).fill(s.c ?? 3)), f32('lo', [], [s.lo ?? 0]), f32('hi', [], [s.hi ?? 6]), f32('d', [], [s.d ?? 6]),
  ];
  const axis = (which: 'q' | 'dq') => (s.perAxis === which ? { attrs: [intAttr('axis', 1)] } : {});
  const dq = [mkNode('DequantizeLinear', ['xq', 'sx', 'zx'], ['x'], { name: 'dq', ...axis('dq') })];
  if (s.twoDq) dq.push(mkNode('DequantizeLinear', ['xq', 'sx', 'zx'], ['x2'], { name: 'dq2' }));
  const chains: Record<Spec['chain'], ReturnType<typeof mkNode>[]> = {
    hardswish: [
      mkNode('Add', ['x', 'c'], ['a'], { name: 'add' }), mkNode('Clip', ['a', 'lo', 'hi'], ['cl'], { name: 'clip' }),
      mkNode('Mul', [s.twoDq ? 'x2' : 'x', 'cl'], ['m'], { name: 'mul' }), mkNode('Div', ['m', 'd'], ['y'], { name: 'div' }),
    ],
    relu: [mkNode('Relu', ['x'], ['r'], { name: 'relu' }), mkNode('Clip', ['r', 'lo', 'hi'], ['y'], { name: 'clip' })],
    ops: [mkNode('HardSwish', ['x'], ['h'], { name: 'hs' }), mkNode('Mul', ['h', 'c'], ['m'], { name: 'mul' }), mkNode('Sigmoid', ['m'], ['y'], { name: 'sig' })],
  };
  const nodes = [...dq, ...chains[s.chain], mkNode('QuantizeLinear', ['y', 'sy', 'zy'], ['out'], { name: 'q', ...axis('q') })];
  return mkModel(mkGraph({ inputs: [tensorVi('xq', s.xSigned ? DataType.INT8 : DataType.UINT8, [1, 256])], outputs: ['out', ...(s.leak ?? [])], initializers: inits, nodes }), { opset: 19 });
}

/** Every byte once: [1, 256]. */
const allBytes = (signed?: boolean) => new Tensor(signed ? 'int8' : 'uint8', Array.from({ length: 256 }, (_, k) => (signed && k > 127 ? k - 256 : k)), [1, 256]);
const bitsOf = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));
const ops = (m: Model) => m.graph.nodes.map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`);
const same = (m: Model, s: Spec) => {
  const [none, basic, all] = runLevels(m, { xq: allBytes(s.xSigned) }, ['none', 'basic', 'all']);
  expect(all.out.dtype).toBe(none.out.dtype);
  expect(Array.from(all.out.data as ArrayLike<number>)).toEqual(Array.from(none.out.data as ArrayLike<number>));
  expect(Array.from(all.out.data as ArrayLike<number>)).toEqual(Array.from(basic.out.data as ArrayLike<number>));
};

describe('fuse-quantized-lookup', () => {
  it('HardSwish chain, Relu/Clip chain, HardSwish/Mul/Sigmoid: DequantizeLinear + chain + QuantizeLinear become one lowbit.QLookup; verifies; bit-identical on all 256 bytes', () => {
    for (const s of [{ chain: 'hardswish' }, { chain: 'relu' }, { chain: 'ops', c: 0.7 }, { chain: 'hardswish', xSigned: true, ySigned: true }, { chain: 'relu', xSigned: true }] as Spec[]) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(ops(r.model)).toEqual(['lowbit.QLookup']);
      const n = r.model.graph.nodes[0];
      expect(n.inputs[0]).toBe('xq');
      expect(n.outputs).toEqual(['out']);
      const table = r.model.graph.initializers.find((t) => t.name === n.inputs[1])!;
      expect(table.dims).toEqual([256]);
      expect(table.dtype).toBe(s.ySigned ? DataType.INT8 : DataType.UINT8);
      expect(r.model.opsetImports).toContainEqual({ domain: 'lowbit', version: 1 });
      same(m, s);
    }
  });

  it('two equal DequantizeLinear nodes of one x_q fuse together; a DequantizeLinear whose x is also read elsewhere stays', () => {
    const two = model({ chain: 'hardswish', twoDq: true });
    expect(ops(run(two).model)).toEqual(['lowbit.QLookup']);
    same(two, { chain: 'hardswish' });
    const shared = model({ chain: 'hardswish', leak: ['x'] });
    expect(ops(run(shared).model)).toEqual(['DequantizeLinear', 'lowbit.QLookup']);
    const [a, b] = runLevels(shared, { xq: allBytes() }, ['none', 'all']);
    expect(Array.from(b.out.data as Uint8Array)).toEqual(Array.from(a.out.data as Uint8Array));
    expect(Array.from(b.x.data as Float32Array)).toEqual(Array.from(a.x.data as Float32Array));
  });

  it('an intermediate that is a graph output, kept or observed is never fused away: the QuantizeLinear stays, the float part before it may become a float lookup; values unchanged', () => {
    for (const leak of ['a', 'cl', 'm', 'y']) {
      const m = model({ chain: 'hardswish', leak: [leak] });
      const r = run(m);
      expect(ops(r.model)).toContain('QuantizeLinear');
      expect(r.model.graph.nodes.flatMap((n) => n.outputs)).toContain(leak);
      const [a, b] = runLevels(m, { xq: allBytes() }, ['none', 'all']);
      for (const k of ['out', leak]) expect(bitsOf(b[k]), k).toEqual(bitsOf(a[k]));
    }
    const m = model({ chain: 'hardswish' });
    for (const kept of ['a', 'y']) {
      const r = run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === kept } }).model;
      expect(ops(r)).toContain('QuantizeLinear');
      expect(r.graph.nodes.flatMap((n) => n.outputs)).toContain(kept);
    }
    const kept = Session.fromModel(m, { backend: 'js', keep: ['cl'] });
    expect(kept.optimization.opsAfter.QuantizeLinear).toBe(1);
    const observed = Session.fromModel(m, { backend: 'js', onValue: () => {}, observe: ['m'] });
    expect(observed.optimization.opsAfter.QuantizeLinear).toBe(1);
    expect(Session.fromModel(m, { backend: 'js', onValue: () => {}, observe: ['out'] }).optimization.opsAfter).toEqual({ 'lowbit.QLookup': 1 });
  });

  it('a float result read by other ops (here a per-axis QuantizeLinear, or a graph output) becomes a lookup with a float32 table, bit-identical', () => {
    for (const s of [{ chain: 'hardswish', perAxis: 'q' }, { chain: 'relu', perAxis: 'q', xSigned: true }, { chain: 'ops', perAxis: 'q', c: -1.5 }] as Spec[]) {
      const m = model(s);
      const r = run(m);
      expect(ops(r.model)).toEqual(['lowbit.QLookup', 'QuantizeLinear']);
      expect(r.model.graph.initializers.find((t) => t.name === r.model.graph.nodes[0].inputs[1])!.dtype).toBe(DataType.FLOAT);
      expect(verifyErrors(r.model)).toEqual([]);
      const [a, b] = runLevels(m, { xq: allBytes(s.xSigned) }, ['none', 'all'], ['out', 'y']);
      expect(bitsOf(b.y)).toEqual(bitsOf(a.y));
      expect(bitsOf(b.out)).toEqual(bitsOf(a.out));
    }
  });

  it('does not apply (same object back): a non-scalar constant; a per-axis DequantizeLinear; a rank guard without a QLookup kernel', () => {
    for (const s of [{ chain: 'hardswish', cDims: [1] }, { chain: 'hardswish', cDims: [256] }, { chain: 'relu', perAxis: 'dq' }] as Spec[]) {
      const x = model(s);
      expect(run(x).model).toBe(x);
    }
    const m = model({ chain: 'hardswish' });
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('lowbit.QLookup') ? undefined : 0) } }).model).toBe(m);
  });

  it('running twice changes nothing', () => {
    const once = run(model({ chain: 'hardswish' })).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused and unfused are bit-identical on all 256 bytes (random scales, zero points, constants; signed and unsigned)', () => {
    const arb = fc.record({
      chain: fc.constantFrom<Spec['chain']>('hardswish', 'relu', 'ops'), xSigned: fc.boolean(), ySigned: fc.boolean(),
      sx: fc.double({ min: 1e-4, max: 0.5, noNaN: true }), sy: fc.double({ min: 1e-4, max: 0.5, noNaN: true }), zx: fc.integer({ min: 0, max: 255 }), zy: fc.integer({ min: 0, max: 255 }),
      c: fc.double({ min: -8, max: 8, noNaN: true }), lo: fc.double({ min: -6, max: 2, noNaN: true }), span: fc.double({ min: 0, max: 8, noNaN: true }), d: fc.double({ min: 0.25, max: 12, noNaN: true }),
    });
    fc.assert(fc.property(arb, (a) => {
      const s: Spec = {
        chain: a.chain, xSigned: a.xSigned, ySigned: a.ySigned, sx: Math.fround(a.sx), sy: Math.fround(a.sy),
        zx: a.xSigned ? a.zx - 128 : a.zx, zy: a.ySigned ? a.zy - 128 : a.zy, c: Math.fround(a.c), lo: Math.fround(a.lo), hi: Math.fround(a.lo + a.span), d: Math.fround(a.d),
      };
      const m = model(s);
      expect(ops(run(m).model)).toEqual(['lowbit.QLookup']);
      same(m, s);
    }), { numRuns: 60 });
  });
});
