/**
 * com.microsoft DynamicQuantizeLSTM against onnxruntime-node (CPU EP, one intra-op thread: see the kernel's TSDoc
 * for how onnxruntime's batch-parallel path re-quantizes H per thread chunk), fast-check over directions, batch,
 * sizes, sequence_lens, initial states, peepholes, bias, clip, input_forget, non-default activations, per-tensor and
 * per-column weight scales, int8 and uint8 weights.
 *
 * Tolerance. X is quantized identically on both sides (same float32 inputs, same formula), so the input projection
 * is exact up to one float32 rounding. The remaining differences are onnxruntime's polynomial sigmoid/tanh (a few
 * float32 ulps) and summation/FMA order, about 1e-6 on H. Such a difference can move a value of H across a rounding
 * boundary of the next step's 8-bit quantization, changing one code by 1 (one step sh <= 2/255 since |H| < 1), which
 * moves a gate pre-activation by at most sh * max_j sum_k |R_deq[k, j]| and the outputs by at most that much again
 * per following step (sigmoid/tanh are 1-Lipschitz, the state update is a convex mix). So every element must lie
 * within `seq * (2/255) * max_j sum_k |R_deq[k, j]| + 1e-4` (the flip bound) and, because flips are rare, 95% of the
 * elements within `1e-5 + 1e-5 |y|`. A wrong gate order, scale, zero point or quantization range fails both (they
 * move most elements by far more than 1e-5).
 */
import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { singleNodeModel } from '../test-support/single-node-model.js';
import { DYNAMIC_QUANTIZE_LSTM_KERNELS } from './dynamic-quantize-lstm.js';
import { MS_DOMAIN } from './matmul-nbits.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  readonly direction: 'forward' | 'reverse' | 'bidirectional';
  readonly seq: number;
  readonly batch: number;
  readonly I: number;
  readonly H: number;
  readonly perColumn: boolean;
  readonly unsigned: boolean;
  readonly bias: boolean;
  readonly lens: boolean;
  readonly init: boolean;
  readonly peep: boolean;
  readonly clip: boolean;
  readonly inputForget: boolean;
  readonly acts: readonly string[] | null;
  readonly seed: number;
}

const NAMES = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P', 'W_scale', 'W_zero_point', 'R_scale', 'R_zero_point'];
const CONSTANT = new Set([1, 2, 8, 9, 10, 11]);

function build(c: Case): { inputs: (Tensor | null)[]; attrs: Record<string, AttrValue> } {
  const r = lcg(c.seed);
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const G = 4 * c.H;
  const f = (n: number, scale: number, dims: number[]) => new Tensor('float32', Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale), dims);
  const weight = (K: number): Tensor[] => {
    const n = D * K * G;
    const zp = c.unsigned ? 100 + Math.floor(r() * 50) : 0;
    const q = c.unsigned
      ? new Tensor('uint8', Uint8Array.from({ length: n }, () => Math.floor(r() * 256)), [D, K, G])
      : new Tensor('int8', Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127), [D, K, G]);
    const sn = c.perColumn ? D * G : D;
    const scale = new Tensor('float32', Float32Array.from({ length: sn }, () => (0.2 + r() * 0.8) / 127 / Math.sqrt(K)), c.perColumn ? [D, G] : [D]);
    const zpT = c.unsigned ? new Tensor('uint8', new Uint8Array(sn).fill(zp), scale.dims) : new Tensor('int8', new Int8Array(sn), scale.dims);
    return [q, scale, zpT];
  };
  const [W, Ws, Wz] = weight(c.I);
  const [R, Rs, Rz] = weight(c.H);
  const lens = c.lens ? new Tensor('int32', Int32Array.from({ length: c.batch }, (_, b) => (b === 0 ? c.seq : Math.floor(r() * (c.seq + 1)))), [c.batch]) : null;
  const attrs: Record<string, AttrValue> = { hidden_size: c.H, direction: c.direction };
  if (c.clip) attrs.clip = 1.5;
  if (c.inputForget) attrs.input_forget = 1;
  if (c.acts) attrs.activations = D === 2 ? [...c.acts, ...c.acts] : [...c.acts];
  return {
    inputs: [
      f(c.seq * c.batch * c.I, 2, [c.seq, c.batch, c.I]), W, R,
      c.bias ? f(D * 8 * c.H, 0.5, [D, 8 * c.H]) : null, lens,
      c.init ? f(D * c.batch * c.H, 0.8, [D, c.batch, c.H]) : null, c.init ? f(D * c.batch * c.H, 1, [D, c.batch, c.H]) : null,
      c.peep ? f(D * 3 * c.H, 0.5, [D, 3 * c.H]) : null,
      Ws, Wz, Rs, Rz,
    ],
    attrs,
  };
}

