#!/usr/bin/env node
// Memory benchmark of onnx-ir external data (issue 2): build a model whose weights (> 2 GB) live in an external-data
// file, load it, rewrite one node (Add -> Sub, by constructing the new graph), save it with external data, and report
// the peak resident memory. Bound: 300 MB. The peer in the same run is the bytes a load-everything reader holds (the
// whole weight file), printed as a ratio.
//
//   npx tsc -b packages/onnx-ir && node benchmarks/onnx-ir-large-external.bench.mjs [GiB=2.25]
//
// Everything is written under os.tmpdir() and removed at the end (also on failure).
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, encodeModel, loadModel, saveModel } from '@lowbit/onnx-ir';

const MB = 1024 * 1024;
const gib = Number(process.argv[2] ?? 2.25);
const TENSOR_BYTES = 64 * MB; // float32 [4096, 4096]
const count = Math.ceil((gib * 1024 * MB) / TENSOR_BYTES);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-large-external-'));

let peak = 0;
const sample = () => {
  const r = process.memoryUsage().rss;
  if (r > peak) peak = r;
};
const timer = setInterval(sample, 10);

/** Deterministic content so the copy can be checked: byte i of tensor k is (i * 31 + k) & 255. */
function chunkFor(k, start, len) {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = ((start + i) * 31 + k) & 255;
  return b;
}

try {
  // 1. Write the weights file in 4 MiB chunks and a model referencing it.
  const t0 = performance.now();
  const fd = openSync(join(dir, 'big.onnx.data'), 'w');
  const CH = 4 * MB;
  for (let k = 0; k < count; k++) {
    // (i * 31 + k) & 255 only depends on i mod 256; chunks start at multiples of 4 MiB, so one buffer serves every
    // chunk of tensor k.
    const chunk = chunkFor(k, 0, CH);
    for (let off = 0; off < TENSOR_BYTES; off += CH) writeSync(fd, chunk, 0, CH, k * TENSOR_BYTES + off);
  }
  closeSync(fd);
  const initializers = [];
  const nodes = [];
  for (let k = 0; k < count; k++) {
    const location = 'big.onnx.data';
    initializers.push({
      kind: 'external', name: `w${k}`, dtype: DataType.FLOAT, dims: [4096, 4096], location, offset: k * TENSOR_BYTES,
      length: TENSOR_BYTES, entries: [{ key: 'location', value: location }, { key: 'offset', value: String(k * TENSOR_BYTES) }, { key: 'length', value: String(TENSOR_BYTES) }],
    });
    nodes.push({ id: `n${k}`, name: `add${k}`, opType: 'Add', domain: '', inputs: [k === 0 ? 'x' : `y${k - 1}`, `w${k}`], outputs: [`y${k}`], attributes: [] });
  }
  const vi = (name) => ({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [4096, 4096] } });
  const model = {
    irVersion: 10, opsetImports: [{ domain: '', version: 21 }], functions: [], metadataProps: [],
    graph: { name: 'big', inputs: [vi('x')], outputs: [vi(`y${count - 1}`)], initializers, sparseInitializers: [], nodes, valueInfo: [] },
  };
  writeFileSync(join(dir, 'big.onnx'), encodeModel(model));
  const weightBytes = statSync(join(dir, 'big.onnx.data')).size;
  const t1 = performance.now();
  sample();
  const rssBefore = process.memoryUsage().rss;
  peak = rssBefore;

  // 2. Load, rewrite one node, save (external data threshold 1 KiB: every weight goes to the new data file).
  const loaded = await loadModel(join(dir, 'big.onnx'));
  const target = loaded.graph.nodes[Math.floor(count / 2)];
  const rewritten = {
    ...loaded,
    graph: { ...loaded.graph, nodes: loaded.graph.nodes.map((n) => (n === target ? { ...n, opType: 'Sub' } : n)) },
  };
  const outDir = join(dir, 'out');
  mkdirSync(outDir);
  await saveModel(rewritten, join(outDir, 'big-sub.onnx'), { externalDataThreshold: 1024 });
  const t2 = performance.now();
  sample();
  const maxRssKiB = process.resourceUsage().maxRSS;

  // 3. Check the result: the node changed, the bytes are the same (a sample of every tensor's first and last 64 KiB).
  const saved = await loadModel(join(outDir, 'big-sub.onnx'));
  if (saved.graph.nodes[Math.floor(count / 2)].opType !== 'Sub') throw new Error('rewrite lost');
  if (statSync(join(outDir, 'big-sub.onnx.data')).size !== weightBytes) throw new Error('data size differs');
  const probe = Buffer.alloc(64 * 1024);
  const sfd = openSync(join(outDir, 'big-sub.onnx.data'), 'r');
  for (const t of saved.graph.initializers) {
    const k = Number(t.name.slice(1));
    for (const at of [0, TENSOR_BYTES - probe.length]) {
      readSync(sfd, probe, 0, probe.length, t.offset + at);
      if (!probe.equals(chunkFor(k, at, probe.length))) throw new Error(`tensor ${t.name} differs at ${at}`);
    }
  }
  closeSync(sfd);

  clearInterval(timer);
  const limit = 300 * MB;
  const peakUsed = peak;
  console.log(`onnx-ir large external data: ${count} tensors x 64 MiB = ${(weightBytes / 1024 ** 3).toFixed(2)} GiB of weights`);
  console.log(`  build ${(t1 - t0).toFixed(0)} ms, load + rewrite + save ${(t2 - t1).toFixed(0)} ms`);
  console.log(`  peak RSS during load/rewrite/save (sampled every 10 ms): ${(peakUsed / MB).toFixed(1)} MB (bound 300 MB)`);
  console.log(`  process maxRSS (whole run, incl. building the input): ${(maxRssKiB / 1024).toFixed(1)} MB`);
  console.log(`  peer: a load-everything reader holds >= ${(weightBytes / MB).toFixed(0)} MB -> ratio ${(weightBytes / peakUsed).toFixed(1)}x less`);
  if (peakUsed > limit || maxRssKiB * 1024 > limit) {
    console.error('FAIL: peak memory above 300 MB');
    process.exitCode = 1;
  }
} finally {
  clearInterval(timer);
  rmSync(dir, { recursive: true, force: true });
}
