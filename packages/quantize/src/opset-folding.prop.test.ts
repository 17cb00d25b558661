/**
 * Law: folding a node at its own opset equals running it. For ops whose signature changed across opsets (axes,
 * split, min/max, pads, scales moving from attributes to inputs), a random node in the form its random opset
 * prescribes is folded by `constant-folding` with the runtime-backed evaluator; the folded initializer equals the
 * unfolded model run in Lowbit's runtime (bit for bit) and in onnxruntime-node (the judge, within float rounding).
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, createPassContext, encodeModel, minIrVersionForOpset, tensorFromValues, tensorValuesSync } from '@lowbit/onnx-ir';
import type { Attr, Model, Node, TensorRef } from '@lowbit/onnx-ir';
import { constantFolding } from '@lowbit/rewriters';
import { Session } from '@lowbit/runtime';
import { runtimeEvaluator } from './runner.js';

/** One node of `op` at `opset` with its constant inputs (attribute or input forms as the opset prescribes). */
interface Case { readonly op: string; readonly opset: number; readonly attrs: Attr[]; readonly inputs: (TensorRef | null)[]; readonly outputs: number }

const ints = (name: string, v: readonly number[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) });
const int = (name: string, v: number): Attr => ({ name, type: 'int', value: BigInt(v) });
const float = (name: string, v: number): Attr => ({ name, type: 'float', value: v });
const i64 = (name: string, v: readonly number[]): TensorRef => tensorFromValues(name, DataType.INT64, [v.length], v.map(BigInt));
const f32 = (name: string, dims: readonly number[], v: ArrayLike<number>): TensorRef => tensorFromValues(name, DataType.FLOAT, dims, Float32Array.from(v));
const numel = (d: readonly number[]): number => d.reduce((a, b) => a * b, 1);

const arbDims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
/** Values with many ties, so max/min/mean exercise equal elements too. */
const arbX = arbDims.chain((dims) => fc.tuple(fc.constant(dims), fc.array(fc.integer({ min: -8, max: 8 }).map((v) => v / 4), { minLength: numel(dims), maxLength: numel(dims) })));
/** A non-empty, duplicate-free subset of the axes of a rank-r tensor, some given as negative numbers. */
const arbAxes = (r: number) => fc.uniqueArray(fc.integer({ min: 0, max: r - 1 }), { minLength: 1, maxLength: r }).chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - r))));

/** Reduce ops: `axes` is an attribute before `inputSince`, an input from it on. */
function reduceCase(op: string, inputSince: number, opsets: readonly number[]): fc.Arbitrary<Case> {
  return fc.record({ x: arbX, opset: fc.constantFrom(...opsets), keep: fc.constantFrom(0, 1), withAxes: fc.boolean() }).chain(({ x: [dims, v], opset, keep, withAxes }) =>
    arbAxes(dims.length).map((axes): Case => {
      const inputs: (TensorRef | null)[] = [f32('x', dims, v)];
      const attrs = [int('keepdims', keep)];
      if (withAxes && opset < inputSince) attrs.push(ints('axes', axes));
      if (withAxes && opset >= inputSince) inputs.push(i64('axes', axes));
      return { op, opset, attrs, inputs, outputs: 1 };
    }));
}

/** Squeeze/Unsqueeze: `axes` an attribute before 13, an input from 13 on. */
function squeezeCase(op: 'Squeeze' | 'Unsqueeze'): fc.Arbitrary<Case> {
  return fc.record({ x: arbX, opset: fc.constantFrom(11, 12, 13, 21), extra: fc.integer({ min: 1, max: 2 }) }).chain(({ x: [dims0, v], opset, extra }) => {
    // Squeeze needs size-1 axes to remove: give the tensor some.
    const dims = op === 'Squeeze' ? [1, ...dims0, 1] : dims0;
    const r = op === 'Squeeze' ? dims.length : dims.length + extra;
    const candidates = op === 'Squeeze' ? dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : [...Array(r).keys()];
    const axesArb = op === 'Squeeze' ? fc.subarray(candidates, { minLength: 1 }) : fc.uniqueArray(fc.constantFrom(...candidates), { minLength: extra, maxLength: extra });
    return axesArb.chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - r)))).map((axes): Case => {
      const x = f32('x', dims, v);
      return opset < 13 ? { op, opset, attrs: [ints('axes', axes)], inputs: [x], outputs: 1 } : { op, opset, attrs: [], inputs: [x, i64('axes', axes)], outputs: 1 };
    });
  });
}

