#!/usr/bin/env node
// Throughput of every built-in calibration method on synthetic activations (no model needed):
// observe a [8, 64, 56, 56] float32 batch (1.6 M values) per tensor, then computeRange, per tensor and per channel.
// Peer in the same run: a plain min/max loop over the same data (the cheapest possible statistic); ratios printed.
//   npx tsc -b packages/calibrators && node benchmarks/calibration-methods.bench.mjs
const cal = await import('@lowbit/calibrators');

const dims = [8, 64, 56, 56];
const n = dims.reduce((a, b) => a * b, 1);
const data = new Float32Array(n);
let s = 99;
for (let i = 0; i < n; i++) {
  s = (s * 1103515245 + 12345) >>> 0;
  const u = s / 2 ** 32;
  data[i] = Math.fround(Math.log(u / (1 - u + 1e-9) + 1e-9)); // logistic-ish tails
}
const batch = { dims, data };

function time(fn, reps = 3) {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const peerMs = time(() => {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) throw new Error('unreachable');
});
console.log(`peer: plain min/max loop over ${(n / 1e6).toFixed(2)} M values: ${peerMs.toFixed(1)} ms`);

const pre = cal.minMax.computeRange(cal.minMax.observe(cal.minMax.init({ includeZero: false }), batch));
const preC = cal.minMax.computeRange(cal.minMax.observe(cal.minMax.init({ axis: 1, includeZero: false }), batch));
const methods = [
  ['min-max', cal.minMax, {}],
  ['moving-average-min-max', cal.movingAverageMinMax, {}],
  ['percentile', cal.percentile, { range: pre }],
  ['entropy', cal.entropy, { range: pre }],
  ['mse', cal.mse, { range: pre }],
  ['distribution', cal.distribution, {}],
  ['distiller', cal.distiller, {}],
];
for (const axis of [null, 1]) {
  for (const [name, c, spec0] of methods) {
    const spec = { ...spec0, axis, ...(spec0.range ? { range: axis === null ? { min: pre.min, max: pre.max } : { min: preC.min, max: preC.max } } : {}) };
    let state;
    const obs = time(() => {
      state = c.observe(c.init(spec), batch);
    });
    const rng = time(() => c.computeRange(state), 1);
    console.log(`${name.padEnd(24)} ${axis === null ? 'per-tensor ' : 'per-channel'} observe ${obs.toFixed(1).padStart(8)} ms (x${(obs / peerMs).toFixed(1)} peer)  computeRange ${rng.toFixed(1).padStart(8)} ms  state ${c.encode(state).length} bytes`);
  }
}
