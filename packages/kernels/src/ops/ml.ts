/**
 * ai.onnx.ml ops: Binarizer (x > threshold ? 1 : 0 in the input dtype, threshold 0), ArrayFeatureExtractor
 * (X[..., Y[i]] along the last axis; a 1-D X gives [1, len(Y)]), LabelEncoder (maps keys to values given as the
 * keys_ and values_ int64s/floats/strings/tensor attributes; unknown keys give default_int64 -1, default_float -0.0,
 * default_string "_Unused" or default_tensor).
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrFloat, attrFloats, attrInt, attrInts, attrString, attrStrings, attrTensor } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const ML = 'ai.onnx.ml';

/** A key/value list from `<prefix>_int64s|floats|strings|tensor`, with its dtype. */
function mlList(node: KernelNode, prefix: string): { dtype: DType; items: unknown[] } | undefined {
  const ints = attrInts(node, `${prefix}_int64s`);
  if (ints) return { dtype: 'int64', items: ints.map((v) => BigInt(v)) };
  const floats = attrFloats(node, `${prefix}_floats`);
  if (floats) return { dtype: 'float32', items: floats.map(Math.fround) };
  const strs = attrStrings(node, `${prefix}_strings`);
  if (strs) return { dtype: 'string', items: strs };
  const t = attrTensor(node, `${prefix}_tensor`);
  if (t) return { dtype: t.dtype, items: Array.from(elems(t) as ArrayLike<unknown>) };
  return undefined;
}

const keyOf = (v: unknown): string => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : `${typeof v}:${String(v)}`);

export const ML_KERNELS: KernelVariant[] = [
  scalarKernel('Binarizer', (node) => {
    const th = attrFloat(node, 'threshold', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, Array.from(toNumbers(x), (v) => (v > th ? 1 : 0)));
      return [out];
    };
  }, ML),
  scalarKernel('ArrayFeatureExtractor', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const idx = toNumbers(need(node, inputs, 1));
    const last = x.dims[x.dims.length - 1];
    const outer = x.data.length / Math.max(last, 1);
    const dims = x.dims.length === 1 ? [1, idx.length] : [...x.dims.slice(0, -1), idx.length];
    const out = ctx.alloc(x.dtype, dims);
    const X = elems(x);
    const O = elems(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < idx.length; i++) {
        if (!(idx[i] >= 0 && idx[i] < last)) throw kernelError(node, 'index out of range', { inputIndex: 1, expected: `in [0, ${last - 1}]`, actual: String(idx[i]) });
        O[o * idx.length + i] = X[o * last + idx[i]];
      }
    }
    return [out];
  }, ML),
  scalarKernel('LabelEncoder', (node) => {
    const keys = mlList(node, 'keys');
    const values = mlList(node, 'values');
    if (!keys || !values || keys.items.length !== values.items.length) {
      throw kernelError(node, 'keys/values attributes', { expected: 'two lists of equal length', actual: `${keys?.items.length ?? 0} keys, ${values?.items.length ?? 0} values` });
    }
    const table = new Map(keys.items.map((k, i) => [keyOf(k), values.items[i]]));
    const dt = attrTensor(node, 'default_tensor');
    const dflt: unknown = dt ? elems(dt)[0]
      : values.dtype === 'int64' ? BigInt(attrInt(node, 'default_int64', -1))
        : values.dtype === 'string' ? attrString(node, 'default_string', '_Unused')
          : Math.fround(attrFloat(node, 'default_float', -0));
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const out = ctx.alloc(values.dtype, x.dims);
      const X = elems(x);
      const O = elems(out);
      for (let i = 0; i < X.length; i++) {
        const v = X[i];
        const k = keyOf(typeof v === 'number' && x.dtype === 'float32' ? Math.fround(v) : v);
        O[i] = table.has(k) ? table.get(k) : dflt;
      }
      return [out];
    };
  }, ML),
];

