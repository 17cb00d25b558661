// TEST-ONLY (run with `node --expose-gc`, by calibration-retention.test.ts): calibrateStatic over batches with a
// large activation, through @lowbit/runtime (built dist), holding only WeakRefs to every feed and every observed
// value. When each new batch starts running it collects garbage and counts the earlier batches' feeds and observed
// values still alive: calibration must keep statistics only.
// Batches are counted per run (over all passes): the feed made for a run belongs to that run. Prints one JSON line.
import { DataType } from '@lowbit/onnx-ir';
import { calibrateStatic } from '@lowbit/quantize';
import { Session, Tensor } from '@lowbit/runtime';

const [method = 'entropy', batches = '10', elems = String(1 << 20)] = process.argv.slice(2);
const E = Number(elems);
// x [1, C, S, S] -> Conv 1x1 -> Relu -> Conv 1x1 -> y: every activation has E = C * S * S floats.
const C = 4;
const S = Math.round(Math.sqrt(E / C));
const shape = [1, C, S, S];
const io = (name) => ({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } });
const weight = (name, seed) => ({ kind: 'inline', name, dtype: DataType.FLOAT, dims: [C, C, 1, 1], data: new Uint8Array(Float32Array.from({ length: C * C }, (_, i) => ((i * 7 + seed) % 5) / 5 - 0.4).buffer), encoding: 'raw' });
const node = (opType, inputs, output) => ({ id: output, name: output, opType, domain: '', inputs, outputs: [output], attributes: [] });
const model = {
  irVersion: 8, opsetImports: [{ domain: '', version: 13 }], functions: [], metadataProps: [],
  graph: { name: 'big-activations', inputs: [io('x')], outputs: [io('y')], initializers: [weight('w1', 1), weight('w2', 2)], sparseInitializers: [], valueInfo: [],
    nodes: [node('Conv', ['x', 'w1'], 'c'), node('Relu', ['c'], 'r'), node('Conv', ['r', 'w2'], 'y')] },
};

const refs = []; // { batch, ref }
let current = -1;
let maxAlive = 0;
let observed = 0;
const aliveList = () => refs.filter((r) => r.batch < current && r.ref.deref() !== undefined);
const alive = () => { const a = aliveList(); if (process.env.DEBUG_RETENTION && a.length) console.error(current, a.map((r) => `${r.kind}@${r.batch}`).join(" ")); return a.length; };
const runner = async (m) => {
  const session = await Session.create(m);
  return {
    inputNames: session.inputNames,
    async run(feeds, observer) {
      // A new batch starts: every earlier batch's feed and activations must be unreachable by now.
      current += 1;
      await new Promise((r) => setImmediate(r));
      globalThis.gc();
      maxAlive = Math.max(maxAlive, alive());
      const f = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = new Tensor(v.dtype, v.data, v.dims);
      await session.run(f, {
        observe: observer.observe,
        onValue: (name, t) => { observed++; refs.push({ batch: current, kind: name, ref: new WeakRef(t.data) }); observer.onValue(name, { dtype: t.dtype, dims: t.dims, data: t.data }); },
      });
    },
  };
};
function feed(b) {
  const x = new Float32Array(C * S * S);
  let s = b + 1;
  for (let i = 0; i < x.length; i++) { s = (s * 1103515245 + 12345) >>> 0; x[i] = s / 2 ** 32 - 0.5; }
  refs.push({ batch: current + 1, kind: 'feed', ref: new WeakRef(x) });
  return { x: { dtype: 'float32', dims: shape, data: x } };
}
const data = () => ({
  async *[Symbol.asyncIterator]() {
    for (let b = 0; b < Number(batches); b++) {
      yield feed(b);
    }
  },
});
const before = process.memoryUsage();
const stats = await calibrateStatic(model, data, { calibrationMethod: method, runner });
current += 1;
await new Promise((r) => setImmediate(r));
globalThis.gc();
const after = process.memoryUsage();
console.log(JSON.stringify({ method, batches: Number(batches), elems: C * S * S, observed, kinds: [...new Set(refs.map((r) => r.kind))].sort(), refs: refs.length, maxAlive, aliveAtEnd: alive(), statsBytes: stats.length, arrayBuffersMB: (after.arrayBuffers - before.arrayBuffers) / 2 ** 20 }));
