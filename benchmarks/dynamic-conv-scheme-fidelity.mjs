#!/usr/bin/env node
// Output fidelity of quantizeDynamic's Conv weight schemes (asymmetric: weightSymmetric false; symmetric: the default),
// both models run in onnxruntime-node: output SQNR vs the float model on 6 generated inputs for ultraface-rfb-320,
// ppocr-mobile-v2-cls and mnist-8, and MNIST top-1 on the 10,000 test images (float: 98.90%).
// Usage: node benchmarks/dynamic-conv-scheme-fidelity.mjs
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { quantizeDynamic } from '@lowbit/quantize';

const td = (...p) => resolve(import.meta.dirname, '..', '..', 'shared', 'testdata', ...p);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-conv-scheme-'));
const SCHEMES = [['asymmetric', { weightSymmetric: false }], ['symmetric', {}]];
try {
  const models = { 'ultraface-rfb-320': [1, 3, 240, 320], 'ppocr-mobile-v2-cls': [1, 3, 48, 192], 'mnist-8': [1, 1, 28, 28] };
  for (const [name, dims] of Object.entries(models)) {
    const f = td('models', `${name}.onnx`);
    const sf = await ort.InferenceSession.create(f);
    const row = [name];
    for (const [label, opts] of SCHEMES) {
      const out = join(dir, `${name}.${label}.onnx`);
      await quantizeDynamic(readFileSync(f), out, opts);
      const sq = await ort.InferenceSession.create(out);
      let sig = 0, noise = 0;
      for (let seed = 0; seed < 6; seed++) {
        const n = dims.reduce((a, b) => a * b, 1);
        const mn = name === 'mnist-8';
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013 + seed) * Math.cos(i * 0.0007 * (seed + 1)) * (mn ? 0.5 : 1) + (mn ? 0.5 : 0));
        const feeds = { [sf.inputNames[0]]: new ort.Tensor('float32', x, dims) };
        const a = await sf.run(feeds), b = await sq.run(feeds);
        for (const k of sf.outputNames) {
          const u = a[k].data, v = b[k].data;
          for (let i = 0; i < u.length; i++) { sig += u[i] * u[i]; noise += (u[i] - v[i]) ** 2; }
        }
      }
      row.push(`${label} ${(10 * Math.log10(sig / noise)).toFixed(2)} dB`);
    }
    console.log(`${row.join('  ')}  (output SQNR vs float)`);
  }
  const imgs = gunzipSync(readFileSync(td('mnist', 't10k-images-idx3-ubyte.gz'))).subarray(16);
  const labels = gunzipSync(readFileSync(td('mnist', 't10k-labels-idx1-ubyte.gz'))).subarray(8);
  const row = ['mnist-8 top-1'];
  for (const [label, path] of [['float', td('models', 'mnist-8.onnx')], ...SCHEMES.map(([l]) => [l, join(dir, `mnist-8.${l}.onnx`)])]) {
    const s = await ort.InferenceSession.create(path);
    let ok = 0;
    for (let i = 0; i < 10000; i++) {
      const x = Float32Array.from(imgs.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
      const y = (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 28, 28]) }))[s.outputNames[0]].data;
      let b = 0;
      for (let k = 1; k < 10; k++) if (y[k] > y[b]) b = k;
      if (b === labels[i]) ok++;
    }
    row.push(`${label} ${(ok / 100).toFixed(2)}%`);
  }
  console.log(row.join('  '));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
