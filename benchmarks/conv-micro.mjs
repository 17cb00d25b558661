#!/usr/bin/env node
// Dense int8 QLinearConv shapes of ultraface-rfb-320 / ppocr-mobile-v2-cls on the native addon's direct convolution
// (avx512-vnni unless LOWBIT_QKERNEL names another), one thread, min over batches of the wall time per call (robust to other
// load on the machine). Extra addon builds given as arguments (copies of lowbit_native.node) run the same shapes in the
// same process for an A/B.
// Usage: node benchmarks/conv-micro.mjs [reps=200] [other.node ...]
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const req = createRequire(import.meta.url);
const [repsArg = '200', ...others] = process.argv.slice(2);
const paths = [fileURLToPath(new URL('../packages/kernels-native/build/Release/lowbit_native.node', import.meta.url)), ...others];
const addons = paths.map((p) => req(p));
const kernel = process.env.LOWBIT_QKERNEL ?? 'avx512-vnni';
// [M, C, KH, KW, stride, H, W, pad]
const SHAPES = [
  [16, 3, 3, 3, 2, 240, 320, 1], [32, 16, 1, 1, 1, 120, 160, 0], [32, 32, 1, 1, 1, 60, 80, 0], [64, 32, 1, 1, 1, 30, 40, 0],
  [64, 64, 1, 1, 1, 30, 40, 0], [8, 64, 1, 1, 1, 30, 40, 0], [16, 8, 3, 3, 1, 30, 40, 1], [16, 16, 3, 3, 1, 30, 40, 1],
  [64, 48, 1, 1, 1, 30, 40, 0], [128, 128, 1, 1, 1, 15, 20, 0], [256, 256, 1, 1, 1, 8, 10, 0], [12, 256, 3, 3, 1, 4, 5, 1],
  [8, 3, 3, 3, 2, 48, 192, 1], [8, 8, 1, 1, 1, 24, 96, 0], [24, 8, 1, 1, 1, 12, 96, 0], [88, 16, 1, 1, 1, 3, 96, 0],
  [200, 32, 1, 1, 1, 2, 96, 0], [32, 200, 1, 1, 1, 2, 96, 0], [22, 88, 1, 1, 1, 1, 1, 0],
];
const reps = Number(repsArg);
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
const cpu = () => Number(process.hrtime.bigint()) / 1000;
const totals = addons.map(() => 0);
for (const [M, C, KH, KW, s, H, W, p] of SHAPES) {
  const K = C * KH * KW, OH = Math.floor((H + 2 * p - KH) / s) + 1, OW = Math.floor((W + 2 * p - KW) / s) + 1;
  const wt = Int8Array.from({ length: K * M }, () => rnd() - 128);
  const x = Uint8Array.from({ length: C * H * W }, rnd);
  const g = new Int32Array(new ArrayBuffer(52));
  g.set([C, H, W, KH, KW, p, p, s, s, 1, 1, OH, OW]);
  const mult = Float32Array.from({ length: M }, (_, m) => 0.0003 + m * 1e-6);
  const bias = Int32Array.from({ length: M }, (_, m) => m * 37 - 500);
  const zw = new Int8Array(M);
  const line = [];
  const runs = addons.map((a) => {
    const q = new a.QGemm(kernel, wt, K, M, 1);
    const y = new Uint8Array(M * OH * OW);
    for (let r = 0; r < 20; r++) q.runConvRequant(null, x, 1, g, 7, zw, mult, 3, y, bias);
    return { q, y, best: Infinity };
  });
  // the builds alternate rep by rep, so that load on the machine hits them alike
  const inner = Math.max(1, Math.ceil(2e5 / (M * K * OH * OW + 2e4)));
  for (let r = 0; r < reps; r++)
    for (const u of runs) {
      const t = cpu();
      for (let j = 0; j < inner; j++) u.q.runConvRequant(null, x, 1, g, 7, zw, mult, 3, u.y, bias);
      u.best = Math.min(u.best, (cpu() - t) / inner);
    }
  runs.forEach((u, i) => {
    if (i > 0 && !u.y.every((v, j) => v === runs[0].y[j])) line.push('MISMATCH');
    u.q.dispose();
    totals[i] += u.best;
    line.push(`${u.best.toFixed(1).padStart(7)} us`);
  });
  console.log(`${`${M}x${C}x${KH}x${KW} s${s} ${H}x${W}`.padEnd(26)} ${line.join(' ')}`);
}
console.log(`${'total'.padEnd(26)} ${totals.map((t) => `${t.toFixed(1).padStart(7)} us`).join(' ')}`);
