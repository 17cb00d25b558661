#!/usr/bin/env node
// `npm run demo`: the main job on the bundled example. Quantizes mnist-8 with the `lowbit` CLI (static QDQ,
// per-channel, calibrated on 100 MNIST training images), then scores the float and quantized models on the 10,000
// official MNIST test images with Lowbit's runtime, and prints accuracy, size and speed before and after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Session, Tensor } from '@lowbit/runtime';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const testdata = process.env.LOWBIT_TESTDATA ?? resolve(root, '..', 'shared', 'testdata');
if (!existsSync(testdata)) {
  console.error(`demo: test data not found at ${testdata} (set LOWBIT_TESTDATA)`);
  process.exit(2);
}
const floatModel = join(testdata, 'models', 'mnist-8.onnx');
const outDir = join(root, 'demo-output');
mkdirSync(outDir, { recursive: true });
const quantModel = join(outDir, 'mnist-8.int8.onnx');

/** IDX (gzipped): magic 00 00 08 NN, NN big-endian dims, then bytes. */
function idx(path) {
  const b = gunzipSync(readFileSync(path));
  const n = b[3];
  const dims = Array.from({ length: n }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * n) };
}

async function score(path) {
  const images = idx(join(testdata, 'mnist', 't10k-images-idx3-ubyte.gz'));
  const labels = idx(join(testdata, 'mnist', 't10k-labels-idx1-ubyte.gz'));
  const session = await Session.create(path);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const count = images.dims[0];
  let correct = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const px = new Float32Array(784);
    for (let j = 0; j < 784; j++) px[j] = images.data[i * 784 + j] / 255;
    const r = await session.run({ [input]: new Tensor('float32', px, [1, 1, 28, 28]) });
    const logits = r[output].data;
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
    if (best === labels.data[i]) correct++;
  }
  const ms = (performance.now() - started) / count;
  const backend = `${session.backend} backend: ${session.isas.filter((i) => i !== 'scalar').join(', ') || 'scalar'}`;
  await session.release();
  return { accuracy: (100 * correct) / count, ms, count, backend };
}

const kib = (p) => `${(statSync(p).size / 1024).toFixed(1)} KiB`;
const cli = join(root, 'packages', 'cli', 'dist', 'bin.js');

console.log('Lowbit demo: mnist-8, static int8 quantization\n');
console.log(`1. float model ${floatModel} (${kib(floatModel)})`);
const before = await score(floatModel);
console.log(`   top-1 ${before.accuracy.toFixed(2)}% on ${before.count} MNIST test images, ${before.ms.toFixed(2)} ms/image (Lowbit runtime, ${before.backend})\n`);

const args = ['quantize', floatModel, '-o', quantModel, '--mode', 'static', '--per-channel',
  '--calib', join(testdata, 'mnist', 'train-10k-images-idx3-ubyte.gz'), '--calib-count', '100'];
console.log(`2. lowbit ${args.map((a) => a.replace(testdata, '<testdata>').replace(root + '/', '')).join(' ')}`);
const q = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
process.stdout.write(q.stdout.replace(/^/gm, '   '));
if (q.status !== 0) process.exit(q.status ?? 1);

console.log(`\n3. quantized model ${quantModel} (${kib(quantModel)})`);
const after = await score(quantModel);
console.log(`   top-1 ${after.accuracy.toFixed(2)}% on ${after.count} MNIST test images, ${after.ms.toFixed(2)} ms/image (${after.backend})\n`);
console.log(`accuracy ${before.accuracy.toFixed(2)}% -> ${after.accuracy.toFixed(2)}% (${(after.accuracy - before.accuracy >= 0 ? '+' : '')}${(after.accuracy - before.accuracy).toFixed(2)} points), ` +
  `size ${kib(floatModel)} -> ${kib(quantModel)}, ${before.ms.toFixed(2)} -> ${after.ms.toFixed(2)} ms/image`);
if (after.ms > before.ms) {
  console.log('note: the int8 model is not faster than float in Lowbit\'s runtime yet (mnist-8\'s layers are tiny, per-node overhead dominates); benchmarks/RESULTS.md, "end to end", has the figures and what is left.');
}
