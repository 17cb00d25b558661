/**
 * Static checks of `session.run` feeds against the graph's declared inputs, before anything runs: every name is an
 * input, every required input is fed, and each tensor's dtype, rank and fixed dimensions match. Symbolic (dim_param)
 * and unknown dimensions accept any size.
 * Also: onnxruntime-style feeds adopted as runtime tensors, and whether a result is a feed passed straight through.
 */
import { DTYPE_SHORT, Tensor, type DType } from '@lowbit/kernels';
import { FeedError } from './errors.js';
import { dtypeOf } from './ir-compat.js';
import type { Plan } from './plan-contract.js';
import { isTensor, OptionalNone, TensorSequence, type Value } from './values.js';

/** A tensor from onnxruntime (or shaped like one): dtype in `type`, e.g. an `ort.Tensor` on the CPU. */
export interface ForeignTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

export function checkFeeds(plan: Plan, feeds: Readonly<Record<string, unknown>>): void {
  feedChecker(plan)(feeds);
}

/** `checkFeeds` for one plan, with the lookups it needs built once (a session checks every run's feeds with it). */
export function feedChecker(plan: Plan): (feeds: Readonly<Record<string, unknown>>) => void {
  const graphInputs = new Map(plan.graph.inputs.map((v) => [v.name, v]));
  const required = new Set(plan.inputs.map((v) => v.name));
  const inputNames = new Set(plan.graph.inputs.map((v) => v.name));
  const withDefault = new Set(plan.graph.initializers.map((t) => t.name).filter((n) => inputNames.has(n)));
  return (feeds) => check(plan, graphInputs, required, withDefault, feeds);
}

function check(plan: Plan, graphInputs: ReadonlyMap<string, unknown>, required: ReadonlySet<string>, withDefault: ReadonlySet<string>, feeds: Readonly<Record<string, unknown>>): void {
  for (const name in feeds) {
    if (!Object.hasOwn(feeds, name)) continue;
    if (!graphInputs.has(name)) {
      throw new FeedError({ input: name, expected: `one of ${[...required].join(', ')}`, actual: name }, `is not an input of the model (inputs: ${[...required].map((n) => `"${n}"`).join(', ')})`);
    }
  }
  for (const v of plan.graph.inputs) {
    const t = feeds[v.name];
    if (t === undefined) {
      if (withDefault.has(v.name)) continue;
      throw new FeedError({ input: v.name, expected: 'a Tensor', actual: 'nothing' }, 'is missing from the feeds');
    }
    const type = v.type;
    if (type?.kind === 'sequence') {
      if (!(t instanceof TensorSequence)) throw new FeedError({ input: v.name, expected: 'a TensorSequence', actual: describe(t) }, `must be a TensorSequence, got ${describe(t)}`);
      continue;
    }
    if (type?.kind === 'optional') {
      if (!(t instanceof Tensor || t instanceof TensorSequence || t instanceof OptionalNone)) {
        throw new FeedError({ input: v.name, expected: 'a Tensor, TensorSequence or OptionalNone', actual: describe(t) }, `must be an optional value, got ${describe(t)}`);
      }
      continue;
    }
    if (!(t instanceof Tensor)) {
      throw new FeedError({ input: v.name, expected: 'a Tensor', actual: describe(t) }, `must be a Tensor (from @lowbit/runtime), got ${describe(t)}`);
    }
    if (type?.kind !== 'tensor') continue;
    const want = dtypeOf(type.elemType);
    if (want && t.dtype !== want) {
      throw new FeedError({ input: v.name, expected: want, actual: t.dtype }, `dtype ${t.dtype}, expected ${want}`);
    }
    const shape = type.shape;
    if (!shape) continue;
    if (t.dims.length !== shape.length) {
      throw new FeedError({ input: v.name, expected: `rank ${shape.length} [${shape.map(showDim).join(', ')}]`, actual: `rank ${t.dims.length} [${t.dims.join(', ')}]` },
        `rank ${t.dims.length} (dims [${t.dims.join(', ')}]), expected rank ${shape.length} [${shape.map(showDim).join(', ')}]`);
    }
    for (let axis = 0; axis < shape.length; axis++) {
      const d = shape[axis];
      if (typeof d === 'number' && d !== t.dims[axis]) {
        throw new FeedError({ input: v.name, expected: String(d), actual: String(t.dims[axis]), axis },
          `dims [${t.dims.join(', ')}], expected [${shape.map(showDim).join(', ')}] (axis ${axis} is ${t.dims[axis]}, expected ${d})`);
      }
    }
  }
}

function showDim(d: number | string | null): string {
  return d === null ? '?' : String(d);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/** True when `data` is the storage of one of the feeds (a feed passed straight through to a result). */
export function isFeedData(feeds: Readonly<Record<string, Value>>, data: Tensor['data']): boolean {
  for (const name in feeds) {
    if (!Object.hasOwn(feeds, name)) continue;
    const f = feeds[name];
    if (isTensor(f) && f.data === data) return true;
  }
  return false;
}

/**
 * Feeds given as onnxruntime-style tensors (`{ type, data, dims }`, e.g. an `ort.Tensor` on the CPU) become runtime
 * Tensors sharing the same data; everything else is left for the feed checks to judge.
 */
export function adoptForeignTensors(feeds: Readonly<Record<string, Value | ForeignTensor>>): Readonly<Record<string, Value>> {
  let out: Record<string, Value | ForeignTensor> | undefined;
  for (const name in feeds) {
    if (!Object.hasOwn(feeds, name)) continue;
    const v = feeds[name];
    if (v instanceof Tensor || v instanceof TensorSequence || v instanceof OptionalNone || typeof v !== 'object' || v === null) continue;
    const o = v as { type?: unknown; data?: unknown; dims?: unknown };
    if (typeof o.type !== 'string' || !Array.isArray(o.dims) || !(o.type in DTYPE_SHORT)) continue;
    try {
      const t = new Tensor(o.type as DType, o.data as never, o.dims as number[]);
      out ??= { ...feeds };
      out[name] = t;
    } catch {
      // not convertible: the feed check reports it with the input's name
    }
  }
  return (out ?? feeds) as Readonly<Record<string, Value>>;
}
