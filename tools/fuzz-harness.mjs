// Fuzzing the model pipeline a user's untrusted file goes through: decode -> load checks -> verify -> Session.create
// (js backend) -> run on small inputs. Cases are the shared test models with their bytes mutated (truncated,
// overwritten, spliced with another model, grown) or their parsed IR mutated (dims, dtypes, attribute values, edges,
// op types, dropped nodes, input shapes). The contract: whatever the input, only LowbitError subclasses escape, and
// every case ends quickly. Plain JavaScript so `node tools/fuzz.mjs` runs it on the built packages and vitest on the
// sources (its aliases map @lowbit/* to src).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { LowbitError, checkModel, dataTypeName, decodeModel, verifyModel } from '@lowbit/onnx-ir';
import { allocData } from '@lowbit/kernels';
import { Session, Tensor } from '@lowbit/runtime';

/** Seed models: small real models and node cases from ../shared/testdata (Loop and Scan too: runs have a time limit). */
export const SEED_FILES = [
  'models/mnist-8.onnx',
  'models/opt-mnist.onnx',
  'onnx-node/test_relu/model.onnx',
  'onnx-node/test_matmul_2d/model.onnx',
  'onnx-node/test_add/model.onnx',
  'onnx-node/test_averagepool_2d_default/model.onnx',
  'onnx-node/test_batchnorm_epsilon/model.onnx',
  'onnx-node/test_gather_0/model.onnx',
  'onnx-node/test_if/model.onnx',
  'onnx-node/test_matmulinteger/model.onnx',
  'onnx-node/test_dequantizelinear/model.onnx',
  'onnx-node/test_quantizelinear/model.onnx',
  'onnx-node/test_slice/model.onnx',
  'onnx-node/test_softmax_axis_0/model.onnx',
  'onnx-node/test_transpose_default/model.onnx',
  'onnx-node/test_loop11/model.onnx',
  'onnx-node/test_scan9_sum/model.onnx',
];

/** Reads the seed models' bytes from the test-data folder. */
export function loadSeeds(testdata) {
  return SEED_FILES.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(testdata, f))) }));
}

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const dim = fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(0, 1, 1000, 2 ** 20, 2 ** 31, 2 ** 53));
const OPS = ['Relu', 'Add', 'MatMul', 'Conv', 'Concat', 'Reshape', 'Gemm', 'Softmax', 'MaxPool', 'Transpose', 'Gather', 'Slice', 'QuantizeLinear', 'DequantizeLinear', 'Identity', 'Cast', 'Split', 'Expand', 'Tile', 'Pad', 'ConstantOfShape', 'NoSuchOp'];

const byteOp = fc.oneof(
  fc.record({ kind: fc.constant('truncate'), at: frac }),
  fc.record({ kind: fc.constant('set'), at: frac, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('splice'), at: frac, other: fc.nat(), from: frac }),
  fc.record({ kind: fc.constant('insert'), at: frac, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);
const irOp = fc.oneof(
  fc.record({ kind: fc.constant('dims'), pick: frac, dims: fc.array(dim, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('dtype'), pick: frac, dtype: fc.integer({ min: -1, max: 30 }) }),
  fc.record({ kind: fc.constant('attr'), pick: frac, which: frac, int: fc.oneof(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }), fc.bigInt({ min: -3n, max: 8n })), float: fc.double() }),
  fc.record({ kind: fc.constant('edge'), pick: frac, slot: fc.nat({ max: 4 }), to: frac, fresh: fc.boolean() }),
  fc.record({ kind: fc.constant('op'), pick: frac, op: fc.constantFrom(...OPS) }),
  fc.record({ kind: fc.constant('drop'), pick: frac }),
  fc.record({ kind: fc.constant('shape'), pick: frac, dims: fc.array(fc.oneof(dim, fc.constant(null)), { maxLength: 5 }) }),
);

/** One fuzz case: a seed, whether bytes or IR are mutated, and the mutations. */
export const fuzzCase = fc.record({
  seed: fc.nat(),
  form: fc.constantFrom('bytes', 'ir'),
  byteOps: fc.array(byteOp, { minLength: 1, maxLength: 4 }),
  irOps: fc.array(irOp, { minLength: 1, maxLength: 4 }),
});

const at = (f, n) => Math.min(n - 1, Math.floor(f * n));

function mutateBytes(bytes, ops, seeds) {
  let b = bytes;
  for (const o of ops) {
    if (b.length === 0) break;
    const i = at(o.at, b.length);
    if (o.kind === 'truncate') b = b.subarray(0, i);
    else if (o.kind === 'set') {
      b = b.slice();
      b[i] = o.value;
    } else if (o.kind === 'splice') {
      const other = seeds[o.other % seeds.length].bytes;
      const out = new Uint8Array(i + other.length - at(o.from, other.length));
      out.set(b.subarray(0, i));
      out.set(other.subarray(at(o.from, other.length)), i);
      b = out;
    } else {
      const out = new Uint8Array(b.length + o.bytes.length);
      out.set(b.subarray(0, i));
      out.set(o.bytes, i);
      out.set(b.subarray(i), i + o.bytes.length);
      b = out;
    }
  }
  return b;
}

const pickFrom = (xs, f) => (xs.length === 0 ? undefined : xs[at(f, xs.length)]);
const replaceAt = (xs, i, x) => xs.map((y, k) => (k === i ? x : y));

function mutateIr(model, ops) {
  let g = model.graph;
  for (const o of ops) {
    if (o.kind === 'dims' || o.kind === 'dtype') {
      const t = pickFrom(g.initializers, o.pick);
      if (!t) continue;
      const u = o.kind === 'dims' ? { ...t, dims: o.dims } : { ...t, dtype: o.dtype };
      g = { ...g, initializers: g.initializers.map((x) => (x === t ? u : x)) };
    } else if (o.kind === 'shape') {
      const v = pickFrom(g.inputs, o.pick);
      if (!v || v.type?.kind !== 'tensor') continue;
      g = { ...g, inputs: g.inputs.map((x) => (x === v ? { ...v, type: { ...v.type, shape: o.dims } } : x)) };
    } else {
      const n = pickFrom(g.nodes, o.pick);
      if (!n) continue;
      const k = g.nodes.indexOf(n);
      if (o.kind === 'drop') {
        g = { ...g, nodes: g.nodes.filter((_, j) => j !== k) };
      } else if (o.kind === 'op') {
        g = { ...g, nodes: replaceAt(g.nodes, k, { ...n, opType: o.op }) };
      } else if (o.kind === 'edge') {
        const names = [...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name), ...g.nodes.flatMap((m) => m.outputs.filter(Boolean))];
        const to = o.fresh ? `fuzz_${Math.floor(o.to * 1000)}` : pickFrom(names, o.to);
        const inputs = [...n.inputs];
        inputs[Math.min(o.slot, inputs.length)] = to ?? null;
        g = { ...g, nodes: replaceAt(g.nodes, k, { ...n, inputs }) };
      } else {
        const a = pickFrom(n.attributes, o.which);
        if (!a) continue;
        let b = a;
        if (a.type === 'int') b = { ...a, value: o.int };
        else if (a.type === 'ints') b = { ...a, value: a.value.map((v, j) => (j === 0 ? o.int : v)) };
        else if (a.type === 'float') b = { ...a, value: o.float };
        else if (a.type === 'floats') b = { ...a, value: a.value.map((v, j) => (j === 0 ? o.float : v)) };
        else if (a.type === 'string') b = { ...a, value: `fuzz${o.int}` };
        g = { ...g, nodes: replaceAt(g.nodes, k, { ...n, attributes: n.attributes.map((x) => (x === a ? b : x)) }) };
      }
    }
  }
  return { ...model, graph: g };
}

