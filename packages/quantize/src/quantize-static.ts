/**
 * `quantizeStatic(input, output, calibrationData, options?)` (`output` null: nothing is written; see `quantizeStaticBytes`): calibrated 8/16/4-bit quantization in QDQ (default) or
 * QOperator form. Steps: load -> preprocess (opset >= 13; 21 for 16/4-bit) -> calibrate the activations insert-qdq
 * needs with the chosen method, or take their states from `options.statistics` (saved by `calibrateStatic`) ->
 * insert-qdq (scales/zero points from @lowbit/qparams) -> bias correction (when asked) -> dynamic LSTM -> qdq-to-qoperator
 * (QOperator only), these through one PassManager -> provenance metadata -> verifyModel -> atomic save. `options.signal`
 * cancels the run between passes and calibration batches (QuantizeAbortedError, nothing written). Resolves to the written Model.
 *
 * With saved statistics the states go through the same decode -> computeRange -> clip-to-observed path as freshly
 * calibrated ones, and the recorded `lowbit.calibration_sha256` hashes the same states, so the output is
 * byte-identical to quantizing directly with the data the statistics were made from and the same options.
 */
import { resultOf } from '@lowbit/onnx-ir';
import type { Model, Pass } from '@lowbit/onnx-ir';
import { abortable } from './abort.js';
import { runPasses } from './pipeline.js';
import { dynamicQuantize, insertQdqDeep, qdqToQOperator } from '@lowbit/rewriters';
import type { InsertQdqOptions, NodeSelection } from '@lowbit/rewriters';
import { correctBiases } from './bias-correction.js';
import { calibrateStates, rangesFromStates } from './calibration.js';
import { QuantizeError } from './errors.js';
import { finish } from './finish.js';
import { statisticsHash, withSmoothQuantAlphas } from './metadata.js';
import { runnerFor, withRunner } from './runner.js';
import { statesFromSaved } from './saved-statistics.js';
import { insertOptions, planStatic, type StaticPlan } from './static-plan.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';

const WHERE = 'quantizeStatic';

export async function quantizeStatic(input: ModelInput, output: string | null, calibrationData: CalibrationData | null | undefined, options: StaticQuantizeOptions = {}): Promise<Model> {
  const haveData = calibrationData !== null && calibrationData !== undefined;
  if (options.statistics !== undefined && haveData) {
    throw new QuantizeError({ where: WHERE, option: 'statistics', expected: 'either calibration data or saved statistics', actual: 'both' }, 'ambiguous calibration source');
  }
  if (options.statistics === undefined && !haveData) {
    throw new QuantizeError({ where: WHERE, option: 'calibrationData', expected: 'calibration data (or options.statistics from calibrateStatic)', actual: String(calibrationData) }, 'missing calibration data');
  }
  if (options.biasCorrection && !haveData) {
    throw new QuantizeError({ where: WHERE, option: 'biasCorrection', expected: 'calibration data (bias correction runs both models)', actual: 'saved statistics only' }, 'biasCorrection needs calibration data');
  }
  return abortable(WHERE, options.signal, async (stage) => {
    const plan = await planStatic(input, options, WHERE, calibrationData, stage);
    const { model: m, tensors, method } = plan;
    stage('calibration');
    const states = options.statistics !== undefined
      ? await statesFromSaved(options.statistics, plan, options, WHERE)
      : (await withRunner(m, options.runner, (r) => calibrateStates(r, calibrationData!, tensors, method, options.calibration, options.signal, WHERE, plan.optional))).states;
    const ranges = rangesFromStates(states, tensors, method, options.calibration, WHERE, plan.optional);
    stage('quantize');
    const passes: Pass[] = [insertQdqDeep(qdqOptions(plan, options, ranges))];
    if (options.biasCorrection) passes.push(biasCorrection(m, options, calibrationData!));
    if ((options.lstm ?? 'dynamic') === 'dynamic') {
      // ONNX has no calibrated LSTM form: LSTM weights go int8 offline, the gates quantize at run time (com.microsoft)
      const ops = plan.selection.opTypes ? plan.selection.opTypes.filter((o) => o === 'LSTM') : ['LSTM'];
      if (ops.length > 0) passes.push(dynamicQuantize({ ...plan.selection, opTypes: ops, reduceRange: options.reduceRange ?? false }));
    }
    if (plan.format === 'QOperator') passes.push(qdqToQOperator());
    let q = await runPasses('quantize-static', passes, m, options.signal);
    if (plan.smoothQuantAlphas) q = withSmoothQuantAlphas(q, plan.smoothQuantAlphas);
    stage('save');
    return finish(q, output, 'static', options, options.save, WHERE, statisticsHash(states), plan.keptFloat);
  });
}

/** Bias correction as a pass over the quantized model (it runs `float` and the quantized model on `data`). */
function biasCorrection(float: Model, options: StaticQuantizeOptions, data: CalibrationData): Pass {
  return {
    name: 'bias-correction',
    async run(q) {
      return resultOf(q, await correctBiases(float, q, (x) => runnerFor(x, options.runner), data));
    },
  };
}

/**
 * The insert-qdq options quantizeStatic uses for `plan` and `options` with calibrated `ranges`; `selection` replaces
 * the plan's node selection (layerSensitivity quantizes one node at a time with the same settings).
 */
export function qdqOptions(plan: StaticPlan, options: StaticQuantizeOptions, ranges: ReadonlyMap<string, { min: number; max: number }>, selection: NodeSelection = plan.selection): InsertQdqOptions {
  return insertOptions({ ...plan, selection }, options, ranges);
}
