/**
 * Preprocessing before quantization, through onnx-ir's PassManager: initializers stop being graph inputs, the
 * default-domain opset is raised to what the chosen form needs, constants are folded (with the runtime-backed
 * evaluator when given), BatchNormalization and Conv+Add biases are folded.
 */
import { createPassContext, importedOpset, PassManager } from '@lowbit/onnx-ir';
import type { Model, Pass } from '@lowbit/onnx-ir';
import { constantFolding, foldBatchNorm, fuseConvBias, initializersNotInputs, opsetUpgrade } from '@lowbit/rewriters';
import type { ConstantEvaluator } from '@lowbit/rewriters';
import { runtimeEvaluator } from './runner.js';

export interface PreprocessOptions {
  readonly targetOpset: number;
  /** Default: @lowbit/runtime (see runner.ts). */
  readonly evaluator?: ConstantEvaluator;
  readonly signal?: AbortSignal;
  /** Passes to run after the standard ones, in the same PassManager (cross-layer equalization). */
  readonly extra?: readonly Pass[];
}

export function currentOpset(m: Model): number {
  return importedOpset(m.opsetImports) ?? 1;
}

export async function preprocess(m: Model, o: PreprocessOptions): Promise<Model> {
  const passes: Pass[] = [
    initializersNotInputs(),
    opsetUpgrade({ targetOpset: Math.max(o.targetOpset, currentOpset(m)) }),
    constantFolding({ evaluator: o.evaluator ?? runtimeEvaluator }),
    foldBatchNorm(),
    fuseConvBias(),
    ...(o.extra ?? []),
  ];
  const pm = new PassManager(passes, { name: 'quantize-preprocess', verify: true });
  const r = await pm.run(m, createPassContext({ signal: o.signal }));
  return r.model;
}
