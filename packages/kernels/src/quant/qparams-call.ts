/** Calls into @lowbit/qparams from a kernel: a QParamsError (bad scale, zero point, layout) becomes a KernelError. */
import type { KernelNode } from '../contract.js';
import { KernelError } from '../errors.js';

export function viaQParams<T>(node: Pick<KernelNode, 'name' | 'opType'>, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && (e as { code?: unknown }).code !== undefined && !(e instanceof KernelError)) {
      throw new KernelError(`node "${node.name}" (${node.opType}): ${e.message}`, { node: node.name, opType: node.opType }, e);
    }
    throw e;
  }
}
