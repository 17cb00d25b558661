/**
 * String ops.
 * - StringSplit(delimiter, maxsplit): Python str.split per element — with an empty or absent delimiter, runs of
 *   whitespace separate and leading/trailing whitespace is dropped; maxsplit limits the number of splits (the rest
 *   stays whole). Outputs Y [..., max parts] padded with "" and Z (int64, the number of parts).
 * - RegexFullMatch(pattern): true where the whole string matches the (RE2-syntax) pattern, run as a JS RegExp in
 *   unicode mode anchored at both ends; a pattern JS cannot compile is a KernelError at creation.
 * - StringNormalizer(case_change_action NONE|LOWER|UPPER, is_case_sensitive, stopwords): strips accents of
 *   non-ASCII strings (NFKD without combining marks), removes stopwords (before case change when case-sensitive,
 *   after it otherwise) and changes case; empty results are dropped, an all-empty result is [""] (or [[""]]).
 * - StringConcat: element-wise concatenation of two broadcast string tensors.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt, attrString, attrStrings } from './util/attrs.js';
import { broadcastIndex, broadcastShapes } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { scalarKernel } from './util/variant.js';

function pySplit(s: string, sep: string | undefined, max: number): string[] {
  if (sep !== undefined) {
    const parts = s.split(sep);
    if (max < 0 || parts.length <= max + 1) return parts;
    return [...parts.slice(0, max), parts.slice(max).join(sep)];
  }
  const out: string[] = [];
  let i = 0;
  const ws = (c: string) => /\s/u.test(c);
  while (i < s.length) {
    while (i < s.length && ws(s[i])) i++;
    if (i >= s.length) break;
    if (max >= 0 && out.length === max) {
      out.push(s.slice(i));
      break;
    }
    let j = i;
    while (j < s.length && !ws(s[j])) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

export const STRING_KERNELS: KernelVariant[] = [
  scalarKernel('StringSplit', (node) => {
    const delim = attrString(node, 'delimiter', '');
    const max = node.attrs.has('maxsplit') ? attrInt(node, 'maxsplit', -1) : -1;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dtype !== 'string') throw kernelError(node, 'dtype', { inputIndex: 0, expected: 'string', actual: x.dtype });
      const parts = (x.data as string[]).map((s) => pySplit(s, delim === '' ? undefined : delim, max));
      const width = parts.reduce((p, a) => Math.max(p, a.length), 0);
      const y = ctx.alloc('string', [...x.dims, width]);
      const z = ctx.alloc('int64', x.dims);
      parts.forEach((a, i) => {
        for (let j = 0; j < width; j++) y.data[i * width + j] = a[j] ?? '';
        z.data[i] = BigInt(a.length);
      });
      return [y, z];
    };
  }),
  scalarKernel('RegexFullMatch', (node) => {
    const pattern = attrString(node, 'pattern', '');
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${pattern})$`, 'u');
    } catch (e) {
      throw kernelError(node, 'attribute "pattern"', { expected: 'a regular expression', actual: `${pattern} (${(e as Error).message})` });
    }
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const out = ctx.alloc('bool', x.dims);
      (x.data as string[]).forEach((s, i) => { out.data[i] = re.test(s) ? 1 : 0; });
      return [out];
    };
  }),
  scalarKernel('StringNormalizer', (node) => {
    const action = attrString(node, 'case_change_action', 'NONE');
    if (!['NONE', 'LOWER', 'UPPER'].includes(action)) throw kernelError(node, 'attribute "case_change_action"', { expected: 'NONE|LOWER|UPPER', actual: action });
    const sensitive = attrInt(node, 'is_case_sensitive', 0) !== 0;
    const raw = attrStrings(node, 'stopwords') ?? [];
    const change = (s: string) => (action === 'LOWER' ? s.toLowerCase() : action === 'UPPER' ? s.toUpperCase() : s);
    const stops = new Set(sensitive ? raw : raw.map(change));
    const dropStops = (s: string) => s.split(' ').filter((w) => !stops.has(w)).join(' ');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length > 2 || (x.dims.length === 2 && x.dims[0] !== 1)) {
        throw kernelError(node, 'shape', { inputIndex: 0, expected: '[C] or [1, C]', actual: `[${x.dims}]` });
      }
      let vals = (x.data as string[]).map((s) => {
        let t = /^[\x00-\x7f]*$/.test(s) ? s : s.normalize('NFKD').replace(/\p{M}/gu, '');
        if (sensitive && stops.size > 0) t = dropStops(t);
        t = change(t);
        if (!sensitive && stops.size > 0) t = dropStops(t);
        return t;
      });
      vals = vals.filter((s) => s.length > 0);
      if (vals.length === 0) vals = [''];
      const out = ctx.alloc('string', x.dims.length === 2 ? [1, vals.length] : [vals.length]);
      vals.forEach((s, i) => { out.data[i] = s; });
      return [out];
    };
  }),
  scalarKernel('StringConcat', (node) => (inputs, ctx) => {
    const a = need(node, inputs, 0);
    const b = need(node, inputs, 1);
    for (const [i, t] of [a, b].entries()) {
      if (t.dtype !== 'string') throw kernelError(node, 'dtype', { inputIndex: i, expected: 'string', actual: t.dtype });
    }
    const dims = broadcastShapes(node, [a.dims, b.dims]);
    const out = ctx.alloc('string', dims);
    const ia = broadcastIndex(dims, a.dims);
    const ib = broadcastIndex(dims, b.dims);
    const A = a.data as string[];
    const B = b.data as string[];
    for (let i = 0; i < out.data.length; i++) out.data[i] = A[ia ? ia[i] : i] + B[ib ? ib[i] : i];
    return [out];
  }),
];
