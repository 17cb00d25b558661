/**
 * The runtime's graph optimisation on the quantize tests' models: each model runs literally (`graphOptimization:
 * 'none'`) and optimised ('all'). Declared tolerance of fused static QDQ: <= 1 output quantization step (1 LSB) per
 * fused op. Checked per op on real data: every QLinearConv/QLinearMatMul of the optimised graph is run alone on the
 * literal run's own quantized inputs and compared with the literal graph's Q output of the same name (a
 * lowbit.QLinearMatMulToFloat, whose 8-bit result is dequantized and biased inside, with the literal float value of its
 * output name, in steps of its y_scale). End to end the
 * (at most 1-LSB) differences propagate through the network, so whole-model outputs are compared by agreement
 * (mnist classes) and SQNR (ultraface, ppocr), printed. Dynamic quantization fuses exactly: outputs bit-identical.
 * Calibration here goes through the runtime-backed runner, which plans its session unoptimised ('none').
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdataPath, readMnist } from '@lowbit/testing';
import { dataTypeFromName, tensorValuesSync } from '@lowbit/onnx-ir';
import type { Model, Node, ValueInfo } from '@lowbit/onnx-ir';
import { loadBackends, optimizeModel, Session, Tensor } from '@lowbit/runtime';
import type { Feeds } from '@lowbit/calibrators';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { calibrationFeeds } from './test-support/mnist.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-optimized-'));

function image(dims: number[], seed: number): Float32Array {
  const [, c, h, w] = dims;
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[(k * h + y) * w + x] = Math.sin(x / (5 + (seed % 7)) + seed + k) * Math.cos(y / (3 + (seed % 4)) - seed);
  }
  return out;
}

/** Every value of one literal run (graph inputs and node outputs), through the value hook. */
function literalValues(m: Model, feeds: Record<string, Tensor>): Map<string, Tensor> {
  const values = new Map<string, Tensor>();
  const s = Session.fromModel(m, { graphOptimization: 'none', onValue: (n, t) => values.set(n, t) });
  s.runSync(feeds);
  return values;
}

/** Runs `node` of the optimised graph `g` alone: initializers from `g`, every other input from `values`. */
function runAlone(opt: Model, node: Node, values: Map<string, Tensor>): Tensor {
  const inits = new Map(opt.graph.initializers.map((t) => [t.name, t]));
  const inputs: ValueInfo[] = [];
  const feeds: Record<string, Tensor> = {};
  for (const name of node.inputs) {
    if (!name || inits.has(name) || feeds[name]) continue;
    const t = values.get(name);
    if (!t) throw new Error(`literal run has no value "${name}" for ${node.opType} ${node.name}`);
    feeds[name] = t;
    inputs.push({ name, type: { kind: 'tensor', elemType: dataTypeFromName(t.dtype), shape: t.dims } });
  }
  const one: Model = {
    ...opt,
    graph: { ...opt.graph, inputs, outputs: [{ name: node.outputs[0]!, type: undefined }], initializers: node.inputs.filter((n) => n && inits.has(n)).map((n) => inits.get(n!)!), nodes: [node], valueInfo: [] },
  };
  return Session.fromModel(one, { graphOptimization: 'none' }).runSync(feeds)[node.outputs[0]!];
}

/** Per fused op: max |fused - literal| in output steps; returns [ops checked, worst difference, elements differing]. */
async function perOpLaw(m: Model, feeds: Record<string, Tensor>): Promise<[number, number, number]> {
  const opt = await optimizeModel(m, { level: 'all' });
  const values = literalValues(m, feeds);
  let ops = 0, worst = 0, differing = 0;
  for (const n of opt.graph.nodes.filter((x) => ['QLinearConv', 'QLinearMatMul', 'QLinearMatMulToFloat'].includes(x.opType))) {
    const got = runAlone(opt, n, values).data as ArrayLike<number>;
    const want = values.get(n.outputs[0]!)!.data as ArrayLike<number>;
    expect(got.length).toBe(want.length);
    // Float output (ToFloat): the difference in steps of y_scale, less the float32 rounding of the dequantization.
    const toFloat = n.opType === 'QLinearMatMulToFloat';
    const ys = opt.graph.initializers.find((t) => t.name === n.inputs[6]);
    const step = toFloat && ys ? Number(tensorValuesSync(ys).data[0]) : 1;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i] - want[i]) / step;
      worst = Math.max(worst, toFloat ? Math.floor(d + 1e-3) : d); // whole steps; float32 rounding is far below 1e-3
      if (toFloat ? Math.floor(d + 1e-3) : d) differing++;
    }
    ops++;
  }
  return [ops, worst, differing];
}

