#!/usr/bin/env node
// Memory benchmark of calibration (issue 5): calibrate ultraface-rfb-320 over 200 generated inputs and print the
// peak resident memory against the bound "2 x the model's float activations + 100 MB".
//
//   npx tsc -b packages/calibrators packages/runtime && node benchmarks/calibration-memory.bench.mjs [method] [count]
//
// method: min-max | entropy | percentile | mse | distribution (default entropy: two passes, 2048-bin histograms).
// "Float activations" = bytes of every float32 value one run produces (inputs included), measured through the value
// hook on a first run. The peer in the same run is the store-everything approach (what a calibrator that keeps
// the activations, like onnxruntime's Python calibrators, holds): count x activations; we print the ratio.
// Inputs are generated lazily (seeded), never held as a list, so the data source itself costs one input.
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelPath = resolve(process.env.LOWBIT_TESTDATA ?? resolve(root, '..', 'shared', 'testdata'), 'models', 'ultraface-rfb-320.onnx');
const method = process.argv[2] ?? 'entropy';
const count = Number(process.argv[3] ?? 200);
const MB = 1024 * 1024;

const cal = await import('@lowbit/calibrators');
let rt;
try {
  rt = await import('@lowbit/runtime');
} catch (e) {
  console.error(`calibration-memory: @lowbit/runtime is not built or not loadable (${e.message})`);
  process.exit(2);
}
if (!existsSync(modelPath)) {
  console.error(`calibration-memory: ${modelPath} not found (set LOWBIT_TESTDATA)`);
  process.exit(2);
}

let peak = 0;
const sample = () => {
  const r = process.memoryUsage().rss;
  if (r > peak) peak = r;
};
const timer = setInterval(sample, 20);

const session = await rt.Session.create(modelPath, { graphOptimization: 'none' }); // calibration observes the model's own values
const meta = session.inputMetadata[0];
const inputName = session.inputNames[0];
const dims = meta.shape.map((d) => (typeof d === 'number' ? d : 1));
const size = dims.reduce((a, b) => a * b, 1);

function* generate(n, seed = 1234) {
  let s = seed;
  for (let k = 0; k < n; k++) {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = (s / 2 ** 32) * 2 - 1; // like a normalised image: (pixel/255 - 0.5) / 0.5
    }
    yield { [inputName]: new rt.Tensor('float32', data, dims) };
  }
}

// Measure the float activations of one run and collect the names of float tensors to calibrate.
let activationBytes = 0;
const names = [];
await session.run(generate(1).next().value, {
  onValue: (name, t) => {
    if (t.dtype === 'float32') {
      activationBytes += t.data.byteLength;
      names.push(name);
    }
  },
});
global.gc?.();
sample();
const baseline = process.memoryUsage().rss;
peak = baseline;

const calibrators = { 'min-max': cal.minMax, entropy: cal.entropy, percentile: cal.percentile, mse: cal.mse, distribution: cal.distribution };
const calibrator = calibrators[method];
if (!calibrator) throw new Error(`unknown method ${method}`);
const prepass = method === 'entropy' || method === 'percentile' || method === 'mse';
const t0 = performance.now();
const result = await cal.calibrate({
  model: session,
  data: () => generate(count),
  targets: names.map((tensor) => ({ tensor, calibrator, spec: {}, prepass })),
  // Sample memory on every batch too (the interval timer cannot fire while a synchronous run is busy).
});
const seconds = (performance.now() - t0) / 1000;
sample();
clearInterval(timer);

const bound = 2 * activationBytes + 100 * MB;
const maxRss = process.resourceUsage().maxRSS * 1024;
const peakSeen = Math.max(peak, maxRss);
console.log(`calibration-memory: ultraface-rfb-320, ${count} inputs [${dims.join(', ')}], method ${method}, ${names.length} tensors observed, ${result.batches} batches in the last pass, ${seconds.toFixed(1)} s`);
console.log(`  float activations of one run: ${(activationBytes / MB).toFixed(1)} MB`);
console.log(`  baseline RSS after loading:  ${(baseline / MB).toFixed(1)} MB`);
console.log(`  peak RSS (process maxRSS):   ${(peakSeen / MB).toFixed(1)} MB  (above baseline: ${((peakSeen - baseline) / MB).toFixed(1)} MB)`);
console.log(`  bound 2 x activations + 100 MB: ${(bound / MB).toFixed(1)} MB -> ${peakSeen <= bound ? 'WITHIN' : 'OVER'} (peak RSS compared, whole process)`);
console.log(`  store-all peer (${count} x activations): ${((count * activationBytes) / MB).toFixed(1)} MB; ratio peak / store-all = ${(peakSeen / (count * activationBytes)).toFixed(3)}`);
process.exit(peakSeen <= bound ? 0 : 1);
