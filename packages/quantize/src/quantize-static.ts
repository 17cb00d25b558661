/**
 * `quantizeStatic(input, output, calibrationData, options?)`: calibrated 8/16/4-bit quantization in QDQ (default) or
 * QOperator form. Steps: load -> preprocess (opset >= 13; 21 for 16/4-bit) -> calibrate the activations insert-qdq
 * needs with the chosen method -> insert-qdq (scales/zero points from @lowbit/qparams) -> qdq-to-qoperator (QOperator
 * only) -> provenance metadata -> verifyModel -> atomic save. Resolves to the written Model.
 */
import { createPassContext } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { insertQdq, qdqToQOperator, staticQuantTargets } from '@lowbit/rewriters';
import { calibrateRanges } from './calibration.js';
import { QuantizeError } from './errors.js';
import { finish } from './finish.js';
import { loadInput } from './io.js';
import { statisticsHash } from './metadata.js';
import { preprocess } from './preprocess.js';
import { runnerFor } from './runner.js';
import { schemeOf, selectionOf } from './selection.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';

const WHERE = 'quantizeStatic';

export async function quantizeStatic(input: ModelInput, output: string, calibrationData: CalibrationData, options: StaticQuantizeOptions = {}): Promise<Model> {
  const format = options.quantFormat ?? 'QDQ';
  const activationType = options.activationType ?? 'uint8';
  const weightType = options.weightType ?? 'int8';
  if (format === 'QOperator' && (![ 'uint8', 'int8'].includes(activationType) || !['uint8', 'int8'].includes(weightType))) {
    throw new QuantizeError({ where: WHERE, option: 'quantFormat', expected: '8-bit activation and weight types for QOperator', actual: `${activationType}/${weightType}` }, 'QLinearConv/QLinearMatMul are 8-bit only');
  }
  if (activationType === 'uint4' || activationType === 'int4') {
    throw new QuantizeError({ where: WHERE, option: 'activationType', expected: 'uint8, int8, uint16 or int16', actual: activationType }, 'onnxruntime has no kernels for 4-bit activations');
  }
  const wide = [activationType, weightType].some((t) => t.endsWith('16') || t.endsWith('4'));
  const targetOpset = Math.max(options.opset ?? 0, wide ? 21 : 13);
  const loaded = await loadInput(input, WHERE);
  const runnerFactory = options.runner;
  const m = await preprocess(loaded, { targetOpset });
  const selection = selectionOf(options);
  if (format === 'QOperator' && options.quantizeOutputs === 'consumed') {
    throw new QuantizeError({ where: WHERE, option: 'quantizeOutputs', expected: "'all' with QOperator", actual: 'consumed' }, 'QLinear operators need quantized outputs');
  }
  const outputs = options.quantizeOutputs ?? 'all';
  const tensors = staticQuantTargets(m, selection, outputs);
  const runner = await runnerFor(m, runnerFactory);
  const cal = await calibrateRanges(runner, calibrationData, tensors, options.calibrationMethod ?? 'minmax', options.calibration);
  const ctx = createPassContext();
  let q = (await insertQdq({
    ...selection,
    ranges: cal.ranges,
    activationType, weightType,
    activationScheme: schemeOf(options.activationSymmetric, 'asymmetric'),
    weightScheme: schemeOf(options.weightSymmetric, 'symmetric'),
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    tensorOverrides: options.tensorOverrides,
    nodeOverrides: options.nodeOverrides,
    outputs,
  }).run(m, ctx)).model;
  if (format === 'QOperator') q = (await qdqToQOperator().run(q, ctx)).model;
  return finish(q, output, 'static', options, options.save, WHERE, statisticsHash(cal.states));
}