/** Split: `split` an attribute before 13, an input from 13 on; `num_outputs` from 18 on (uneven last chunk). */
const splitCase: fc.Arbitrary<Case> = fc.record({ x: arbX, opset: fc.constantFrom(11, 13, 18, 21), byCount: fc.boolean(), axisSeed: fc.nat() }).chain(({ x: [dims, v], opset, byCount, axisSeed }) => {
  const axis = axisSeed % dims.length;
  const len = dims[axis];
  const parts = fc.array(fc.integer({ min: 1, max: len }), { minLength: 1, maxLength: len }).map((cuts) => {
    const split: number[] = [];
    let left = len;
    for (const c of cuts) { if (left === 0) break; const p = Math.min(c, left); split.push(p); left -= p; }
    if (left > 0) split.push(left);
    return split;
  });
  return parts.map((split): Case => {
    const x = f32('x', dims, v);
    const attrs = [int('axis', axis)];
    if (opset >= 18 && byCount) {
      // n with every chunk non-empty: ONNX leaves an empty last chunk (len 4, n 3 -> 2, 2, 0) unspecified and
      // onnxruntime, the judge here, refuses it
      let n = Math.min(split.length, len);
      while (n > 1 && (n - 1) * Math.ceil(len / n) >= len) n--;
      return { op: 'Split', opset, attrs: [...attrs, int('num_outputs', n)], inputs: [x], outputs: n };
    }
    if (opset < 13) return { op: 'Split', opset, attrs: [...attrs, ints('split', split)], inputs: [x], outputs: split.length };
    return { op: 'Split', opset, attrs, inputs: [x, i64('split', split)], outputs: split.length };
  });
});

/** Clip: `min`/`max` attributes before 11, optional scalar inputs from 11 on. */
const clipCase: fc.Arbitrary<Case> = fc.record({ x: arbX, opset: fc.constantFrom(6, 10, 11, 13, 21), lo: fc.option(fc.integer({ min: -8, max: 0 }).map((v) => v / 4)), hi: fc.option(fc.integer({ min: 0, max: 8 }).map((v) => v / 4)) }).map(({ x: [dims, v], opset, lo, hi }): Case => {
  const x = f32('x', dims, v);
  if (opset < 11) return { op: 'Clip', opset, attrs: [...(lo !== null ? [float('min', lo)] : []), ...(hi !== null ? [float('max', hi)] : [])], inputs: [x], outputs: 1 };
  const inputs: (TensorRef | null)[] = [x, lo !== null ? f32('lo', [], [lo]) : null];
  if (hi !== null) inputs.push(f32('hi', [], [hi]));
  return { op: 'Clip', opset, attrs: [], inputs, outputs: 1 };
});

/** Pad (constant mode): `pads`/`value` attributes before 11, inputs from 11 on. */
const padCase: fc.Arbitrary<Case> = fc.record({ x: arbX, opset: fc.constantFrom(2, 10, 11, 13, 18, 21), value: fc.integer({ min: -4, max: 4 }).map((v) => v / 2) }).chain(({ x: [dims, v], opset, value }) =>
  fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * dims.length, maxLength: 2 * dims.length }).map((pads): Case => {
    const x = f32('x', dims, v);
    if (opset < 11) return { op: 'Pad', opset, attrs: [ints('pads', pads), float('value', value)], inputs: [x], outputs: 1 };
    return { op: 'Pad', opset, attrs: [], inputs: [x, i64('pads', pads), f32('value', [], [value])], outputs: 1 };
  }));

