import type { KernelNode } from '../../contract.js';
import { KernelError } from '../../errors.js';
import type { DType } from '../../tensor.js';

export interface FailDetail {
  readonly inputIndex?: number;
  readonly expected?: string;
  readonly actual?: string;
}

/**
 * A KernelError that says where: `node "n" (Op): input[1]: <what>: expected <e>, got <a>`.
 */
export function kernelError(node: Pick<KernelNode, 'name' | 'opType'>, what: string, detail: FailDetail = {}): KernelError {
  const where = detail.inputIndex === undefined ? '' : `input[${detail.inputIndex}]: `;
  const ea = detail.expected !== undefined || detail.actual !== undefined
    ? `: expected ${detail.expected ?? '?'}, got ${detail.actual ?? '?'}`
    : '';
  return new KernelError(`node "${node.name}" (${node.opType}): ${where}${what}${ea}`, {
    node: node.name, opType: node.opType, inputIndex: detail.inputIndex, expected: detail.expected, actual: detail.actual,
  });
}

/** The input at `i`, or a KernelError when a required input is missing. */
export function need<T>(node: Pick<KernelNode, 'name' | 'opType'>, inputs: readonly (T | null | undefined)[], i: number): T {
  const t = inputs[i];
  if (t === null || t === undefined) throw kernelError(node, 'required input is missing', { inputIndex: i, expected: 'a tensor', actual: 'nothing' });
  return t;
}

/**
 * Checks at kernel creation that input `i` (when its type is known) is one of `allowed`; a KernelError otherwise, so
 * an unsupported dtype is reported when the session is made rather than halfway through a run.
 */
export function expectInputType(
  node: Pick<KernelNode, 'name' | 'opType' | 'inputTypes'>,
  i: number,
  allowed: (dtype: DType) => boolean,
  expected: string,
): void {
  const t = node.inputTypes[i];
  if (t && !allowed(t)) throw kernelError(node, 'dtype', { inputIndex: i, expected, actual: t });
}

/** Numeric (non-string, non-bool) inputs only. */
export const numericType = (d: DType): boolean => d !== 'string' && d !== 'bool';
