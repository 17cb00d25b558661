import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { loadModel, saveModel, tensorValuesSync, type Model } from '@lowbit/onnx-ir';
import { quantizeStatic } from '@lowbit/quantize';
import { Session, type Tensor } from '@lowbit/runtime';
import type { Io } from '../io.js';
import { exitCodeFor } from '../exit-codes.js';
import { openCalibrationData } from '../data/source.js';
import { modelInputSpecs } from './model-inputs.js';
import { compareCommand } from './compare.js';
import { ModelMismatchError } from '../compare/errors.js';
import { planLayers } from '../compare/layer-plan.js';
import type { CompareJson } from '../compare/report.js';

const FLOAT = testdataPath('models', 'mnist-8.onnx');
const IMAGES = testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cli-compare-'));
const QDQ = join(tmp, 'mnist-8.qdq.onnx');
const QOP = join(tmp, 'mnist-8.qop.onnx');
let floatModel: Model;

function capture(): Io & { out: string; err: string } {
  const io = {
    version: '0.0.0-test', interactive: false, out: '', err: '',
    stdout(s: string) { io.out += s; },
    stderr(s: string) { io.err += s; },
  };
  return io;
}

async function compareJsonOf(quant: string, extra: Record<string, unknown> = {}): Promise<CompareJson> {
  const io = capture();
  await compareCommand(io, FLOAT, quant, { calib: IMAGES, calibCount: 20, json: true, ...extra });
  expect(io.out.trim().split('\n')).toHaveLength(1); // one JSON object
  return JSON.parse(io.out) as CompareJson;
}

