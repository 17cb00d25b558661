/**
 * `lowbit compare FLOAT QUANT --calib DATA --sensitivity [--svg FILE]`: per-layer sensitivity of the float model under
 * the quantized model's static recipe (its `lowbit.options` metadata; defaults when absent): each Conv/MatMul/Gemm
 * quantized alone, the output SQNR vs float (see @lowbit/quantize `layerSensitivity`). Prints a table, most sensitive
 * (lowest SQNR) first, and `--svg` plots SQNR per layer in graph order with the same plot as the per-layer compare.
 */
import { basename } from 'node:path';
import type { Model } from '@lowbit/onnx-ir';
import { layerSensitivity, METADATA_KEYS, parseRecipe, type StaticQuantizeOptions } from '@lowbit/quantize';
import type { Io } from '../io.js';
import { openCalibrationData, type ImagePreprocessing } from '../data/source.js';
import { modelInputSpecs } from '../commands/model-inputs.js';
import { progress } from '../progress.js';
import { formatDb, sqnrJson } from './metrics.js';
import { sqnrSvg } from './svg.js';
import { writeFileAtomic } from './write-atomic.js';

interface Options extends ImagePreprocessing {
  readonly calib: string;
  readonly calibCount?: number;
  readonly svg?: string;
  readonly json?: boolean;
}

/** The static options recorded in the quantized model, or {} (defaults) when it has none or another mode. */
function recipeOptions(q: Model): StaticQuantizeOptions {
  const e = q.metadataProps.find((p) => p.key === METADATA_KEYS.options);
  if (!e) return {};
  try {
    const r = parseRecipe(e.value);
    return r.mode === 'static' ? (r.options as StaticQuantizeOptions) : {};
  } catch {
    return {};
  }
}

export async function sensitivityCommand(io: Io, floatPath: string, quantPath: string, floatModel: Model, quantModel: Model, o: Options): Promise<void> {
  const specs = modelInputSpecs(floatModel);
  const opts = { count: o.calibCount ?? 100, resize: o.resize, mean: o.mean, std: o.std, layout: o.layout };
  const data = () => openCalibrationData(o.calib, specs, opts);
  const bar = o.json ? undefined : progress(io, 'layers', undefined);
  let layers;
  try {
    layers = await layerSensitivity(floatModel, data, { ...recipeOptions(quantModel), onLayer: () => bar?.tick() });
  } finally {
    bar?.stop();
  }
  if (o.svg) {
    const title = `Output SQNR with one layer quantized: ${basename(floatPath)} (recipe of ${basename(quantPath)})`;
    await writeFileAtomic(o.svg, sqnrSvg(layers.map((l, index) => ({ index, name: l.node, opType: l.opType, db: l.sqnrDb })), { title }));
  }
  if (o.json) {
    io.stdout(JSON.stringify({ float: floatPath, quantized: quantPath, layers: layers.map((l) => ({ node: l.node, opType: l.opType, ...sqnrJson(l.sqnrDb) })) }) + '\n');
    return;
  }
  const sorted = [...layers].sort((a, b) => a.sqnrDb - b.sqnrDb);
  const w = Math.max(4, ...layers.map((l) => l.node.length));
  const lines = [`sensitivity: ${basename(floatPath)}, one layer quantized at a time (recipe of ${basename(quantPath)}), most sensitive first`, `  ${'node'.padEnd(w)}  op      output SQNR`];
  for (const l of sorted) lines.push(`  ${l.node.padEnd(w)}  ${l.opType.padEnd(6)}  ${formatDb(l.sqnrDb)}`);
  if (o.svg) lines.push(`\nsensitivity plot written to ${o.svg}`);
  io.stdout(lines.join('\n') + '\n');
}
