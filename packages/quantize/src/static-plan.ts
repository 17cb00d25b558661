/**
 * What quantizeStatic and calibrateStatic share: option checks, load, preprocess (opset >= 13; 21 for 16/4-bit) and
 * the activation tensors insert-qdq will quantize. Both run exactly this, so statistics saved by calibrateStatic
 * cover exactly the tensors quantizeStatic needs with the same options.
 */
import type { Model } from '@lowbit/onnx-ir';
import type { IntQuantDType } from '@lowbit/qparams';
import { crossLayerEqualization, staticQuantTargetsDeep } from '@lowbit/rewriters';
import type { InsertQdqOptions, NodeSelection, QuantPlanOptions } from '@lowbit/rewriters';
import type { KeptFloat } from './coverage.js';
import { keepSensitive } from './sensitive-ops.js';
import { withRunner } from './runner.js';
import { smoothQuant, type SmoothQuantSim } from './smooth-quant.js';
import { QuantizeError } from './errors.js';
import { loadInput } from './io.js';
import { preprocess } from './preprocess.js';
import { schemeOf, selectionOf } from './selection.js';
import type { Stage } from './abort.js';
import type { CalibrationData, CalibrationMethod, ModelInput, QuantFormat, StaticQuantizeOptions } from './types.js';

export interface StaticPlan {
  /** The preprocessed model. */
  readonly model: Model;
  readonly format: QuantFormat;
  readonly activationType: IntQuantDType;
  readonly weightType: IntQuantDType;
  readonly selection: NodeSelection;
  readonly outputs: 'all' | 'consumed';
  /** Activation tensors to calibrate: the main graph's in staticQuantTargets order, then those inside control-flow bodies. */
  readonly tensors: readonly string[];
  /** The tensors inside control-flow bodies (an If branch a batch does not take does not produce them). */
  readonly optional: ReadonlySet<string>;
  /** Compute nodes kept float because they feed numerically sensitive ops (see sensitive-ops.ts). */
  readonly keptFloat: readonly KeptFloat[];
  readonly method: CalibrationMethod;
  /** SmoothQuant only: the alpha applied per MatMul (node name), fixed or searched. */
  readonly smoothQuantAlphas?: Readonly<Record<string, number>>;
}

export async function planStatic(input: ModelInput, options: StaticQuantizeOptions, where: string, data?: CalibrationData | null, stage: Stage = () => {}): Promise<StaticPlan> {
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
  stage('load');
  const loaded = await loadInput(input, where, { allowQuantized: options.allowQuantizedInput });
  stage('preprocess');
  const equalized = await preprocess(loaded, { targetOpset, signal: options.signal, extra: options.crossLayerEqualization ? [crossLayerEqualization()] : [] });
  let model = equalized;
  let smoothQuantAlphas: Readonly<Record<string, number>> | undefined;
  if (options.smoothQuant !== undefined && options.smoothQuant !== false) {
    if (data === null || data === undefined) throw new QuantizeError({ where, option: 'smoothQuant', expected: 'calibration data (SmoothQuant measures activation channels)', actual: 'saved statistics only' }, 'smoothQuant needs calibration data');
    const alpha = options.smoothQuant === true ? 'search' : options.smoothQuant;
    if (alpha !== 'search' && !(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) {
      throw new QuantizeError({ where, option: 'smoothQuant', expected: "true, 'search' or an alpha in [0, 1]", actual: String(alpha) }, 'bad smoothQuant alpha');
    }
    const sim: SmoothQuantSim = {
      activationType, weightType, activationScheme: schemeOf(options.activationSymmetric, 'asymmetric'), weightScheme: schemeOf(options.weightSymmetric, 'symmetric'),
      perChannel: options.perChannel ?? false, reduceRange: options.reduceRange ?? false,
    };
    stage('smooth-quant');
    const sq = await withRunner(equalized, options.runner, (r) => smoothQuant(equalized, r, data, alpha, sim));
    model = sq.model;
    smoothQuantAlphas = Object.fromEntries(sq.alphas);
  }
  const { selection, keptFloat } = keepSensitive(model, selectionOf(options), options.keepSensitiveFloat ?? true);
  if (format === 'QOperator' && options.quantizeOutputs === 'consumed') {
    throw new QuantizeError({ where, option: 'quantizeOutputs', expected: "'all' with QOperator", actual: 'consumed' }, 'QLinear operators need quantized outputs');
  }
  const outputs = options.quantizeOutputs ?? 'all';
  const deep = staticQuantTargetsDeep(model, planOptions({ selection, outputs, activationType, weightType }, options));
  const tensors = [...deep.main, ...deep.bodies];
  return { model, format, activationType, weightType, selection, outputs, tensors, optional: new Set(deep.bodies), keptFloat, method: options.calibrationMethod ?? 'minmax', ...(smoothQuantAlphas ? { smoothQuantAlphas } : {}) };
}

/**
 * The insert-qdq options of a plan: the same selection and output policy the calibration targets were chosen with,
 * plus the types, schemes and overrides. `ranges` are the calibrated ranges of `plan.tensors`.
 */
export function insertOptions(plan: StaticPlan, options: StaticQuantizeOptions, ranges: InsertQdqOptions['ranges']): InsertQdqOptions {
  return { ...planOptions(plan, options), ranges };
}

/** The options `planQuantization` reads, for the calibration targets and (with ranges) the emission alike. */
function planOptions(plan: Pick<StaticPlan, 'selection' | 'outputs' | 'activationType' | 'weightType'>, options: StaticQuantizeOptions): QuantPlanOptions {
  return {
    ...plan.selection,
    activationType: plan.activationType, weightType: plan.weightType,
    activationScheme: schemeOf(options.activationSymmetric, 'asymmetric'),
    weightScheme: schemeOf(options.weightSymmetric, 'symmetric'),
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    tensorOverrides: options.tensorOverrides,
    nodeOverrides: options.nodeOverrides,
    outputs: plan.outputs,
  };
}
