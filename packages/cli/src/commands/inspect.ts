import { loadModel } from '@lowbit/onnx-ir';
import type { Io } from '../io.js';
import { printable } from '../exit-codes.js';
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
  // Names come from the (untrusted) model: control characters are shown escaped, never sent to the terminal.
  io.stdout(formatInspectReport(path, report).split('\n').map(printable).join('\n') + '\n');
  const lowbit = support.lowbit.unsupported.length === 0 ? 'all ops supported' : `unsupported: ${support.lowbit.unsupported.join(', ')}`;
  const ort = support.onnxruntime.available ? (support.onnxruntime.loads ? 'loads' : `refuses it: ${support.onnxruntime.error}`) : 'not installed';
  io.stdout(`  Lowbit runtime: ${printable(lowbit)}\n  onnxruntime: ${printable(ort)}\n`);
}