async function ortRun(inputs: readonly (Tensor | null)[], attrs: Record<string, AttrValue>): Promise<ort.Tensor[]> {
  const model = singleNodeModel({
    opType: 'DynamicQuantizeLSTM', opset: 21, domain: MS_DOMAIN, attrs, floatAttrs: ['clip'],
    inputs: inputs.map((t, i) => (t ? { name: NAMES[i], dtype: t.dtype, dims: t.dims, value: CONSTANT.has(i) ? t : undefined } : null)),
    outputs: ['Y', 'Y_h', 'Y_c'].map((name) => ({ name, dtype: 'float32' as const })),
  });
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => { if (t && !CONSTANT.has(i)) feeds[NAMES[i]] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]); });
  const out = await s.run(feeds);
  await s.release();
  return [out.Y, out.Y_h, out.Y_c];
}

function lowbitRun(inputs: readonly (Tensor | null)[], attrs: Record<string, AttrValue>): Tensor[] {
  const node: KernelNode = {
    name: 'dqlstm', opType: 'DynamicQuantizeLSTM', domain: MS_DOMAIN, opset: 1, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: 3,
  };
  return DYNAMIC_QUANTIZE_LSTM_KERNELS[0].create(node).run(inputs, freshRunContext) as Tensor[];
}

/** seq * (2/255) * max column sum of |R_deq| + 1e-4 (see the file's TSDoc). */
function flipBound(c: Case, inputs: readonly (Tensor | null)[]): number {
  const R = inputs[2]!;
  const s = inputs[10]!.data as Float32Array;
  const z = inputs[11]!.data;
  const D = R.dims[0];
  const G = 4 * c.H;
  let worst = 0;
  for (let d = 0; d < D; d++) for (let j = 0; j < G; j++) {
    const si = s.length === D ? d : d * G + j;
    let sum = 0;
    for (let k = 0; k < c.H; k++) sum += Math.abs((R.data[(d * c.H + k) * G + j] as number) - (z[si] as number)) * s[si];
    worst = Math.max(worst, sum);
  }
  return c.seq * (2 / 255) * worst + 1e-4;
}

