/**
 * `lowbit tune MODEL -o OUT [--data DATA|random] (--target-sqnr DB | --target-top1 F | --evaluator FILE.mjs
 * (--target N | --tolerable-loss L)) [--max-trials N] [--report FILE.json]`: accuracy-aware quantization with
 * @lowbit/quantize `quantizeWithAccuracy`. One line per trial on stderr; the best model found is always written
 * (atomically, onnx-ir `saveModel`) and so is the trial report (JSON, atomically; default `OUT` with `.tune.json` for
 * `.onnx`); stdout gets a short table and whether the target was reached. Exit code 0 when reached,
 * `ExitCode.targetNotReached` (4) when not, with the model and report written all the same. Ctrl-C (`io.signal`) stops
 * tuning and writes the best model so far and the report (stopReason `aborted`, exit 4 unless reached); before the
 * first trial finished it writes nothing (exit 130).
 *
 * Data: `--data` as for `quantize --calib` (test sets, .npy/.npz, IDX, images), at most `--data-count` samples; or
 * `random` (the default): `--data-count` (default 8) seeded uniform [0, 1) inputs (`--shape name=d0,...` for inputs
 * with dynamic dims). `--eval-data` scores on other data than the calibration data.
 */
import { CALIBRATION_METHODS } from '../calibration-methods.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModel, saveModel, type Model } from '@lowbit/onnx-ir';
import { outputSqnr, quantizeWithAccuracy, top1Agreement, type AccuracyOptions, type CalibrationData, type CalibrationMethod, type Evaluator } from '@lowbit/quantize';
import type { Io } from '../io.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { openCalibrationData, type ImagePreprocessing } from '../data/source.js';
import { syntheticFeeds } from '../data/synthetic.js';
import { writeFileAtomic } from '../compare/write-atomic.js';
import { checkOutputFile } from '../output-guard.js';
import { progress } from '../progress.js';
import { modelInputSpecs } from './model-inputs.js';
import { reportJson, tuneTable, trialLine } from './tune-report.js';

export interface TuneFlags extends ImagePreprocessing {
  readonly output: string;
  readonly data?: string;
  readonly dataCount?: number;
  readonly evalData?: string;
  readonly shape?: Record<string, number[]>;
  readonly targetSqnr?: number;
  readonly targetTop1?: number;
  readonly evaluator?: string;
  readonly target?: number;
  readonly tolerableLoss?: number;
  readonly maxTrials?: number;
  readonly methods?: string[];
  readonly ranking?: 'all-but-one' | 'one-layer';
  readonly report?: string;
  readonly overwrite?: boolean;
  readonly json?: boolean;
}


export async function tuneCommand(io: Io, input: string, f: TuneFlags): Promise<void> {
  const criterion = await criterionOf(f);
  const methods = f.methods?.map((m) => {
    if (!CALIBRATION_METHODS.includes(m)) throw new UsageError(`--methods: unknown calibration method "${m}" (expected ${CALIBRATION_METHODS.join(', ')})`, { option: '--methods', expected: CALIBRATION_METHODS.join(', '), actual: m });
    return m as CalibrationMethod;
  });
  const report = f.report ?? defaultReportPath(f.output);
  const inputs = [input, ...[f.data, f.evalData, f.evaluator].filter((p): p is string => p !== undefined && p !== 'random')];
  await checkOutputFile(f.output, inputs, f.overwrite === true);
  await checkOutputFile(report, [...inputs, f.output], f.overwrite === true, '--report');
  if (resolve(report) === resolve(f.output)) throw new UsageError(`--report ${report}: is the model output; pick another path`, { option: '--report' });
  const model = await loadModel(input);
  const data = dataOf(model, f.data, f);
  const evaluationData = f.evalData !== undefined ? dataOf(model, f.evalData, f) : undefined;
  const bar = f.json ? undefined : progress(io, 'ranking layers', undefined);
  let started = false;
  const options: AccuracyOptions = {
    ...criterion.options,
    ...(f.maxTrials !== undefined ? { maxTrials: f.maxTrials } : {}),
    ...(methods ? { methods } : {}),
    ...(f.ranking ? { ranking: f.ranking } : {}),
    ...(evaluationData ? { evaluationData } : {}),
    onTrial: (t, max) => {
      if (!f.json) io.stderr(`${trialLine(t, max, criterion.evaluator.unit)}\n`);
    },
    onRanking: (done, total) => {
      if (!started && !f.json) io.stderr(`ranking ${total} layers (${f.ranking === 'one-layer' ? 'each quantized alone' : 'each kept float in turn'})...\n`);
      started = true;
      bar?.tick();
    },
  };
  let result;
  try {
    // Ctrl-C (io.signal, see bin.ts) stops tuning: the best model so far and the report are still written
    result = await quantizeWithAccuracy(model, data, criterion.evaluator, { ...options, ...(io.signal ? { signal: io.signal } : {}) });
  } finally {
    bar?.stop();
  }
  if (result.stopReason === 'aborted' && !f.json) io.stderr('interrupted: writing the best model so far and the report\n');
  await saveModel(result.model, f.output);
  const json = reportJson(input, f.output, result);
  await writeFileAtomic(report, JSON.stringify(json, null, 2) + '\n');
  if (f.json) io.stdout(JSON.stringify({ ...json, report }) + '\n');
  else io.stdout(tuneTable(input, f.output, report, result));
  if (!result.reached) io.exitCode = ExitCode.targetNotReached;
}

