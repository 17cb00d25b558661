// Worker module for sharded.test.ts with a custom calibrator kind ('value-count': how many finite values were
// seen), exported through `calibrators` so that workers can rebuild it by kind.
export { createModel } from './mlp-model.mjs';

export const valueCount = {
  kind: 'value-count',
  init: () => 0,
  observe: (s, batch) => s + batch.data.filter((v) => Number.isFinite(v)).length,
  merge: (a, b) => a + b,
  computeRange: (s) => ({ axis: null, min: [0], max: [s] }),
  encode: (s) => new Uint8Array(new Float64Array([s]).buffer),
  decode: (b) => new Float64Array(b.slice().buffer)[0],
};

export const calibrators = { 'value-count': valueCount };
