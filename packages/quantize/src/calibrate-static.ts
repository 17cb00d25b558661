/**
 * `calibrateStatic(input, calibrationData, options?)`: the calibration half of quantizeStatic, saved. Runs the same
 * option checks, preprocessing, target selection and calibration that `quantizeStatic(input, out, data, options)`
 * runs, and returns a statistics file (statistics-file.ts: magic "LBQS", format version, method and its settings,
 * the preprocessed model's fingerprint, the encoded calibrator states including the `#observed` min-max states).
 * `quantizeStatic(input, out, null, { ...options, statistics })` then skips calibration and writes a model
 * byte-identical to the direct run.
 *
 * Example:
 * ```ts
 * const stats = await calibrateStatic('mnist-8.onnx', images, { calibrationMethod: 'entropy' });
 * await writeFile('stats.bin', stats);
 * await quantizeStatic('mnist-8.onnx', 'mnist-8.q.onnx', null, { calibrationMethod: 'entropy', statistics: await readFile('stats.bin') });
 * ```
 */
import { calibrateStates, methodPlan, settingsRead } from './calibration.js';
import { QuantizeError } from './errors.js';
import { modelFingerprint } from './fingerprint.js';
import { runnerFor } from './runner.js';
import { encodeStatistics } from './statistics-file.js';
import { planStatic } from './static-plan.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';
import { QUANTIZE_VERSION, TOOL_NAME } from './version.js';

const WHERE = 'calibrateStatic';

export async function calibrateStatic(input: ModelInput, calibrationData: CalibrationData, options: StaticQuantizeOptions = {}): Promise<Uint8Array> {
  if (calibrationData === null || calibrationData === undefined) {
    throw new QuantizeError({ where: WHERE, option: 'calibrationData', expected: 'calibration data', actual: String(calibrationData) }, 'missing calibration data');
  }
  if (options.statistics !== undefined) {
    throw new QuantizeError({ where: WHERE, option: 'statistics', expected: 'no saved statistics (calibrateStatic makes them)', actual: `${options.statistics.length} bytes` }, 'nothing to calibrate');
  }
  const plan = await planStatic(input, options, WHERE, calibrationData);
  const settings = methodPlan(plan.method, options.calibration, WHERE).spec;
  const { states, batches } = await calibrateStates(await runnerFor(plan.model, options.runner), calibrationData, plan.tensors, plan.method, options.calibration, undefined, WHERE, plan.optional);
  return encodeStatistics({
    header: { tool: `${TOOL_NAME}/quantize ${QUANTIZE_VERSION}`, method: plan.method, calibration: settingsRead(plan.method, options.calibration), settings, modelSha256: await modelFingerprint(plan.model), batches },
    states,
  }, WHERE);
}
