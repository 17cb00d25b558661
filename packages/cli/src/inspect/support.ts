import type { Graph, Model } from '@lowbit/onnx-ir';
import { isDefaultDomain } from '@lowbit/onnx-ir';
import { createReferenceRegistry } from '@lowbit/kernels';
import { RUNTIME_OPS } from '@lowbit/runtime';

export interface SupportReport {
  readonly lowbit: { readonly unsupported: readonly string[] };
  readonly onnxruntime: { readonly available: boolean; readonly loads: boolean | null; readonly error?: string };
}

/**
 * Which ops Lowbit's runtime has no kernel for (by op type and domain), and whether onnxruntime-node (an optional
 * peer dependency) loads the model.
 */
export async function runtimeSupport(model: Model, path: string): Promise<SupportReport> {
  const known = new Set<string>(RUNTIME_OPS);
  for (const key of createReferenceRegistry().keys()) known.add(key.slice(0, key.lastIndexOf(':')));
  const unsupported = new Set<string>();
  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      const op = isDefaultDomain(n.domain) ? n.opType : `${n.domain}.${n.opType}`;
      if (!known.has(op)) unsupported.add(op);
      for (const a of n.attributes) {
        if (a.type === 'graph') visit(a.value);
        else if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
  };
  visit(model.graph);
  return { lowbit: { unsupported: [...unsupported].sort() }, onnxruntime: await onnxruntimeLoads(path) };
}

async function onnxruntimeLoads(path: string): Promise<SupportReport['onnxruntime']> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    return { available: false, loads: null };
  }
  try {
    // By path, so onnxruntime resolves external data beside the model itself.
    const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
    await session.release();
    return { available: true, loads: true };
  } catch (err) {
    return { available: true, loads: false, error: String((err as Error).message ?? err).split('\n')[0] };
  }
}
