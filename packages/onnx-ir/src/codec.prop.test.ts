/**
 * Codec laws over generated data (arbitraries from @lowbit/testing, written independently of this codec):
 * - a tensor in any dtype survives encode -> decode in both raw and typed encodings, with the values the arbitrary
 *   drew (in the kernels' storage convention);
 * - a model (with If subgraphs) survives encode -> decode: same nodes, values and tensor bytes, and re-encoding the
 *   decoded model gives the same bytes.
 */
import { arbModel, arbTensor } from '@lowbit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeModel, encodeTensor } from './codec.js';
import { tensorValuesSync } from './tensor-store.js';
import type { Graph, InlineTensor } from './types.js';

const shape = (g: Graph): unknown => ({
  inputs: g.inputs.map((v) => v.name),
  outputs: g.outputs.map((v) => v.name),
  nodes: g.nodes.map((n) => ({
    op: n.opType, inputs: n.inputs, outputs: n.outputs,
    attrs: n.attributes.map((a) => (a.type === 'graph' ? shape(a.value) : a)),
  })),
  inits: g.initializers.map((t) => [t.name, t.dtype, t.dims, [...(t as InlineTensor).data]]),
});

describe('codec properties', () => {
  it('tensors of every dtype round-trip through raw and typed encodings', () => {
    fc.assert(fc.property(arbTensor(), fc.boolean(), ({ tensor, data, dtype, dims }, typed) => {
      const t: InlineTensor = { ...tensor, encoding: typed ? 'typed' : 'raw' };
      const back = decodeTensor(encodeTensor(t)) as InlineTensor;
      expect(back.encoding).toBe(t.encoding);
      expect([back.dtype, back.dims]).toEqual([dtype, dims]);
      expect([...back.data]).toEqual([...t.data]);
      const values = tensorValuesSync(back);
      expect(Array.from(values.data as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
    }), { numRuns: 300 });
  });

  it('models round-trip and re-encode to identical bytes', () => {
    fc.assert(fc.property(arbModel({ withSubgraphs: true }), (m) => {
      const bytes = encodeModel(m);
      const back = decodeModel(bytes);
      expect(shape(back.graph)).toEqual(shape(m.graph));
      expect(encodeModel(back)).toEqual(bytes);
    }), { numRuns: 150 });
  });
});
