/**
 * The quantizers' graph rewrites run through onnx-ir's PassManager like preprocessing does: each pass gets the
 * identity check, per-pass timing (logged at level `debug`) and PassError { passName, previousPasses, cause } on
 * failure, and the run's AbortSignal is checked before every pass.
 */
import { createPassContext, PassManager } from '@lowbit/onnx-ir';
import type { Model, Pass } from '@lowbit/onnx-ir';

export async function runPasses(name: string, passes: readonly Pass[], m: Model, signal?: AbortSignal): Promise<Model> {
  const r = await new PassManager(passes, { name }).run(m, createPassContext({ signal }));
  return r.model;
}
