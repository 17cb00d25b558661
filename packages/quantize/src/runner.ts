/**
 * The model runner used for calibration (static ranges, GPTQ activations) and the constant-folding evaluator, both
 * backed by @lowbit/runtime by default. An injected `options.runner` replaces the calibration runner.
 */
import { dataTypeFromName, isDefaultDomain, minIrVersionForOpset, tensorFromValues } from '@lowbit/onnx-ir';
import type { Model, Node, TensorRef } from '@lowbit/onnx-ir';
import type { Feeds, ObservableModel } from '@lowbit/calibrators';
import type { ConstantEvaluationContext, ConstantEvaluator } from '@lowbit/rewriters';
import { Session, Tensor } from '@lowbit/runtime';
import type { DType, GraphOptimizationLevel, KernelBackend } from '@lowbit/runtime';
import type { ModelOutputs } from './accuracy/evaluators.js';
import type { ModelRunnerFactory } from './types.js';

/**
 * The calibration runner: the injected factory, else a runtime Session (value hooks via `run(feeds, { observe, onValue })`).
 * The session is created with `graphOptimization: 'none'`: calibration observes intermediate float values (a Conv's
 * output before its BatchNormalization, ...) that optimisation would fold away, and must see the model's own arithmetic.
 */
export async function runnerFor(model: Model, injected: ModelRunnerFactory | undefined): Promise<ObservableModel> {
  if (injected) return injected(model);
  const session = await Session.create(model, { graphOptimization: 'none' });
  return {
    inputNames: session.inputNames,
    async run(feeds, observer) {
      await session.run(runtimeFeeds(feeds), { observe: observer.observe, onValue: (name, t) => observer.onValue(name, { dtype: t.dtype, dims: t.dims, data: t.data }) });
    },
    close: () => session.release(),
  };
}

/** Calibration feeds (plain `{ dtype, dims, data }` values or runtime tensors) as the runtime's tensors, data shared. */
export function runtimeFeeds(feeds: Feeds): Record<string, Tensor> {
  const f: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = v instanceof Tensor ? v : new Tensor(v.dtype as DType, v.data as never, v.dims);
  return f;
}

/**
 * `model`'s outputs over `batches` (one record per batch, keyed by graph output name), run by @lowbit/runtime with the
 * given (already loaded) backends and graph optimisation level (default: the session's default).
 */
export async function modelOutputs(model: Model, batches: readonly Feeds[], backends: readonly KernelBackend[], graphOptimization?: GraphOptimizationLevel): Promise<ModelOutputs> {
  const s = Session.fromModel(model, { backends, ...(graphOptimization ? { graphOptimization } : {}) });
  try {
    const out: ModelOutputs[number][] = [];
    for (const f of batches) {
      const r = await s.run(runtimeFeeds(f));
      out.push(Object.fromEntries(s.outputNames.map((n) => [n, r[n] as Tensor])));
    }
    return out;
  } finally {
    await s.release();
  }
}

/** Runs `use` with a calibration runner for `model` and closes the runner afterwards, also when `use` throws. */
export async function withRunner<T>(model: Model, injected: ModelRunnerFactory | undefined, use: (runner: ObservableModel) => Promise<T>): Promise<T> {
  return closeAfter(await runnerFor(model, injected), use);
}

/** Runs `use` on `runner`, then closes the runner (its session's threads and packed weights), also when `use` throws. */
export async function closeAfter<T>(runner: ObservableModel, use: (runner: ObservableModel) => Promise<T>): Promise<T> {
  try {
    return await use(runner);
  } finally {
    await runner.close?.();
  }
}

/**
 * Constant folding through the runtime: the node alone in a one-node model that imports the node's domain at the
 * node's own opset (`context.opset`, the folded model's import), its constant inputs as initializers. A node the
 * runtime cannot plan or run is left unfolded (undefined), never an error.
 */
export const runtimeEvaluator: ConstantEvaluator = async (node: Node, inputs: readonly (TensorRef | null)[], context: ConstantEvaluationContext) => {
  try {
    return await evaluate(node, inputs, context.opset);
  } catch {
    return undefined;
  }
};

async function evaluate(node: Node, inputs: readonly (TensorRef | null)[], opset: number): Promise<TensorRef[]> {
  const inits = inputs.filter((t): t is TensorRef => t !== null);
  const m: Model = {
    irVersion: isDefaultDomain(node.domain) ? minIrVersionForOpset(opset) : 10,
    opsetImports: [{ domain: node.domain, version: opset }],
    graph: {
      name: 'fold', inputs: [], outputs: node.outputs.filter((o): o is string => !!o).map((name) => ({ name, type: undefined })),
      initializers: inits, sparseInitializers: [], nodes: [node], valueInfo: [],
    },
    functions: [], metadataProps: [],
  };
  const s = Session.fromModel(m, { graphOptimization: 'none' });
  const r = await s.run({});
  return node.outputs.map((o) => {
    const t = r[o!];
    return tensorFromValues(o!, dataTypeFromName(t.dtype), t.dims, t.data as never);
  });
}
