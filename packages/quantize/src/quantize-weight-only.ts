/**
 * `quantizeWeightOnly(input, output, options?)`: blockwise int4/uint4/int8 MatMul (and Gather) weights as blocked
 * DequantizeLinear at opset 21, or com.microsoft MatMulNBits; round-to-nearest, or GPTQ with calibration data (the
 * inputs of every selected MatMul are collected by running the float model).
 *
 * Models with external data stream (rtn): each external weight is read in chunks, quantized and written to the output's
 * external-data file while saving, one weight at a time, so memory is bounded by about one weight's packed output plus
 * a constant, not by the model (see @lowbit/rewriters weight-only-stream.ts). Such a model is written with external data
 * too: tensors of at least `STREAMED_EXTERNAL_THRESHOLD` bytes go to `<output>.data` unless `save` says otherwise.
 */
import { collectModelTensors } from '@lowbit/onnx-ir';
import { abortable, type Stage } from './abort.js';
import { runPasses } from './pipeline.js';
import type { Model } from '@lowbit/onnx-ir';
import { readFeeds } from './feeds.js';
import { weightOnlyQuantize } from '@lowbit/rewriters';
import type { ActivationSamples } from '@lowbit/rewriters';
import { QuantizeError } from './errors.js';
import { finish } from './finish.js';
import { loadInput } from './io.js';
import { preprocess } from './preprocess.js';
import { withRunner } from './runner.js';
import { schemeOf, selectionOf } from './selection.js';
import type { ModelInput, WeightOnlyQuantizeOptions } from './types.js';
import { isSelected } from '@lowbit/rewriters';
import { sha256 } from './sha256.js';

const WHERE = 'quantizeWeightOnly';

/** Output external-data threshold (bytes) for a model that came with external data and no `save` threshold. */
export const STREAMED_EXTERNAL_THRESHOLD = 1024;

export async function quantizeWeightOnly(input: ModelInput, output: string | null, options: WeightOnlyQuantizeOptions = {}): Promise<Model> {
  const dtype = options.weightType ?? 'int4';
  if (dtype !== 'int4' && dtype !== 'uint4' && dtype !== 'int8' && dtype !== 'uint8') {
    throw new QuantizeError({ where: WHERE, option: 'weightType', expected: 'int4, uint4, int8 or uint8', actual: dtype }, 'unsupported weight type');
  }
  const format = options.format ?? 'qdq';
  if (format === 'matmulnbits' && dtype !== 'int4' && dtype !== 'uint4') {
    throw new QuantizeError({ where: WHERE, option: 'weightType', expected: "int4 or uint4 with format 'matmulnbits'", actual: dtype }, 'MatMulNBits is written 4-bit');
  }
  return abortable(WHERE, options.signal, (stage) => weightOnly(input, output, options, dtype, format, stage));
}

async function weightOnly(input: ModelInput, output: string | null, options: WeightOnlyQuantizeOptions, dtype: 'int4' | 'uint4' | 'int8' | 'uint8', format: NonNullable<WeightOnlyQuantizeOptions['format']>, stage: Stage): Promise<Model> {
  stage('load');
  const loaded = await loadInput(input, WHERE, { allowQuantized: options.allowQuantizedInput });
  stage('preprocess');
  const m = await preprocess(loaded, { targetOpset: Math.max(options.opset ?? 0, format === 'qdq' ? 21 : 13), signal: options.signal });
  const selection = selectionOf(options);
  let activations: Map<string, ActivationSamples> | undefined;
  let hash: string | undefined;
  if ((options.algorithm ?? 'rtn') !== 'rtn') {
    if (!options.calibrationData) throw new QuantizeError({ where: WHERE, option: 'calibrationData', expected: `calibration data for ${options.algorithm === 'awq' ? 'AWQ' : 'GPTQ'}` }, 'missing data');
    const names = [...new Set(m.graph.nodes.filter((n) => isSelected(selection, n, ['MatMul']) && n.opType === 'MatMul').map((n) => n.inputs[0]!))];
    const rows = new Map<string, Float32Array[]>();
    const widths = new Map<string, number>();
    await withRunner(m, options.runner, async (runner) => {
      for await (const feeds of readFeeds(options.calibrationData!)) {
        stage('calibration');
        await runner.run(feeds, {
          observe: names,
          onValue(name, t) {
            if (!(t.data instanceof Float32Array)) throw new QuantizeError({ where: WHERE, option: 'calibrationData', expected: 'float32 MatMul inputs', actual: t.dtype ?? typeof t.data }, `activation "${name}"`);
            widths.set(name, t.dims[t.dims.length - 1]);
            rows.set(name, [...(rows.get(name) ?? []), Float32Array.from(t.data)]);
          },
        });
      }
    });
    activations = new Map();
    const h = sha256();
    for (const name of [...rows.keys()].sort()) {
      const parts = rows.get(name)!;
      const total = parts.reduce((a, p) => a + p.length, 0);
      const data = new Float32Array(total);
      let off = 0;
      for (const p of parts) { data.set(p, off); off += p.length; }
      activations.set(name, { data, samples: total / widths.get(name)! });
      h.update(name);
      h.update(new Uint8Array(data.buffer));
    }
    hash = h.digest('hex');
  }
  stage('quantize');
  const q = await runPasses('quantize-weight-only', [weightOnlyQuantize({
    ...selection,
    ...(options.opTypesToQuantize ? {} : { opTypes: ['MatMul', 'Gather'] }),
    dtype, scheme: schemeOf(options.weightSymmetric, dtype.startsWith('u') ? 'asymmetric' : 'symmetric'),
    blockSize: options.blockSize ?? 32,
    algorithm: options.algorithm ?? 'rtn',
    activations, damp: options.damp ?? 0.01, actOrder: options.actOrder ?? false, format,
    ...(options.tensorStore ? { store: options.tensorStore } : {}),
  })], m, options.signal);
  const external = collectModelTensors(m).some((t) => t.kind === 'external');
  const save = external && options.save?.externalDataThreshold === undefined ? { ...options.save, externalDataThreshold: STREAMED_EXTERNAL_THRESHOLD } : options.save;
  stage('save');
  return finish(q, output, 'weight-only', options, save, WHERE, hash);
}
