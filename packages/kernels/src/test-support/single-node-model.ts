/**
 * Builds a single-node ONNX model (ModelProto bytes) for comparing a kernel with another runtime in tests.
 * Inputs and outputs are declared with their element type only (no shapes).
 */
import type { AttrValue } from '../contract.js';
import { Tensor, type DType } from '../tensor.js';
import { DTYPE_OF_ONNX } from '../ops/util/onnx-dtype.js';
import { ProtoWriter } from './proto-writer.js';

export interface SingleNodeSpec {
  readonly opType: string;
  readonly opset: number;
  /** Input names and dtypes in node order; null for an omitted optional input. */
  readonly inputs: readonly ({ readonly name: string; readonly dtype: DType } | null)[];
  readonly outputs: readonly { readonly name: string; readonly dtype: DType }[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  /** Names of attributes whose numbers are floats even when integral (e.g. clip: 1). */
  readonly floatAttrs?: readonly string[];
}

const CODE_OF: ReadonlyMap<DType, number> = new Map(Object.entries(DTYPE_OF_ONNX).map(([k, v]) => [v, Number(k)]));

export function onnxCode(dtype: DType): number {
  const c = CODE_OF.get(dtype);
  if (c === undefined) throw new TypeError(`no ONNX code for ${dtype}`);
  return c;
}

function attr(name: string, v: AttrValue, asFloat: boolean): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (asFloat || (typeof v === 'number' && !Number.isInteger(v))) return w.float(2, Number(v)).int(20, 1);
    return w.int(3, v).int(20, 2);
  }
  if (typeof v === 'string') return w.string(4, v).int(20, 3);
  if (v instanceof Tensor) throw new TypeError('tensor attributes are not supported by the test model writer');
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      for (const s of v as string[]) w.string(9, s);
      return w.int(20, 8);
    }
    if (asFloat || (v as number[]).some((x) => typeof x === 'number' && !Number.isInteger(x))) {
      for (const x of v as number[]) w.float(7, x);
      return w.int(20, 6);
    }
    for (const x of v as (number | bigint)[]) w.int(8, x);
    return w.int(20, 7);
  }
  throw new TypeError(`attribute ${name}: unsupported value`);
}

function valueInfo(name: string, dtype: DType): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, onnxCode(dtype));
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

export function singleNodeModel(spec: SingleNodeSpec): Uint8Array {
  const node = new ProtoWriter();
  for (const i of spec.inputs) node.string(1, i?.name ?? '');
  for (const o of spec.outputs) node.string(2, o.name);
  node.string(3, 'node').string(4, spec.opType);
  for (const [k, v] of Object.entries(spec.attrs ?? {})) node.message(5, attr(k, v, spec.floatAttrs?.includes(k) ?? false));
  const graph = new ProtoWriter().message(1, node).string(2, 'g');
  for (const i of spec.inputs) if (i) graph.message(11, valueInfo(i.name, i.dtype));
  for (const o of spec.outputs) graph.message(12, valueInfo(o.name, o.dtype));
  return new ProtoWriter()
    .int(1, 8)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, spec.opset))
    .finish();
}
