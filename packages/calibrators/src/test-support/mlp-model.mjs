// A small real model for calibration tests, in plain JavaScript so worker threads can load it without a TypeScript
// loader: x [N, 16] -> h = relu(x W1 + b1) [N, 8] -> y = h W2 + b2 [N, 4], float32 arithmetic (Math.fround after
// every operation), weights from a seeded xorshift generator. It implements the ObservableModel interface of
// @lowbit/calibrators and, like a runtime with a buffer pool, reuses (and scribbles over) its activation buffers
// after each run, so a calibrator that kept a reference instead of reducing the value at once would be caught.

/** Deterministic float32 stream in [-1, 1). */
export function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return Math.fround(s / 2 ** 31 - 1);
  };
}

const IN = 16;
const HID = 8;
const OUT = 4;

function weights(seed) {
  const r = xorshift(seed);
  const w1 = Float32Array.from({ length: IN * HID }, () => r());
  const b1 = Float32Array.from({ length: HID }, () => r() / 4);
  const w2 = Float32Array.from({ length: HID * OUT }, () => r());
  const b2 = Float32Array.from({ length: OUT }, () => r() / 4);
  return { w1, b1, w2, b2 };
}

function dense(x, n, k, m, w, b, relu, out) {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = b[j];
      for (let p = 0; p < k; p++) acc = Math.fround(acc + Math.fround(x[i * k + p] * w[p * m + j]));
      out[i * m + j] = relu && acc < 0 ? 0 : acc;
    }
  }
}

/** The model. `options.seed` picks the weights; `options.failOn` names a batch row count that makes run() throw. */
export function createModel(options = {}) {
  const { w1, b1, w2, b2 } = weights(options.seed ?? 7);
  let hBuf = new Float32Array(0);
  let yBuf = new Float32Array(0);
  return {
    inputNames: ['x'],
    inputMetadata: [{ name: 'x', type: 'float32', shape: ['N', IN] }],
    async run(feeds, { observe, onValue }) {
      const x = feeds.x;
      const n = x.dims[0];
      if (options.failOn === n) throw new Error(`mlp: refusing a batch of ${n} rows`);
      if (hBuf.length < n * HID) hBuf = new Float32Array(n * HID);
      if (yBuf.length < n * OUT) yBuf = new Float32Array(n * OUT);
      const h = hBuf.subarray(0, n * HID);
      const y = yBuf.subarray(0, n * OUT);
      dense(x.data, n, IN, HID, w1, b1, true, h);
      dense(h, n, HID, OUT, w2, b2, false, y);
      const report = (name, dtype, dims, data) => {
        if (observe.includes(name)) onValue(name, { dtype, dims, data });
      };
      report('x', 'float32', x.dims, x.data);
      report('h', 'float32', [n, HID], h);
      report('y', 'float32', [n, OUT], y);
      report('argmax', 'int32', [n], new Int32Array(n));
      // Reuse: the next run overwrites these buffers; scribble now to prove nothing was kept.
      h.fill(NaN);
      y.fill(NaN);
      return { y: Float32Array.from(y) };
    },
  };
}

/** `count` batches of `rows` x 16 inputs, values in [-2, 2) with an occasional outlier of +-8. */
export function makeFeeds(count, rows = 3, seed = 11) {
  const r = xorshift(seed);
  const out = [];
  for (let b = 0; b < count; b++) {
    const data = Float32Array.from({ length: rows * IN }, (_, i) => (i % 37 === 5 && b % 5 === 0 ? Math.fround(8 * Math.sign(r())) : Math.fround(2 * r())));
    out.push({ x: { dtype: 'float32', dims: [rows, IN], data } });
  }
  return out;
}

/** Plain forward pass (no hooks) for independent expectations: returns copies of h and y. */
export function forward(xData, rows, seed = 7) {
  const { w1, b1, w2, b2 } = weights(seed);
  const h = new Float32Array(rows * HID);
  const y = new Float32Array(rows * OUT);
  dense(xData, rows, IN, HID, w1, b1, true, h);
  dense(h, rows, HID, OUT, w2, b2, false, y);
  return { h, y };
}
