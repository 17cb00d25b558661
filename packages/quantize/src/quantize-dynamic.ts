/**
 * `quantizeDynamic(input, output, options?)`: weights quantized offline, activations by DynamicQuantizeLinear
 * (MatMul/Gemm via MatMulInteger u8 x s8, Conv via u8 x u8 ConvInteger with symmetric uint8 weights (zero point 128;
 * `weightSymmetric: false`: asymmetric), Gather tables int8). Needs no data. The layers
 * feeding numerically sensitive ops stay float unless `keepSensitiveFloat: false` (sensitive-ops.ts), as in static mode.
 */
import { abortable } from './abort.js';
import { runPasses } from './pipeline.js';
import type { Model } from '@lowbit/onnx-ir';
import { dynamicQuantize } from '@lowbit/rewriters';
import { QuantizeError } from './errors.js';
import { finish } from './finish.js';
import { loadInput } from './io.js';
import { preprocess } from './preprocess.js';
import { schemeOf, selectionOf } from './selection.js';
import { keepSensitive } from './sensitive-ops.js';
import type { DynamicQuantizeOptions, ModelInput } from './types.js';

const WHERE = 'quantizeDynamic';

export async function quantizeDynamic(input: ModelInput, output: string | null, options: DynamicQuantizeOptions = {}): Promise<Model> {
  const weightType = options.weightType ?? 'int8';
  if (weightType !== 'int8' && weightType !== 'uint8') {
    throw new QuantizeError({ where: WHERE, option: 'weightType', expected: 'int8 or uint8 (MatMulInteger)', actual: weightType }, 'unsupported weight type');
  }
  return abortable(WHERE, options.signal, async (stage) => {
    stage('load');
    const loaded = await loadInput(input, WHERE, { allowQuantized: options.allowQuantizedInput });
    stage('preprocess');
    const m = await preprocess(loaded, { targetOpset: Math.max(options.opset ?? 0, options.perChannel ? 13 : 11), signal: options.signal });
    const { selection, keptFloat } = keepSensitive(m, selectionOf(options), options.keepSensitiveFloat ?? true);
    stage('quantize');
    const q = await runPasses('quantize-dynamic', [dynamicQuantize({
      ...selection,
      weightType,
      weightScheme: schemeOf(options.weightSymmetric, weightType === 'int8' ? 'symmetric' : 'asymmetric'),
      perChannel: options.perChannel ?? false,
      reduceRange: options.reduceRange ?? false,
      conv: options.conv ?? 'conv-integer',
      // Conv's uint8 weights: symmetric (zero point 128) unless weightSymmetric is false
      convWeightScheme: options.weightSymmetric === false ? 'asymmetric' : 'symmetric',
      activationMatMul: options.activationMatMul ?? true,
    })], m, options.signal);
    stage('save');
    return finish(q, output, 'dynamic', options, options.save, WHERE, undefined, keptFloat);
  });
}
