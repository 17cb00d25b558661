/** Options shared by the quantizing passes: which nodes, which tensors, which types. */
import { isDefaultDomain } from '@lowbit/onnx-ir';
import type { Node } from '@lowbit/onnx-ir';
import type { IntQuantDType, Scheme } from '@lowbit/qparams';

/** A calibrated float range of one tensor. */
export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

/** Per-tensor override (like onnxruntime's TensorQuantOverrides). */
export interface TensorOverride {
  readonly dtype?: IntQuantDType;
  readonly scheme?: Scheme;
  /** Weights: 'per-tensor' or 'per-channel'. */
  readonly granularity?: 'per-tensor' | 'per-channel';
  readonly axis?: number;
  /** Explicit parameters: both must be given; they replace the computed ones. */
  readonly scale?: number;
  readonly zeroPoint?: number;
  /** Replace the calibrated range (parameters then still come from qparams). */
  readonly range?: TensorRange;
}

/** Per-node override (like Neural Compressor's set_local). */
export interface NodeOverride {
  readonly activationType?: IntQuantDType;
  readonly weightType?: IntQuantDType;
  readonly perChannel?: boolean;
  readonly activationScheme?: Scheme;
  readonly weightScheme?: Scheme;
}

/** Node selection: op types, then include (when given) and exclude by name or predicate. */
export interface NodeSelection {
  readonly opTypes?: readonly string[];
  readonly includeNodes?: readonly string[] | ((n: Node) => boolean);
  readonly excludeNodes?: readonly string[] | ((n: Node) => boolean);
}

export function matches(sel: readonly string[] | ((n: Node) => boolean), n: Node): boolean {
  return typeof sel === 'function' ? sel(n) : sel.includes(n.name);
}

/** True when `n` is selected by `sel` among `defaultOps`. */
export function isSelected(sel: NodeSelection, n: Node, defaultOps: readonly string[]): boolean {
  const ops = sel.opTypes ?? defaultOps;
  if (!ops.includes(n.opType)) return false;
  if (!isDefaultDomain(n.domain)) return false;
  if (sel.includeNodes !== undefined && !matches(sel.includeNodes, n)) return false;
  if (sel.excludeNodes !== undefined && matches(sel.excludeNodes, n)) return false;
  return true;
}

export function lookupRange(ranges: ReadonlyMap<string, TensorRange> | Readonly<Record<string, TensorRange>>, name: string): TensorRange | undefined {
  if (ranges instanceof Map) return ranges.get(name);
  const r = (ranges as Readonly<Record<string, TensorRange>>)[name];
  return Object.prototype.hasOwnProperty.call(ranges, name) ? r : undefined;
}