function sqnr(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  let sig = 0, noise = 0;
  for (const k of Object.keys(a)) {
    const x = a[k].data as Float32Array, y = b[k].data as Float32Array;
    for (let i = 0; i < x.length; i++) { sig += x[i] ** 2; noise += (x[i] - y[i]) ** 2; }
  }
  return noise === 0 ? Infinity : 10 * Math.log10(sig / noise);
}

const MNIST = testdataPath('models', 'mnist-8.onnx');
const images = readMnist('test', 20).pixels;
const digit = (i: number) => ({ Input3: new Tensor('float32', images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28]) });
const argmax = (t: Tensor) => { const d = t.data as Float32Array; let b = 0; for (let k = 1; k < d.length; k++) if (d[k] > d[b]) b = k; return b; };

describe('fused vs literal execution of quantized models', () => {
  const mnistCases = [
    { label: 'per-tensor u8s8', perChannel: false, activationType: 'uint8' as const },
    { label: 'per-tensor s8s8', perChannel: false, activationType: 'int8' as const },
    { label: 'per-channel u8s8', perChannel: true, activationType: 'uint8' as const },
  ];
  for (const c of mnistCases) {
    it(`mnist-8 static QDQ ${c.label}: every fused op within 1 LSB, same classes on 20 digits`, async () => {
      const out = join(dir, `mnist-${c.label.replace(/ /g, '-')}.onnx`);
      const m = await quantizeStatic(MNIST, out, calibrationFeeds(20), { perChannel: c.perChannel, activationType: c.activationType, weightType: 'int8' });
      const fused = Session.fromModel(m);
      expect(fused.optimization.opsAfter.QLinearConv).toBe(2);
      expect(fused.optimization.opsAfter['lowbit.QLinearMatMulToFloat']).toBe(1); // the MatMul, its DequantizeLinear and bias Add
      const literal = Session.fromModel(m, { graphOptimization: 'none' });
      let same = 0;
      for (let i = 0; i < 20; i++) {
        const [ops, worst] = i < 5 ? await perOpLaw(m, digit(i)) : [3, 0];
        expect(ops).toBe(3);
        expect(worst).toBeLessThanOrEqual(1);
        if (argmax(literal.runSync(digit(i)).Plus214_Output_0) === argmax(fused.runSync(digit(i)).Plus214_Output_0)) same++;
      }
      expect(same).toBeGreaterThanOrEqual(19);
    }, 120_000);
  }

  it('mnist-8 dynamic (MatMul and ConvInteger chains fused into lowbit.DynamicQMatMul / DynamicQConv): bit-identical outputs', async () => {
    const m = await quantizeDynamic(MNIST, join(dir, 'mnist-dynamic.onnx'), { weightType: 'int8' });
    const fused = Session.fromModel(m);
    expect(fused.optimization.opsAfter['lowbit.DynamicQMatMul']).toBeGreaterThanOrEqual(1);
    expect(fused.optimization.opsAfter['lowbit.DynamicQConv']).toBe(2);
    expect(fused.optimization.opsAfter.ConvInteger ?? 0).toBe(0);
    const literal = Session.fromModel(m, { graphOptimization: 'none' });
    for (let i = 0; i < 5; i++) {
      const a = literal.runSync(digit(i)).Plus214_Output_0.data as Float32Array;
      const b = fused.runSync(digit(i)).Plus214_Output_0.data as Float32Array;
      expect(Array.from(new Uint32Array(Float32Array.from(b).buffer))).toEqual(Array.from(new Uint32Array(Float32Array.from(a).buffer)));
    }
  }, 120_000);

  it('ultraface-rfb-320 dynamic: every Relu after a convolution joins its lowbit.DynamicQConv, a convolution only quantizing readers use outputs the quantized tensor (lowbit.DynamicQConvQuantize); outputs bit-identical to the literal graph (js, and native at 1 and 2 threads)', async () => {
    const dims = [1, 3, 240, 320];
    const m = await quantizeDynamic(testdataPath('models', 'ultraface-rfb-320.onnx'), join(dir, 'ultraface-dynamic.onnx'), {});
    const fused = Session.fromModel(m);
    const literal = Session.fromModel(m, { graphOptimization: 'none' });
    expect(literal.optimization.opsAfter.Relu).toBe(37);
    expect(fused.optimization.opsAfter.Relu).toBe(1); // the one after the residual Add of two convolutions
    const after = fused.optimization.opsAfter;
    expect(after['lowbit.DynamicQConv']! + after['lowbit.DynamicQConvQuantize']!).toBeGreaterThan(50);
    // the fourteen convolutions of at least MIN_FUSED_ELEMENTS outputs whose readers quantize: the twelve of the
    // 120x160 .. 30x40 backbone and the two 64x30x40 head depthwise ones past the RFB block's DynamicQuantizeLinear
    expect(after['lowbit.DynamicQConvQuantize']).toBe(14);
    expect(after.DynamicQuantizeLinear).toBe(4);
    const feeds = { input: new Tensor('float32', image(dims, 7), dims) };
    const a = literal.runSync(feeds);
    const bitsOf = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
    const b = fused.runSync(feeds);
    for (const k of Object.keys(a)) expect(bitsOf(b[k]!)).toEqual(bitsOf(a[k]!));
    for (const threads of [1, 2]) {
      const [native] = await loadBackends('native', { threads });
      if (!native?.ready) continue;
      const n = Session.fromModel(m, { backend: 'native', backends: [native], threads });
      for (let rep = 0; rep < 2; rep++) {
        const c = n.runSync(feeds);
        for (const k of Object.keys(a)) expect(bitsOf(c[k]!)).toEqual(bitsOf(a[k]!));
      }
      native.dispose?.();
    }
  }, 120_000);

  it('ppocr-mobile-v2-cls dynamic: Relu, HardSigmoid and HardSwish written out (Add, Clip, Mul, Div) join their lowbit.DynamicQConv; outputs bit-identical (js, and native at 1 and 2 threads)', async () => {
    const dims = [1, 3, 48, 192];
    const m = await quantizeDynamic(testdataPath('models', 'ppocr-mobile-v2-cls.onnx'), join(dir, 'ppocr-dynamic.onnx'), {});
    const fused = Session.fromModel(m);
    const literal = Session.fromModel(m, { graphOptimization: 'none' });
    const [before, after] = [literal.optimization.opsAfter, fused.optimization.opsAfter];
    expect([before.Relu, before.HardSigmoid, before.Clip, before.Div]).toEqual([15, 9, 18, 18]);
    expect([after.Relu, after.HardSigmoid, after.Clip, after.Div].map((v) => v ?? 0)).toEqual([0, 0, 0, 0]);
    expect(after['lowbit.DynamicQConv']).toBe(53);
    expect(after['lowbit.DynamicQConvQuantize'] ?? 0).toBe(0); // symbolic dims: no output size known, none fused
    // native: fused against the native literal graph (its float ops, Softmax and the like, are not the js kernels)
    const pairs: [Session, Session][] = [[literal, fused]];
    for (const threads of [1, 2]) {
      const [native] = await loadBackends('native', { threads });
      if (native?.ready) pairs.push([Session.fromModel(m, { backend: 'native', backends: [native], threads, graphOptimization: 'none' }), Session.fromModel(m, { backend: 'native', backends: [native], threads })]);
    }
    for (const seed of [3, 11]) {
      const feeds = { x: new Tensor('float32', image(dims, seed), dims) };
      for (const [l, s] of pairs) {
        const a = l.runSync(feeds);
        const b = s.runSync(feeds);
        for (const k of Object.keys(a)) {
          expect(Array.from(new Uint32Array(Float32Array.from(b[k]!.data as Float32Array).buffer))).toEqual(Array.from(new Uint32Array(Float32Array.from(a[k]!.data as Float32Array).buffer)));
        }
      }
    }
  }, 120_000);

  for (const c of [{ name: 'ultraface-rfb-320', input: 'input', dims: [1, 3, 240, 320] }, { name: 'ppocr-mobile-v2-cls', input: 'x', dims: [1, 3, 48, 192] }]) {
    it(`${c.name} static QDQ per-channel: every fused op within 1 LSB; whole-model SQNR fused vs literal printed (> 30 dB)`, async () => {
      const src = testdataPath('models', `${c.name}.onnx`);
      const data = (): Iterable<Feeds> => Array.from({ length: 3 }, (_, s) => ({ [c.input]: { dtype: 'float32', dims: c.dims, data: image(c.dims, s) } }));
      const m = await quantizeStatic(src, join(dir, `${c.name}.qdq.onnx`), data, { perChannel: true });
      const feeds = { [c.input]: new Tensor('float32', image(c.dims, 42), c.dims) };
      const [ops, worst, differing] = await perOpLaw(m, feeds);
      const fused = Session.fromModel(m);
      const literal = Session.fromModel(m, { graphOptimization: 'none' });
      const db = sqnr(literal.runSync(feeds), fused.runSync(feeds));
      console.log(`${c.name}: ${ops} fused ops, worst ${worst} LSB (${differing} elements differ by 1); nodes ${fused.optimization.nodesBefore} -> ${fused.optimization.nodesAfter}; outputs fused vs literal ${db.toFixed(1)} dB`);
      expect(ops).toBeGreaterThan(50);
      expect(worst).toBeLessThanOrEqual(1);
      expect(db).toBeGreaterThan(30);
    }, 300_000);
  }
});