const arbCase: fc.Arbitrary<Case> = fc.record({
  direction: fc.constantFrom('forward' as const, 'reverse' as const, 'bidirectional' as const),
  seq: fc.integer({ min: 1, max: 6 }),
  batch: fc.integer({ min: 1, max: 3 }),
  I: fc.integer({ min: 1, max: 12 }),
  H: fc.integer({ min: 1, max: 10 }),
  perColumn: fc.boolean(),
  unsigned: fc.boolean(),
  bias: fc.boolean(),
  lens: fc.boolean(),
  init: fc.boolean(),
  peep: fc.boolean(),
  clip: fc.boolean(),
  inputForget: fc.boolean(),
  acts: fc.constantFrom(null, ['HardSigmoid', 'Tanh', 'Relu'], ['Sigmoid', 'Softsign', 'Tanh']),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('com.microsoft.DynamicQuantizeLSTM vs onnxruntime-node', () => {
  it('agrees (flip bound on every element, 1e-5 on 95%) over directions, shapes, lens, states, peepholes, clip, scales', async () => {
    let total = 0;
    let close = 0;
    let worst = 0;
    await fc.assert(fc.asyncProperty(arbCase, async (c) => {
      const { inputs, attrs } = build(c);
      const expected = await ortRun(inputs, attrs);
      const actual = lowbitRun(inputs, attrs);
      const bound = flipBound(c, inputs);
      for (let o = 0; o < 3; o++) {
        expect(actual[o].dims, `output ${o} dims`).toEqual(expected[o].dims);
        const e = expected[o].data as Float32Array;
        const a = actual[o].data as Float32Array;
        for (let i = 0; i < e.length; i++) {
          const diff = Math.abs(a[i] - e[i]);
          worst = Math.max(worst, diff);
          total++;
          if (diff <= 1e-5 + 1e-5 * Math.abs(e[i])) close++;
          expect(diff, `${JSON.stringify(c)} output ${o}[${i}]: ${a[i]} vs onnxruntime ${e[i]} (flip bound ${bound})`).toBeLessThanOrEqual(bound);
        }
      }
    }), { numRuns: 120 });
    console.log(`DynamicQuantizeLSTM vs onnxruntime: ${close}/${total} elements within 1e-5, worst |diff| ${worst.toExponential(2)}`);
    expect(close / total).toBeGreaterThanOrEqual(0.95);
  });
});

describe('com.microsoft.DynamicQuantizeLSTM reference', () => {
  it('bidirectional = forward and reverse run separately on each direction\'s weights (directions are independent)', () => {
    fc.assert(fc.property(arbCase.map((c) => ({ ...c, direction: 'bidirectional' as const, acts: null })), (c) => {
      const { inputs, attrs } = build(c);
      const [y, yh, yc] = lowbitRun(inputs, attrs);
      const H = c.H;
      for (const [d, direction] of [[0, 'forward'], [1, 'reverse']] as const) {
        // Slice direction d of every per-direction input.
        const part = (t: Tensor | null, i: number): Tensor | null => {
          if (!t || [0, 4].includes(i)) return t;
          const per = t.data.length / 2;
          return new Tensor(t.dtype, (t.data as Float32Array).slice(d * per, (d + 1) * per), [1, ...t.dims.slice(1)]);
        };
        const one = lowbitRun(inputs.map(part), { ...attrs, direction });
        for (let t = 0; t < c.seq; t++) for (let b = 0; b < c.batch; b++) for (let j = 0; j < H; j++) {
          expect(one[0].data[(t * c.batch + b) * H + j]).toBe(y.data[((t * 2 + d) * c.batch + b) * H + j]);
        }
        expect(Array.from(one[1].data as Float32Array)).toEqual(Array.from((yh.data as Float32Array).slice(d * c.batch * H, (d + 1) * c.batch * H)));
        expect(Array.from(one[2].data as Float32Array)).toEqual(Array.from((yc.data as Float32Array).slice(d * c.batch * H, (d + 1) * c.batch * H)));
      }
    }), { numRuns: 60 });
  });

  it('the TSDoc example: I = H = 1, W = R = 127 (scale 1/127), X = 1 -> H = 0.3696064', () => {
    const q = () => new Tensor('int8', [127, 127, 127, 127], [1, 1, 4]);
    const s = () => new Tensor('float32', [1 / 127], [1]);
    const z = () => new Tensor('int8', [0], [1]);
    const inputs = [new Tensor('float32', [1], [1, 1, 1]), q(), q(), null, null, null, null, null, s(), z(), s(), z()];
    const [y, yh, yc] = lowbitRun(inputs, { hidden_size: 1 });
    expect(y.dims).toEqual([1, 1, 1, 1]);
    expect(yh.data[0]).toBe(0.3696063756942749);
    expect(yc.data[0]).toBe(Math.fround(0.5567699670791626));
    expect(y.data[0]).toBe(yh.data[0]);
  });

  it('says where on a wrong weight shape', () => {
    const inputs = [
      new Tensor('float32', [1, 2], [1, 1, 2]), new Tensor('int8', [1, 2, 3, 4], [1, 1, 4]), new Tensor('int8', [1, 2, 3, 4], [1, 1, 4]),
      null, null, null, null, null, new Tensor('float32', [1], [1]), new Tensor('int8', [0], [1]), new Tensor('float32', [1], [1]), new Tensor('int8', [0], [1]),
    ];
    expect(() => lowbitRun(inputs, { hidden_size: 1 })).toThrow(/input\[1\]: shape: expected \[1, 2, 4\], got \[1, 1, 4\]/);
  });
});