const FEED_DTYPES = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'float16']);

/** Small feeds for the graph inputs that are not initializers; undefined when an input cannot be fed small. */
function smallFeeds(model) {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const feeds = {};
  for (const v of model.graph.inputs) {
    if (inits.has(v.name)) continue;
    if (v.type?.kind !== 'tensor' || !v.type.shape) return undefined;
    let dtype;
    try {
      dtype = dataTypeName(v.type.elemType);
    } catch {
      return undefined;
    }
    if (!FEED_DTYPES.has(dtype)) return undefined;
    const dims = v.type.shape.map((d) => (typeof d === 'number' ? d : 1));
    if (dims.some((d) => !Number.isInteger(d) || d < 0 || d > 4096)) return undefined;
    const n = dims.reduce((a, b) => a * b, 1);
    if (n > 1 << 18) return undefined;
    const t = new Tensor(dtype, allocData(dtype, n), dims);
    for (let i = 0; i < n; i++) t.data[i] = dtype === 'int64' || dtype === 'uint64' ? BigInt(i % 3) : (i % 7) / 7;
    feeds[v.name] = t;
  }
  return feeds;
}

/** The case's input: mutated bytes, or a mutated IR model (its seed decodes). */
export function materialize(c, seeds) {
  const seed = seeds[c.seed % seeds.length];
  if (c.form === 'bytes') return mutateBytes(seed.bytes, c.byteOps, seeds);
  return mutateIr(decodeModel(seed.bytes), c.irOps);
}

/**
 * Runs one case through the pipeline. Resolves to { stage, code, ms, cpuMs }: the stage that refused it (decode,
 * check, create, run) with the LowbitError code, or stage 'ran'; wall-clock and CPU milliseconds (CPU time is the
 * fair bound on a loaded machine). Rejects with anything that is not a LowbitError.
 */
export async function runCase(input, options = {}) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cpuMs = () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  let stage = 'decode';
  try {
    const model = input instanceof Uint8Array ? decodeModel(input) : input;
    stage = 'check';
    checkModel(model);
    verifyModel(model);
    stage = 'create';
    const session = await Session.create(model, { backend: 'js', memoryLimit: options.memoryLimit ?? 16 << 20 });
    stage = 'run';
    const feeds = smallFeeds(model);
    if (feeds) await session.run(feeds, { timeoutMs: options.timeoutMs ?? 500 });
    session.release();
    return { stage: 'ran', code: '', ms: performance.now() - t0, cpuMs: cpuMs() };
  } catch (err) {
    if (err instanceof LowbitError) return { stage, code: err.code, ms: performance.now() - t0, cpuMs: cpuMs() };
    const e = new Error(`${stage}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    e.stage = stage;
    throw e;
  }
}