/** The evaluator and threshold the flags name (exactly one of --target-sqnr, --target-top1, --evaluator). */
async function criterionOf(f: TuneFlags): Promise<{ evaluator: Evaluator; options: Pick<AccuracyOptions, 'target' | 'tolerableLoss'> }> {
  const given = [f.targetSqnr !== undefined && '--target-sqnr', f.targetTop1 !== undefined && '--target-top1', f.evaluator !== undefined && '--evaluator'].filter(Boolean);
  if (given.length !== 1) {
    throw new UsageError(`tune needs exactly one of --target-sqnr DB, --target-top1 FRACTION, --evaluator FILE.mjs${given.length ? ` (got ${given.join(' and ')})` : ''}`, { option: '--target-sqnr' });
  }
  if (f.evaluator === undefined && (f.target !== undefined || f.tolerableLoss !== undefined)) {
    throw new UsageError('--target and --tolerable-loss go with --evaluator (--target-sqnr and --target-top1 carry their own target)', { option: f.target !== undefined ? '--target' : '--tolerable-loss' });
  }
  if (f.targetSqnr !== undefined) return { evaluator: outputSqnr(), options: { target: f.targetSqnr } };
  if (f.targetTop1 !== undefined) {
    if (f.targetTop1 > 1) throw new UsageError(`--target-top1 is a fraction in [0, 1], got ${f.targetTop1}`, { option: '--target-top1', expected: 'a fraction in [0, 1]', actual: String(f.targetTop1) });
    return { evaluator: top1Agreement(), options: { target: f.targetTop1 } };
  }
  if ((f.target === undefined) === (f.tolerableLoss === undefined)) {
    throw new UsageError('--evaluator needs exactly one of --target N (score >= N) and --tolerable-loss L (score >= float score - L)', { option: '--target' });
  }
  return { evaluator: await loadEvaluator(f.evaluator!), options: f.target !== undefined ? { target: f.target } : { tolerableLoss: f.tolerableLoss! } };
}

/**
 * The evaluator a module exports: its default export or its `evaluate` export, either a function
 * `(outputs, reference) => number` or an object `{ name, unit?, evaluate }`.
 */
async function loadEvaluator(path: string): Promise<Evaluator> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--evaluator ${path}: cannot import the module (${(e as Error).message})`, { option: '--evaluator' });
  }
  const e = mod.default ?? mod.evaluate;
  if (typeof e === 'function') return { name: typeof mod.name === 'string' ? mod.name : 'custom', evaluate: e as Evaluator['evaluate'] };
  if (e && typeof e === 'object' && typeof (e as Evaluator).evaluate === 'function') { const o = e as Evaluator; return { ...o, name: typeof o.name === 'string' ? o.name : 'custom' }; }
  throw new UsageError(`--evaluator ${path}: the module exports no evaluator (expected a default export or an "evaluate" export: a function (outputs, reference) => number, or { name, evaluate })`, { option: '--evaluator', expected: 'a function or { evaluate }', actual: typeof e });
}

/** Feeds from a data path (re-readable), or seeded random inputs for `random` / no path. */
function dataOf(model: Model, path: string | undefined, f: TuneFlags): CalibrationData {
  const specs = modelInputSpecs(model);
  if (path === undefined || path === 'random') {
    const count = f.dataCount ?? 8;
    const fixed = specs.map((s) => {
      const dims = f.shape?.[s.name] ?? s.dims;
      const dynamic = dims.some((d) => typeof d !== 'number' || d < 0);
      if (dynamic && dims.length > 1 && dims.slice(1).some((d) => typeof d !== 'number' || d < 0)) {
        throw new UsageError(`random data: input "${s.name}" has dynamic dims [${s.dims.join(', ')}]; pass --shape ${s.name}=d0,d1,... (or --data)`, { option: '--shape', expected: 'static dims', actual: s.dims.join(',') });
      }
      return { ...s, dims };
    });
    return () => Array.from({ length: count }, (_, i) => syntheticFeeds(fixed, i + 1));
  }
  const opts = { count: f.dataCount, resize: f.resize, mean: f.mean, std: f.std, layout: f.layout };
  return () => openCalibrationData(path, specs, opts);
}

function defaultReportPath(output: string): string {
  return output.endsWith('.onnx') ? `${output.slice(0, -'.onnx'.length)}.tune.json` : `${output}.tune.json`;
}
