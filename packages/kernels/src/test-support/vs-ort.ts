import * as ort from 'onnxruntime-node';
import type { AttrValue, KernelNode } from '../contract.js';
import type { KernelRegistry } from '../registry.js';
import { freshRunContext } from '../run-context.js';
import type { DType, Tensor } from '../tensor.js';
import { firstMismatch } from './expect-close.js';
import { singleNodeModel } from './single-node-model.js';

/** One op configuration to run in onnxruntime-node and in the registry's `Op:*` kernel. */
export interface OrtCase {
  readonly op: string;
  readonly opset: number;
  /** The op's domain (default ai.onnx), e.g. `com.microsoft` (imported at version 1). */
  readonly domain?: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly attrs?: Record<string, AttrValue>;
  /** Output dtypes (default: one output of the first input's dtype). */
  readonly outputs?: readonly DType[];
  /** Attribute names to write as FLOAT even when their value is an integer. */
  readonly floatAttrs?: readonly string[];
}

/**
 * Builds a single-node model of `c`, runs it in onnxruntime-node (CPU) and through `registry`, and returns the first
 * mismatch (floats within `tol`, other dtypes exactly) or undefined when every output agrees.
 */
export async function mismatchVsOrt(registry: KernelRegistry, c: OrtCase, tol?: { rtol: number; atol: number }): Promise<string | undefined> {
  const outputs = c.outputs ?? [c.inputs[0]!.dtype];
  const names = c.inputs.map((t, i) => (t ? `x${i}` : ''));
  const model = singleNodeModel({
    opType: c.op, opset: c.opset, domain: c.domain, attrs: c.attrs, floatAttrs: c.floatAttrs,
    inputs: c.inputs.map((t, i) => (t ? { name: names[i], dtype: t.dtype } : null)),
    outputs: outputs.map((d, i) => ({ name: `y${i}`, dtype: d })),
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  c.inputs.forEach((t, i) => {
    if (t) feeds[names[i]] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  });
  const expected = await session.run(feeds);
  const node: KernelNode = {
    name: c.op, opType: c.op, domain: c.domain ?? '', opset: c.domain ? 1 : c.opset, attrs: new Map(Object.entries(c.attrs ?? {})),
    inputTypes: c.inputs.map((t) => t?.dtype ?? null), outputCount: outputs.length,
  };
  const actual = registry.resolve(`${c.domain ? `${c.domain}.` : ''}${c.op}:*`).create(node).run(c.inputs, freshRunContext);
  for (let o = 0; o < outputs.length; o++) {
    const e = expected[`y${o}`];
    const m = firstMismatch(actual[o]!, { dims: e.dims, data: e.data as ArrayLike<unknown> }, tol);
    if (m) return `${c.op}@${c.opset} ${JSON.stringify(c.attrs ?? {})} output ${o}: ${m}`;
  }
  return undefined;
}