beforeAll(async () => {
  floatModel = await loadModel(FLOAT);
  const calib = () => openCalibrationData(IMAGES, modelInputSpecs(floatModel), { count: 10 });
  await quantizeStatic(FLOAT, QDQ, calib, { quantFormat: 'QDQ' });
  await quantizeStatic(FLOAT, QOP, calib, { quantFormat: 'QOperator' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lowbit compare on mnist-8 quantized with 10 calibration images', () => {
  it('QDQ: output SQNR > 20 dB, top-1 agreement >= 0.9, finite per-layer SQNR in float order', async () => {
    const j = await compareJsonOf(QDQ);
    expect(j.float).toBe(FLOAT);
    expect(j.quantized).toBe(QDQ);
    expect(j.samples).toBe(20);
    expect(j.outputs).toHaveLength(1);
    const out = j.outputs[0];
    expect(out.name).toBe('Plus214_Output_0');
    expect(out.dims).toEqual([1, 10]);
    expect(out.elements).toBe(20 * 10);
    expect(out.sqnrDb).toBeGreaterThan(20);
    expect(out.top1?.rows).toBe(20);
    expect(out.top1?.rate).toBeGreaterThanOrEqual(0.9);
    expect(out.cosine).toBeGreaterThan(0.99);
    expect(j.layers.length).toBeGreaterThan(0);
    for (const l of j.layers) {
      expect(typeof l.sqnrDb, l.name).toBe('number');
      expect(Number.isFinite(l.sqnrDb), l.name).toBe(true);
    }
    // indices 0..n-1, and the names appear in the float model's node order (a subsequence of its outputs)
    expect(j.layers.map((l) => l.index)).toEqual(j.layers.map((_, i) => i));
    const floatOrder = floatModel.graph.nodes.flatMap((n) => n.outputs);
    const pos = j.layers.map((l) => floatOrder.indexOf(l.name));
    expect(pos.every((p) => p >= 0)).toBe(true);
    expect([...pos].sort((a, b) => a - b)).toEqual(pos);
    // the graph output is the last layer and its SQNR is the output's
    expect(j.layers.at(-1)?.name).toBe('Plus214_Output_0');
    expect(j.layers.at(-1)?.sqnrDb).toBe(out.sqnrDb);
  });

  it('QDQ: output metrics match a direct computation from two runtime sessions on the same 20 images', async () => {
    // Reference: run both models sample by sample, then the textbook formulas over all 200 logits.
    const j = await compareJsonOf(QDQ);
    const fs = await Session.create(FLOAT);
    const qs = await Session.create(QDQ);
    const ref: number[] = [];
    const test: number[] = [];
    let agree = 0;
    for await (const feeds of openCalibrationData(IMAGES, modelInputSpecs(floatModel), { count: 20 })) {
      const r = [...((await fs.run(feeds)).Plus214_Output_0 as Tensor).data as Float32Array];
      const q = [...((await qs.run(feeds)).Plus214_Output_0 as Tensor).data as Float32Array];
      if (r.indexOf(Math.max(...r)) === q.indexOf(Math.max(...q))) agree++;
      ref.push(...r);
      test.push(...q);
    }
    const signal = ref.reduce((s, x) => s + x * x, 0);
    const noise = ref.reduce((s, x, i) => s + (x - test[i]) ** 2, 0);
    expect(j.outputs[0].sqnrDb).toBeCloseTo(10 * Math.log10(signal / noise), 9);
    expect(j.outputs[0].maxAbsError).toBe(Math.max(...ref.map((x, i) => Math.abs(x - test[i]))));
    expect(j.outputs[0].top1).toEqual({ agree, rows: 20, rate: agree / 20 });
  });

  it('QOperator: integer activations are dequantized with their producer scale/zero point', async () => {
    const j = await compareJsonOf(QOP);
    expect(j.outputs[0].sqnrDb).toBeGreaterThan(20);
    const relu = j.layers.find((l) => l.name === 'ReLU32_Output_0');
    expect(relu?.quantizedName).toBe('ReLU32_Output_0_quantized');
    expect(relu?.quantizedDtype).toBe('uint8');
    // A uint8 activation with a 10-image scale holds ~8 bits: well above 15 dB if (q - zp) * scale is right;
    // without the zero point or scale it would be far below 0 dB.
    expect(relu?.sqnrDb).toBeGreaterThan(15);
    // MaxPool output: its scale comes from the QLinearConv before it (pass-through).
    expect(j.layers.find((l) => l.name === 'Pooling66_Output_0')?.quantizedDtype).toBe('uint8');
    for (const l of j.layers) expect(Number.isFinite(l.sqnrDb), l.name).toBe(true);
  });

  it('planLayers reads the QLinearConv output scale and zero point from the initializers', async () => {
    const q = await loadModel(QOP);
    const plan = planLayers(floatModel, q);
    const relu = plan.layers.find((l) => l.name === 'ReLU32_Output_0');
    const init = (name: string) => tensorValuesSync(q.graph.initializers.find((t) => t.name === name)!).data as ArrayLike<number>;
    expect(relu?.qparams).toEqual({ scale: init('ReLU32_Output_0_scale')[0], zeroPoint: init('ReLU32_Output_0_zero_point')[0] });
    // Convolution28_Output_0 (Conv before the bias Add) is fused away in the quantized model
    expect(plan.layers.some((l) => l.name === 'Convolution28_Output_0')).toBe(false);
    expect(plan.notInQuantized).toBeGreaterThan(0);
  });

  it('text report and --svg plot with one point per layer', async () => {
    const svgPath = join(tmp, 'report.svg');
    const io = capture();
    await compareCommand(io, FLOAT, QDQ, { calib: IMAGES, calibCount: 5, svg: svgPath });
    expect(io.out).toContain('on 5 samples');
    expect(io.out).toMatch(/Plus214_Output_0\s+\d+\.\d\d\s+0\.\d{6}\s+\S+\s+\d+\.\d% \(\d\/5\)/);
    expect(io.out).toContain(`plot written to ${svgPath}`);
    const svg = readFileSync(svgPath, 'utf8');
    const j = await compareJsonOf(QDQ, { calibCount: 5 });
    expect([...svg.matchAll(/<circle class="point/g)]).toHaveLength(j.layers.length);
    const { info } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(960);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('models with different inputs: ModelMismatchError (exit code 2) naming expected and actual, no SVG written', async () => {
    const other = join(tmp, 'other-input.onnx');
    const input = floatModel.graph.inputs[0];
    await saveModel({
      ...floatModel,
      graph: { ...floatModel.graph, inputs: [{ ...input, type: { kind: 'tensor', elemType: 1, shape: [1, 1, 32, 32] } }] },
    }, other);
    const svgPath = join(tmp, 'never.svg');
    const err = await compareCommand(capture(), FLOAT, other, { calib: IMAGES, calibCount: 2, svg: svgPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as ModelMismatchError).code).toBe('USAGE');
    expect(exitCodeFor(err)).toBe(2);
    expect((err as Error).message).toBe('input "Input3": float model expects float32[1, 1, 28, 28], quantized model expects float32[1, 1, 32, 32]');
    expect((err as ModelMismatchError).context).toEqual({ value: 'Input3', expected: 'float32[1, 1, 28, 28]', actual: 'float32[1, 1, 32, 32]' });
    expect(existsSync(svgPath)).toBe(false);
  });

  it('models with different input names: ModelMismatchError listing both', async () => {
    const other = join(tmp, 'renamed-input.onnx');
    const g = floatModel.graph;
    await saveModel({
      ...floatModel,
      graph: {
        ...g,
        inputs: g.inputs.map((i) => (i.name === 'Input3' ? { ...i, name: 'pixels' } : i)),
        nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.map((x) => (x === 'Input3' ? 'pixels' : x)) })),
      },
    }, other);
    const err = await compareCommand(capture(), FLOAT, other, { calib: IMAGES, calibCount: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as Error).message).toContain('the quantized model has no input "Input3"');
    expect((err as Error).message).toContain('quantized model inputs: pixels');
  });
});