/** Resize (nearest, integer scales): `[X, scales]` at opset 10, `[X, roi, scales]` from 11 on. */
const resizeCase: fc.Arbitrary<Case> = fc.record({ x: arbX, opset: fc.constantFrom(10, 11, 13, 19), up: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }) }).map(({ x: [dims, v], opset, up }): Case => {
  const x = f32('x', dims, v);
  const scales = f32('scales', [dims.length], up.slice(0, dims.length));
  const attrs: Attr[] = [{ name: 'mode', type: 'string', value: 'nearest' }];
  if (opset === 10) return { op: 'Resize', opset, attrs, inputs: [x, scales], outputs: 1 };
  attrs.push({ name: 'coordinate_transformation_mode', type: 'string', value: 'asymmetric' }, { name: 'nearest_mode', type: 'string', value: 'floor' });
  return { op: 'Resize', opset, attrs, inputs: [x, f32('roi', [0], []), scales], outputs: 1 };
});

/** The node, each output read by an Identity whose output is a graph output (graph outputs are never folded). */
function modelOf(c: Case): Model {
  const outs = Array.from({ length: c.outputs }, (_, i) => `out${i}`);
  const node: Node = { id: 'op', name: 'op', domain: '', opType: c.op, inputs: c.inputs.map((t) => t?.name ?? null), outputs: outs, attributes: c.attrs };
  const reads: Node[] = outs.map((o, i) => ({ id: `id${i}`, name: `id${i}`, domain: '', opType: 'Identity', inputs: [o], outputs: [`y${i}`], attributes: [] }));
  return {
    irVersion: minIrVersionForOpset(c.opset), opsetImports: [{ domain: '', version: c.opset }],
    graph: {
      name: 'fold', inputs: [], outputs: outs.map((_, i) => ({ name: `y${i}`, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: undefined } })),
      initializers: c.inputs.filter((t): t is TensorRef => t !== null), sparseInitializers: [], nodes: [node, ...reads], valueInfo: [],
    },
    functions: [], metadataProps: [],
  };
}

async function foldingEqualsRunning(c: Case): Promise<void> {
  const m = modelOf(c);
  const folded = (await constantFolding({ evaluator: runtimeEvaluator }).run(m, createPassContext())).model;
  expect(folded.graph.nodes.map((n) => n.opType), `${c.op} at opset ${c.opset} was not folded`).not.toContain(c.op);
  const lowbit = await Session.fromModel(m).run({});
  const judge = await (await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'] })).run({});
  for (let i = 0; i < c.outputs; i++) {
    const t = tensorValuesSync(folded.graph.initializers.find((x) => x.name === `out${i}`)!);
    const got = Array.from(t.data as Float32Array);
    expect(t.dims).toEqual([...lowbit[`y${i}`].dims]);
    expect(got).toEqual(Array.from(lowbit[`y${i}`].data as Float32Array));
    expect(t.dims).toEqual([...judge[`y${i}`].dims]);
    const want = Array.from(judge[`y${i}`].data as Float32Array);
    got.forEach((g, j) => expect(Math.abs(g - want[j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[j]))));
  }
}

describe('constant folding at the node\'s own opset equals running the node (runtime, and onnxruntime-node as judge)', () => {
  const cases: [string, fc.Arbitrary<Case>][] = [
    ['ReduceMean (axes input from 18)', reduceCase('ReduceMean', 18, [11, 13, 17, 18, 21])],
    ['ReduceMax (axes input from 18)', reduceCase('ReduceMax', 18, [11, 13, 18, 20])],
    ['ReduceSum (axes input from 13)', reduceCase('ReduceSum', 13, [11, 12, 13, 21])],
    ['Squeeze (axes input from 13)', squeezeCase('Squeeze')],
    ['Unsqueeze (axes input from 13)', squeezeCase('Unsqueeze')],
    ['Split (split input from 13, num_outputs from 18)', splitCase],
    ['Clip (min/max inputs from 11)', clipCase],
    ['Pad (pads/value inputs from 11)', padCase],
    ['Resize (roi input from 11)', resizeCase],
  ];
  for (const [name, arb] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(arb, foldingEqualsRunning), { numRuns: 25 });
    });
  }
});
