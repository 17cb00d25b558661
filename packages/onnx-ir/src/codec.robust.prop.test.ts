/**
 * Corrupt input never escapes as anything but ModelFormatError: random bit flips, byte overwrites, truncations and
 * insertions applied to real models (one with If/Loop subgraphs) either decode to a model that encodes again, or throw
 * ModelFormatError. Never another exception, never a hang (each case is bounded by the test timeout).
 */
import { readFileSync } from 'node:fs';
import { testdataPath } from '@lowbit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeModel } from './codec.js';
import { ModelFormatError } from './errors.js';

const models = [
  testdataPath('models', 'mnist-8.onnx'),
  testdataPath('onnx-node', 'test_loop11', 'model.onnx'),
  testdataPath('onnx-node', 'test_if_seq', 'model.onnx'),
  testdataPath('onnx-node', 'test_dequantizelinear_int4', 'model.onnx'),
].map((p) => new Uint8Array(readFileSync(p)));

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; value: number };

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function apply(src: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else {
      const c = new Uint8Array(b.length + 1);
      c.set(b.subarray(0, at));
      c[at] = m.value;
      c.set(b.subarray(at), at + 1);
      b = c;
    }
  }
  return b;
}

function outcome(f: () => unknown): 'ok' | 'format-error' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof ModelFormatError) return 'format-error';
    throw err;
  }
}

describe('corrupt bytes', () => {
  it('decode either succeeds (and the result encodes) or throws ModelFormatError', () => {
    let errors = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: models.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (mi, muts) => {
        const bytes = apply(models[mi]!, muts);
        const r = outcome(() => {
          const m = decodeModel(bytes);
          decodeModel(encodeModel(m));
        });
        if (r === 'format-error') errors++;
      }),
      { numRuns: 400 },
    );
    // The property is only meaningful if corruption is actually detected a fair share of the time.
    expect(errors).toBeGreaterThan(20);
  });

  it('tensor decoding obeys the same rule', () => {
    const pb = new Uint8Array(readFileSync(testdataPath('onnx-node', 'test_dequantizelinear_int4', 'test_data_set_0', 'input_0.pb')));
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
      outcome(() => decodeTensor(apply(pb, muts)));
    }), { numRuns: 300 });
  });

  it('rejects random garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      outcome(() => decodeModel(b));
    }), { numRuns: 300 });
  });
});
