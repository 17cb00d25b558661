import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataType } from '@lowbit/onnx-ir';
import { arbGraph, arbTensor, packRaw } from './arbitraries.js';
import { floatTensor, mkGraph, mkNode, vi } from './graph-builder.js';
import { evaluateGraph } from './tiny-eval.js';

describe('packRaw (ONNX raw_data layout)', () => {
  it('packs by hand-checked examples', () => {
    // float32 1.0 = 0x3f800000, little-endian bytes 00 00 80 3f; -0 = 0x80000000.
    expect([...packRaw(DataType.FLOAT, Float32Array.of(1, -0))]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x80]);
    // int4 [1, -1, 7]: nibbles 0x1, 0xF, 0x7 -> bytes 0xF1 (element 0 low), 0x07.
    expect([...packRaw(DataType.INT4, Int8Array.of(1, -1, 7))]).toEqual([0xf1, 0x07]);
    // uint2 [1, 2, 3, 0, 1]: 1 | 2<<2 | 3<<4 | 0<<6 = 0x39, then 0x01.
    expect([...packRaw(DataType.UINT2, Uint8Array.of(1, 2, 3, 0, 1))]).toEqual([0x39, 0x01]);
    // int64 -2 = 0xFFFF_FFFF_FFFF_FFFE little-endian.
    expect([...packRaw(DataType.INT64, BigInt64Array.of(-2n))]).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // uint16 (also float16 bit patterns) 0x3c00 -> 00 3c.
    expect([...packRaw(DataType.FLOAT16, Uint16Array.of(0x3c00))]).toEqual([0x00, 0x3c]);
  });

  it('arbTensor: sizes agree with dims and the packed byte length matches the dtype width', () => {
    const bits: Partial<Record<number, number>> = { [DataType.INT4]: 4, [DataType.UINT4]: 4, [DataType.FLOAT4E2M1]: 4, [DataType.INT2]: 2, [DataType.UINT2]: 2 };
    fc.assert(fc.property(arbTensor(), (t) => {
      const n = t.dims.reduce((a, b) => a * b, 1);
      expect(t.data.length).toBe(n);
      const b = bits[t.dtype];
      expect(t.tensor.data.length).toBe(b === undefined ? n * t.data.BYTES_PER_ELEMENT : Math.ceil((n * b) / 8));
      expect(t.tensor).toMatchObject({ kind: 'inline', dtype: t.dtype, dims: t.dims, encoding: 'raw' });
    }));
  });

  it('arbTensor float32 draws reach NaN, infinities and -0', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(arbTensor({ dtypes: [DataType.FLOAT], maxRank: 1, maxDim: 8 }), (t) => {
      for (const x of t.data as Float32Array) {
        if (Number.isNaN(x)) seen.add('nan'); else if (!Number.isFinite(x)) seen.add('inf'); else if (Object.is(x, -0)) seen.add('-0');
      }
    }), { numRuns: 500 });
    expect([...seen].sort()).toEqual(['-0', 'inf', 'nan']);
  });
});

describe('arbGraph and evaluateGraph', () => {
  it('evaluates a hand-built graph to hand-computed values', () => {
    // y = Relu(x + w) * Neg(x);  x = [1, -2, 3, NaN], w = [1, 1, -5, 0]
    // x + w = [2, -1, -2, NaN]; Relu = [2, 0, 0, NaN]; Neg(x) = [-1, 2, -3, NaN]; product = [-2, 0, -0, NaN]
    const g = mkGraph({ inputs: ['x'], outputs: ['y'], initializers: [floatTensor('w', [4], [1, 1, -5, 0])],
      nodes: [mkNode('Add', ['x', 'w'], ['s']), mkNode('Relu', ['s'], ['r']), mkNode('Neg', ['x'], ['n']), mkNode('Mul', ['r', 'n'], ['y'])] });
    const y = evaluateGraph(g, new Map([['x', Float32Array.of(1, -2, 3, NaN)]])).get('y') as Float32Array;
    expect([...y]).toEqual([-2, 0, -0, NaN]);
    expect(Object.is(y[2], -0)).toBe(true);
  });

  it('evaluates If by the condition, with branches reading outer values', () => {
    const t = mkGraph({ name: 't', outputs: ['t0'], idPrefix: 't', nodes: [mkNode('Abs', ['x'], ['t0'])] });
    const e = mkGraph({ name: 'e', outputs: ['e0'], idPrefix: 'e', nodes: [mkNode('Neg', ['x'], ['e0'])] });
    const g = mkGraph({ inputs: ['x', vi('cond', DataType.BOOL, [])], outputs: ['c'], nodes: [mkNode('If', ['cond'], ['c'], { attributes: [
      { name: 'then_branch', type: 'graph', value: t }, { name: 'else_branch', type: 'graph', value: e }] })] });
    const x = Float32Array.of(-1, 2, -3, 4);
    expect([...(evaluateGraph(g, new Map<string, Float32Array | boolean>([['x', x], ['cond', true]])).get('c') as Float32Array)]).toEqual([1, 2, 3, 4]);
    expect([...(evaluateGraph(g, new Map<string, Float32Array | boolean>([['x', x], ['cond', false]])).get('c') as Float32Array)]).toEqual([1, -2, 3, -4]);
  });

  it('refuses graphs it cannot run (unknown op, undefined value)', () => {
    const bad = mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Conv', ['x'], ['y'])] });
    expect(() => evaluateGraph(bad, new Map([['x', Float32Array.of(0, 0, 0, 0)]]))).toThrow(/unsupported op Conv/);
    const undef = mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['z'], ['y'])] });
    expect(() => evaluateGraph(undef, new Map([['x', Float32Array.of(0, 0, 0, 0)]]))).toThrow(/"z" is not defined/);
  });

  it('drawn graphs evaluate (every value defined before use) and name their outputs among node outputs', () => {
    fc.assert(fc.property(arbGraph({ withSubgraphs: true }), fc.boolean(), (g, cond) => {
      const feeds = new Map<string, Float32Array | boolean>(g.inputs.map((i) => [i.name, i.name === 'cond' ? cond : Float32Array.of(1, 2, 3, 4)]));
      const out = evaluateGraph(g, feeds);
      expect([...out.keys()]).toEqual(g.outputs.map((o) => o.name));
      expect(new Set(g.nodes.map((n) => n.id)).size).toBe(g.nodes.length);
    }));
  });
});
