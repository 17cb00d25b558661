import { basename } from 'node:path';
import { loadModel } from '@lowbit/onnx-ir';
import type { Io } from '../io.js';
import { openCalibrationData, type ImagePreprocessing } from '../data/source.js';
import { modelInputSpecs } from './model-inputs.js';
import { checkModelsMatch } from '../compare/models-match.js';
import { compareModels } from '../compare/compare-models.js';
import { compareJson, compareText } from '../compare/report.js';
import { sqnrSvg } from '../compare/svg.js';
import { writeFileAtomic } from '../compare/write-atomic.js';
import { sensitivityCommand } from '../compare/sensitivity.js';

interface CompareOptions extends ImagePreprocessing {
  readonly calib: string;
  readonly calibCount?: number;
  readonly svg?: string;
  readonly json?: boolean;
  readonly sensitivity?: boolean;
}

/**
 * `lowbit compare FLOAT QUANT --calib DATA`: runs both models on up to `--calib-count` samples (default 100) and
 * reports, per graph output, SQNR, cosine similarity, max abs error and top-1 agreement, and per layer (every float
 * activation the quantized model also holds, in the float model's topological order) the SQNR; `--svg` plots the
 * per-layer SQNR. Models that take different inputs are a ModelMismatchError (exit code 2). With `--sensitivity`, a
 * per-layer sensitivity table instead (compare/sensitivity.ts).
 */
export async function compareCommand(io: Io, floatPath: string, quantPath: string, opts: Record<string, unknown>): Promise<void> {
  const o = opts as unknown as CompareOptions;
  const floatModel = await loadModel(floatPath);
  const quantModel = await loadModel(quantPath);
  checkModelsMatch(floatModel, quantModel);
  if (o.sensitivity) {
    await sensitivityCommand(io, floatPath, quantPath, floatModel, quantModel, o);
    return;
  }
  const samples = openCalibrationData(o.calib, modelInputSpecs(floatModel), {
    count: o.calibCount ?? 100, resize: o.resize, mean: o.mean, std: o.std, layout: o.layout,
  });
  const result = await compareModels(floatModel, quantModel, samples);
  if (o.svg) {
    const title = `Per-layer SQNR: ${basename(quantPath)} vs ${basename(floatPath)} (${result.samples} samples)`;
    const points = result.layers.map((l) => ({ index: l.index, name: l.name, opType: l.opType, db: l.metrics.sqnrDb }));
    await writeFileAtomic(o.svg, sqnrSvg(points, { title }));
  }
  if (o.json) {
    io.stdout(JSON.stringify(compareJson(floatPath, quantPath, result)) + '\n');
    return;
  }
  io.stdout(compareText(floatPath, quantPath, result));
  if (o.svg) io.stdout(`\nper-layer SQNR plot written to ${o.svg}\n`);
}
