/**
 * What quantizeStatic and calibrateStatic share: option checks, load, preprocess (opset >= 13; 21 for 16/4-bit) and
 * the activation tensors insert-qdq will quantize. Both run exactly this, so statistics saved by calibrateStatic
 * cover exactly the tensors quantizeStatic needs with the same options.
 */
import type { Model } from '@lowbit/onnx-ir';
import { staticQuantTargets } from '@lowbit/rewriters';
import type { NodeSelection } from '@lowbit/rewriters';
import { QuantizeError } from './errors.js';
import { loadInput } from './io.js';
import { preprocess } from './preprocess.js';
import { selectionOf } from './selection.js';
import type { CalibrationMethod, ModelInput, QuantFormat, QuantType, StaticQuantizeOptions } from './types.js';

export interface StaticPlan {
  /** The preprocessed model. */
  readonly model: Model;
  readonly format: QuantFormat;
  readonly activationType: QuantType;
  readonly weightType: QuantType;
  readonly selection: NodeSelection;
  readonly outputs: 'all' | 'consumed';
  /** Activation tensors to calibrate, in staticQuantTargets order. */
  readonly tensors: readonly string[];
  readonly method: CalibrationMethod;
}

export async function planStatic(input: ModelInput, options: StaticQuantizeOptions, where: string): Promise<StaticPlan> {
  const format = options.quantFormat ?? 'QDQ';
  const activationType = options.activationType ?? 'uint8';
  const weightType = options.weightType ?? 'int8';
  if (format === 'QOperator' && (!['uint8', 'int8'].includes(activationType) || !['uint8', 'int8'].includes(weightType))) {
    throw new QuantizeError({ where, option: 'quantFormat', expected: '8-bit activation and weight types for QOperator', actual: `${activationType}/${weightType}` }, 'QLinearConv/QLinearMatMul are 8-bit only');
  }
  if (activationType === 'uint4' || activationType === 'int4') {
    throw new QuantizeError({ where, option: 'activationType', expected: 'uint8, int8, uint16 or int16', actual: activationType }, 'onnxruntime has no kernels for 4-bit activations');
  }
  const wide = [activationType, weightType].some((t) => t.endsWith('16') || t.endsWith('4'));
  const targetOpset = Math.max(options.opset ?? 0, wide ? 21 : 13);
  const loaded = await loadInput(input, where);
  const model = await preprocess(loaded, { targetOpset });
  const selection = selectionOf(options);
  if (format === 'QOperator' && options.quantizeOutputs === 'consumed') {
    throw new QuantizeError({ where, option: 'quantizeOutputs', expected: "'all' with QOperator", actual: 'consumed' }, 'QLinear operators need quantized outputs');
  }
  const outputs = options.quantizeOutputs ?? 'all';
  const tensors = staticQuantTargets(model, selection, outputs);
  return { model, format, activationType, weightType, selection, outputs, tensors, method: options.calibrationMethod ?? 'minmax' };
}
