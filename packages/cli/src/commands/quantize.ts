import { rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { loadModel, readRegularFile, type Model } from '@lowbit/onnx-ir';
import { coverageOf, readStatisticsInfo, runRecipe } from '@lowbit/quantize';
import type { Io } from '../io.js';
import { UsageError } from '../exit-codes.js';
import { inspectModel, formatBytes } from '../inspect/report.js';
import { openCalibrationData } from '../data/source.js';
import { progress } from '../progress.js';
import { checkOutputFile } from '../output-guard.js';
import { modelInputSpecs } from './model-inputs.js';
import { resolveRecipe, type Explicit, type QuantizeFlags } from './quantize-options.js';

/** `lowbit quantize`: options from flags (over an optional recipe), calibration data from --calib, one summary. */
export async function quantizeCommand(io: Io, input: string, f: QuantizeFlags, explicit: Explicit): Promise<void> {
  const started = performance.now();
  const recipe = await resolveRecipe(f, explicit);
  await checkOutputFile(f.output, [input, ...(f.calib ? [f.calib] : []), ...(f.stats ? [f.stats] : []), ...(f.recipe ? [f.recipe] : [])], f.overwrite === true);
  const model = await loadModel(input);
  warnUnknownNames(io, model, f);
  const data = calibrationData(io, model, f);
  const wantsData = recipe.mode === 'static' || (recipe.mode === 'weight-only' && (recipe.options.algorithm === 'gptq' || recipe.options.algorithm === 'awq'));
  if (wantsData && !data && !(recipe.mode === 'static' && f.stats)) {
    throw new UsageError(`--mode ${recipe.mode}${recipe.mode === 'weight-only' ? ` --algorithm ${recipe.options.algorithm}` : ''} needs calibration data: pass --calib DATA${recipe.mode === 'static' ? ' or --stats FILE' : ''}`, { option: '--calib' });
  }
  let recipeToRun = recipe;
  const statistics = recipe.mode === 'static' && f.stats ? await readStats(f.stats) : undefined;
  if (statistics && data) throw new UsageError('pass either --calib or --stats, not both', { option: '--stats' });
  if (recipe.mode === 'static' && statistics && !explicit('method') && !recipe.options.calibrationMethod) {
    // The file says which method made it; repeat it so the result equals quantizing with that calibration directly.
    const info = readStatisticsInfo(statistics);
    recipeToRun = { mode: 'static', options: { ...recipe.options, calibrationMethod: info.method, calibration: info.calibration } };
  }
  const out = await runRecipe(recipeToRun, model, f.output, { ...(data ? { calibrationData: data } : {}), ...(statistics ? { statistics } : {}), ...(io.signal ? { signal: io.signal } : {}) });
  // The output is in place; if describing it fails, take it away again so a failed command leaves no output.
  const summary = await describe(input, f, recipe, model, out, started).catch(async (err: unknown) => {
    await removeOutput(f.output, out);
    throw err;
  });
  if (f.json) {
    io.stdout(JSON.stringify(summary) + '\n');
    return;
  }
  const q = Object.entries(summary.nodesQuantized).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  io.stdout(
    `${basename(input)} -> ${f.output} (${recipe.mode})\n` +
      `  quantized: ${q}\n` +
      `  size: ${formatBytes(summary.bytesBefore)} -> ${formatBytes(summary.bytesAfter)} (${((100 * summary.bytesAfter) / summary.bytesBefore).toFixed(1)}%)\n` +
      `  time: ${summary.seconds.toFixed(1)} s\n` +
      (summary.coverage?.keptFloat.length ? `  kept float: ${summary.coverage.keptFloat.map((k) => `${k.node} (${k.reason})`).join(', ')}\n` : '') +
      (summary.coverage?.warnings ?? []).map((w) => `  warning: ${w}\n`).join(''),
  );
}

async function describe(input: string, f: QuantizeFlags, recipe: Awaited<ReturnType<typeof resolveRecipe>>, model: Model, out: Model, started: number) {
  const before = inspectModel(model);
  const after = inspectModel(out);
  return {
    input,
    output: f.output,
    mode: recipe.mode,
    options: recipe.options,
    nodesQuantized: quantizedOps(out.graph),
    coverage: coverageOf(out),
    opsBefore: before.ops,
    opsAfter: after.ops,
    bytesBefore: await modelBytes(input, model),
    bytesAfter: await modelBytes(f.output, out),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Removes a written output and its external-data files (after a failure that came later). */
async function removeOutput(path: string, m: Model): Promise<void> {
  const files = new Set<string>();
  for (const t of m.graph.initializers) if (t.kind === 'external') files.add(t.location);
  for (const loc of files) await rm(join(dirname(path), loc), { force: true }).catch(() => undefined);
  await rm(path, { force: true }).catch(() => undefined);
}

/** --op-types / --exclude-nodes naming nothing in the model are most likely typos: say so instead of ignoring them. */
function warnUnknownNames(io: Io, m: Model, f: QuantizeFlags): void {
  const ops = new Set<string>();
  const names = new Set<string>();
  const walk = (g: Model['graph']): void => {
    for (const n of g.nodes) {
      ops.add(n.opType);
      names.add(n.name);
      for (const a of n.attributes) for (const sg of a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : []) walk(sg);
    }
  };
  walk(m.graph);
  const missingOps = (f.opTypes ?? []).filter((o) => !ops.has(o));
  if (missingOps.length > 0) io.stderr(`lowbit: warning: --op-types ${missingOps.join(',')}: no node of ${missingOps.length > 1 ? 'these types' : 'this type'} in the model (it has ${[...ops].sort().join(', ')})\n`);
  const missingNodes = (f.excludeNodes ?? []).filter((n) => !names.has(n));
  if (missingNodes.length > 0) io.stderr(`lowbit: warning: --exclude-nodes ${missingNodes.join(',')}: no node of ${missingNodes.length > 1 ? 'these names' : 'this name'} in the model\n`);
}

const INTEGER_OPS = new Set(['QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger', 'MatMulNBits', 'DynamicQuantizeLSTM', 'QGemm', 'QLinearAdd', 'QLinearMul']);

/**
 * Nodes that now compute on quantized data, by op type, in the graph and every control-flow body: integer operators
 * (QLinearConv, MatMulInteger, ...) and, in QDQ form, every other node that reads a DequantizeLinear output.
 */
function quantizedOps(g: Model['graph'], out: Record<string, number> = {}): Record<string, number> {
  const dq = new Set(g.nodes.filter((n) => n.opType === 'DequantizeLinear').flatMap((n) => n.outputs.filter((o): o is string => !!o)));
  for (const n of g.nodes) {
    for (const a of n.attributes) {
      if (a.type === 'graph') quantizedOps(a.value, out);
      else if (a.type === 'graphs') for (const sg of a.value) quantizedOps(sg, out);
    }
    if (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || n.opType === 'DynamicQuantizeLinear') continue;
    if (INTEGER_OPS.has(n.opType) || n.inputs.some((i) => i !== null && dq.has(i))) out[n.opType] = (out[n.opType] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The model file plus any external data files it names. */
async function modelBytes(path: string, model: Model): Promise<number> {
  let total = (await stat(path)).size;
  const files = new Set<string>();
  for (const t of model.graph.initializers) if (t.kind === 'external') files.add(t.location);
  for (const loc of files) total += (await stat(join(dirname(path), loc)).catch(() => ({ size: 0 }))).size;
  return total;
}

function calibrationData(io: Io, model: Model, f: QuantizeFlags) {
  if (!f.calib) return undefined;
  const specs = modelInputSpecs(model);
  const path = f.calib;
  const opts = { count: f.calibCount, resize: f.resize, mean: f.mean, std: f.std, layout: f.layout };
  // A function, so calibration can read the data more than once (histogram methods take two passes).
  return () => ({
    async *[Symbol.asyncIterator]() {
      const bar = progress(io, 'calibrating', f.calibCount);
      try {
        for await (const feeds of openCalibrationData(path, specs, opts)) {
          bar.tick();
          yield feeds;
        }
      } finally {
        bar.stop();
      }
    },
  });
}

async function readStats(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, 2 ** 30, '--stats file');
  } catch (err) {
    throw new UsageError(`--stats ${path}: cannot read the file (${(err as Error).message})`, { option: '--stats' });
  }
}
