import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseConcatQuantize } from './fuse-concat-quantize.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseConcatQuantize.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  /** Per input: scale, zero point, size along the axis. */
  readonly parts: readonly { s: number; z: number; d: number }[];
  readonly out: { s: number; z: number };
  readonly signed?: boolean;
  readonly axis?: number;
  /** The Concat output is also a graph output. */
  readonly leak?: boolean;
  /** Input 0 is a float graph input instead of a DequantizeLinear. */
  readonly floatInput?: boolean;
}

const OTHER = [2, 3];

/** x_k (8-bit) -> DequantizeLinear(s_k, z_k) -> Concat(axis) -> QuantizeLinear(s, z) -> y. */
function model(p: Spec): Model {
  const axis = p.axis ?? 1;
  const dimsOf = (d: number) => { const r = [...OTHER]; r.splice(axis, 0, d); return r; };
  const q8 = p.signed ? i8 : u8;
  const qt = p.signed ? DataType.INT8 : DataType.UINT8;
  const inits = p.parts.flatMap((c, k) => [f32(`s${k}`, [], [c.s]), q8(`z${k}`, [], [c.z])]).concat([f32('s', [], [p.out.s]), q8('z', [], [p.out.z])]);
  const nodes = p.parts.flatMap((_, k) => (p.floatInput && k === 0 ? [] : [mkNode('DequantizeLinear', [`x${k}`, `s${k}`, `z${k}`], [`f${k}`], { name: `dq${k}` })]));
  nodes.push(mkNode('Concat', p.parts.map((_, k) => `f${k}`), ['cat'], { name: 'cat', attributes: [intAttr('axis', axis)] }));
  nodes.push(mkNode('QuantizeLinear', ['cat', 's', 'z'], ['y'], { name: 'q' }));
  const inputs = p.parts.map((c, k) => (p.floatInput && k === 0 ? tensorVi('f0', DataType.FLOAT, dimsOf(c.d)) : tensorVi(`x${k}`, qt, dimsOf(c.d))));
  const total = p.parts.reduce((a, c) => a + c.d, 0);
  const outputs = [tensorVi('y', qt, dimsOf(total)), ...(p.leak ? [tensorVi('cat', DataType.FLOAT, dimsOf(total))] : [])];
  return mkModel(mkGraph({ inputs, outputs, initializers: inits, nodes }), { opset: 13 });
}

function feeds(p: Spec, seed: number): Record<string, Tensor> {
  const axis = p.axis ?? 1;
  const out: Record<string, Tensor> = {};
  p.parts.forEach((c, k) => {
    const dims = [...OTHER];
    dims.splice(axis, 0, c.d);
    const n = dims.reduce((a, b) => a * b, 1);
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + k * 31 + seed * 13) & 255);
    if (p.floatInput && k === 0) out.f0 = new Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i + seed) * 3), dims);
    else out[`x${k}`] = p.signed ? new Tensor('int8', new Int8Array(bytes.buffer), dims) : new Tensor('uint8', bytes, dims);
  });
  return out;
}

const bits = (t: Tensor) => Array.from(t.data as ArrayLike<number>);

describe('fuse-concat-quantize', () => {
  it('concatenates the bytes: unchanged where parameters match, a QLookup where they differ; verifies; bit-identical', () => {
    const p: Spec = { parts: [{ s: 0.05, z: 108, d: 2 }, { s: 0.031, z: 134, d: 1 }, { s: 0.05, z: 108, d: 3 }], out: { s: 0.05, z: 108 } };
    const m = model(p);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['QLookup', 'Concat']);
    const cat = r.model.graph.nodes[1];
    expect(cat.inputs[0]).toBe('x0');
    expect(cat.inputs[2]).toBe('x2');
    expect(cat.outputs).toEqual(['y']);
    expect(r.model.opsetImports.some((o) => o.domain === 'lowbit')).toBe(true);
    const [a, b] = runLevels(m, feeds(p, 1), ['none', 'all']);
    expect(bits(b.y)).toEqual(bits(a.y));
  });

  it('law: the fused graph equals the literal one bit for bit (random parameters, axes, signedness)', () => {
    const part = fc.record({ s: fc.float({ min: Math.fround(1e-3), max: 2, noNaN: true }), z: fc.integer({ min: 0, max: 255 }), d: fc.integer({ min: 1, max: 3 }) });
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), part, fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.nat(50), (parts, out, signed, axis, reuse, seed) => {
      const sz = (z: number) => (signed ? z - 128 : z);
      const ps = parts.map((c, k) => (reuse && k === 0 ? { ...out, d: c.d } : c)).map((c) => ({ ...c, z: sz(c.z) }));
      const spec: Spec = { parts: ps, out: { s: out.s, z: sz(out.z) }, signed, axis };
      const m = model(spec);
      expect(run(m).modified).toBe(true);
      const [a, b] = runLevels(m, feeds(spec, seed), ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
    }), { numRuns: 60 });
  });

  it('leaves an observable or kept Concat, a non-dequantized input, mismatched dtypes and a missing QLookup kernel alone', () => {
    const base: Spec = { parts: [{ s: 0.05, z: 108, d: 2 }, { s: 0.031, z: 134, d: 1 }], out: { s: 0.05, z: 108 } };
    for (const m of [model({ ...base, leak: true }), model({ ...base, floatInput: true })]) expect(run(m).model).toBe(m);
    const kept = model(base);
    expect(run(kept, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'cat' } }).model).toBe(kept);
    const noLookup = model(base);
    expect(run(noLookup, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('lowbit.') ? undefined : 1) } }).model).toBe(noLookup);
    // equal parameters need no lookup kernel
    const equal = model({ ...base, parts: [{ s: 0.05, z: 108, d: 2 }, { s: 0.05, z: 108, d: 1 }] });
    const r = run(equal, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('lowbit.') ? undefined : 1) } });
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['Concat']);
    expect(r.model.opsetImports.some((o) => o.domain === 'lowbit')).toBe(false);
    // an int8 dequantized input under a uint8 quantizer
    const mixed = model(base);
    const g = { ...mixed.graph, initializers: mixed.graph.initializers.map((t) => (t.name === 'z1' ? i8('z1', [], [3]) : t)) };
    const m2 = { ...mixed, graph: g };
    expect(run(m2).model).toBe(m2);
  });

  it('native backend: same outputs at all and none', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const p: Spec = { parts: [{ s: 0.05, z: 108, d: 16 }, { s: 0.031, z: 134, d: 16 }, { s: 0.07, z: 115, d: 16 }], out: { s: 0.05, z: 108 } };
    const m = model(p);
    const [all, none] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
    expect(all.optimization.opsAfter.DequantizeLinear ?? 0).toBe(0);
    expect(all.optimization.opsAfter['lowbit.QLookup']).toBe(2);
    const f = feeds(p, 3);
    expect(bits(all.runSync(f).y)).toEqual(bits(none.runSync(f).y));
    native.dispose?.();
  });
});
