import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadModel, dataTypeFromName, encodeTensor, tensorFromValues } from '@lowbit/onnx-ir';
import { Session, type Tensor } from '@lowbit/runtime';
import type { Io } from '../io.js';
import { UsageError } from '../exit-codes.js';
import { openCalibrationData } from '../data/source.js';
import { readPbTensors } from '../data/test-sets.js';
import { modelInputSpecs } from './model-inputs.js';
import { compareTensors, type Mismatch } from '../compare/tolerance.js';
import { backendInfo, describeBackend } from './backend-info.js';
import { kindOf } from '../output-guard.js';
import { writeFileAtomic } from '../compare/write-atomic.js';

interface RunOptions {
  inputs: string;
  expect?: string;
  output?: string;
  atol: number;
  rtol: number;
  backend: 'auto' | 'js' | 'wasm' | 'native';
  threads?: number;
  overwrite?: boolean;
  json?: boolean;
}

/** `lowbit run`: feeds input_N.pb (or .npy) files, then writes outputs and/or compares them with output_N.pb. */
export async function runCommand(io: Io, modelPath: string, o: RunOptions): Promise<void> {
  const model = await loadModel(modelPath);
  const specs = modelInputSpecs(model);
  let feeds: Record<string, Tensor> | undefined;
  for await (const f of openCalibrationData(o.inputs, specs, { count: 1 })) feeds = f;
  if (!feeds) throw new UsageError(`${o.inputs}: no inputs found`, { option: '--inputs' });
  const session = await Session.create(model, { backend: o.backend, ...(o.threads === undefined ? {} : { threads: o.threads }) });
  const backend = backendInfo(session, o.backend);
  const started = performance.now();
  const results = await session.run(feeds).finally(() => session.release());
  const ms = performance.now() - started;
  const outputs = session.outputNames.map((name) => ({ name, tensor: results[name] }));

  if (o.output) await writeOutputs(o.output, outputs, o.overwrite === true);

  let mismatches: Mismatch[] = [];
  if (o.expect) {
    const expected = await readPbTensors(o.expect, 'output');
    if (expected.length !== outputs.length) {
      throw new UsageError(`${o.expect}: ${expected.length} output_N.pb files, the model has ${outputs.length} outputs`, { option: '--expect', expected: String(outputs.length), actual: String(expected.length) });
    }
    mismatches = outputs.flatMap((out, i) => compareTensors(out.name, out.tensor, expected[i].tensor, o.atol, o.rtol));
    if (mismatches.length > 0) io.exitCode = 1;
  }
  if (o.json) {
    io.stdout(JSON.stringify({
      model: modelPath,
      ...backend,
      ms,
      outputs: outputs.map(({ name, tensor }) => ({ name, dtype: tensor.dtype, dims: tensor.dims })),
      ...(o.expect ? { match: mismatches.length === 0, mismatches } : {}),
    }) + '\n');
    return;
  }
  io.stdout(`${basename(modelPath)}: ran in ${ms.toFixed(1)} ms on ${describeBackend(backend)}\n`);
  for (const d of backend.diagnostics) io.stdout(`  note: ${d}\n`);
  for (const { name, tensor } of outputs) io.stdout(`  ${name}: ${tensor.dtype}[${tensor.dims.join(', ')}]\n`);
  if (o.expect) {
    if (mismatches.length === 0) io.stdout(`  outputs match ${o.expect} (atol ${o.atol}, rtol ${o.rtol})\n`);
    else for (const m of mismatches.slice(0, 10)) io.stdout(`  MISMATCH ${m.message}\n`);
  }
}

/**
 * Writes output_N.pb files into `dir`. A new folder appears atomically (a temporary folder renamed into place). An
 * existing empty folder is filled; one that holds files needs `overwrite` (each output_N.pb is then replaced
 * atomically, other files are left alone). Anything at `dir` that is not a folder is never touched.
 */
async function writeOutputs(dir: string, outputs: { name: string; tensor: Tensor }[], overwrite: boolean): Promise<void> {
  const encoded = outputs.map(({ name, tensor }) => encodeTensor(tensorFromValues(name, dataTypeFromName(tensor.dtype), tensor.dims, tensor.data as never)));
  const st = await lstat(dir).catch(() => undefined);
  if (st !== undefined) {
    if (!st.isDirectory()) throw new UsageError(`--output ${dir}: exists and is ${kindOf(st)}, not a folder; refusing to replace it`, { option: '--output', expected: 'a folder', actual: kindOf(st) });
    if ((await readdir(dir)).length > 0 && !overwrite) throw new UsageError(`--output ${dir}: exists and is not empty; refusing to overwrite (pass --overwrite to replace its output_N.pb files)`, { option: '--output' });
    for (const [i, bytes] of encoded.entries()) await writeFileAtomic(join(dir, `output_${i}.pb`), bytes);
    return;
  }
  const tmp = `${dir}.lowbit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(tmp);
  try {
    for (const [i, bytes] of encoded.entries()) await writeFile(join(tmp, `output_${i}.pb`), bytes);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
