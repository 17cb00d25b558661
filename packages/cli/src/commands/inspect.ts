import { loadModel } from '@lowbit/onnx-ir';
import type { Io } from '../io.js';
import { formatInspectReport, inspectModel } from '../inspect/report.js';
import { runtimeSupport } from '../inspect/support.js';

export async function inspectCommand(io: Io, path: string, opts: { json?: boolean }): Promise<void> {
  const model = await loadModel(path);
  const report = inspectModel(model);
  const support = await runtimeSupport(model, path);
  if (opts.json) {
    io.stdout(JSON.stringify({ path, ...report, support }) + '\n');
    return;
  }
  io.stdout(formatInspectReport(path, report) + '\n');
  const lowbit = support.lowbit.unsupported.length === 0 ? 'all ops supported' : `unsupported: ${support.lowbit.unsupported.join(', ')}`;
  const ort = support.onnxruntime.available ? (support.onnxruntime.loads ? 'loads' : `refuses it: ${support.onnxruntime.error}`) : 'not installed';
  io.stdout(`  Lowbit runtime: ${lowbit}\n  onnxruntime: ${ort}\n`);
}
