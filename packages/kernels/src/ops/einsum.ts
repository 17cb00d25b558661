/**
 * Einsum(equation): numpy einsum over any number of operands, with "..." broadcasting, repeated labels (diagonals),
 * implicit output (labels used once, sorted, after the ellipsis dims) and explicit "->" output. Every output
 * element is sum over the non-output labels of the product of the operands' elements, accumulated in double and
 * rounded once into the output dtype. Example: "ij,jk->ik" is MatMul; "ii->" is the trace; "bij->bji" a transpose.
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrString } from './util/attrs.js';
import { stridesOf } from './util/broadcast.js';
import { kernelError } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const ELL = (k: number): string => String.fromCharCode(0x100 + k);

interface Parsed {
  readonly terms: string[][];
  readonly output: string[];
}

function parse(node: KernelNode, equation: string, xs: readonly Tensor[]): Parsed {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const raw = lhs.split(',');
  if (raw.length !== xs.length) throw kernelError(node, 'equation operands', { expected: `${raw.length} inputs`, actual: String(xs.length) });
  let ellRank = 0;
  const terms = raw.map((t, i) => {
    const parts = t.split('...');
    if (parts.length > 2) throw kernelError(node, 'equation', { expected: 'at most one "..." per operand', actual: t });
    const explicit = parts.join('').length;
    if (parts.length === 1) {
      if (explicit !== xs[i].dims.length) throw kernelError(node, `operand ${i} labels`, { inputIndex: i, expected: `${xs[i].dims.length} labels`, actual: t });
      return [...t];
    }
    const er = xs[i].dims.length - explicit;
    if (er < 0) throw kernelError(node, `operand ${i} labels`, { inputIndex: i, expected: `<= ${xs[i].dims.length} labels`, actual: t });
    ellRank = Math.max(ellRank, er);
    return [...parts[0], ...Array.from({ length: er }, (_, k) => `@${er - k}`), ...parts[1]];
  });
  // Right-align ellipsis dims: "@j" means the j-th ellipsis dim counted from the right.
  const ellLabels = Array.from({ length: ellRank }, (_, k) => ELL(k));
  const fix = (labels: string[]) => labels.map((l) => (l.startsWith('@') ? ELL(ellRank - Number(l.slice(1))) : l));
  const fixed = terms.map(fix);
  let output: string[];
  if (rhs !== undefined) {
    const parts = rhs.split('...');
    output = parts.length === 2 ? [...parts[0], ...ellLabels, ...parts[1]] : [...rhs];
  } else {
    const counts = new Map<string, number>();
    for (const t of fixed) for (const l of t) if (l.charCodeAt(0) < 0x100) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [...ellLabels, ...[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort()];
  }
  return { terms: fixed, output };
}

export const EINSUM_KERNELS: KernelVariant[] = [
  scalarKernel('Einsum', (node) => {
    const equation = attrString(node, 'equation', '');
    return (inputs, ctx) => {
      const xs = inputs.filter((t): t is Tensor => t !== null);
      const { terms, output } = parse(node, equation, xs);
      const size = new Map<string, number>();
      terms.forEach((t, i) => t.forEach((l, a) => {
        const d = xs[i].dims[a];
        const prev = size.get(l);
        if (prev === undefined || prev === 1) size.set(l, d);
        else if (d !== 1 && d !== prev) throw kernelError(node, `label "${l}" size`, { inputIndex: i, expected: String(prev), actual: String(d) });
      }));
      for (const l of output) if (!size.has(l)) throw kernelError(node, `output label "${l}"`, { expected: 'a label used by an input', actual: 'unused' });
      const summed = [...size.keys()].filter((l) => !output.includes(l));
      const labels = [...output, ...summed];
      const dims = labels.map((l) => size.get(l)!);
      // Per operand, the stride each label advances (0 when broadcast or absent; summed over repeats).
      const strides = xs.map((x, i) => {
        const st = stridesOf(x.dims);
        return labels.map((l) => terms[i].reduce((p, tl, a) => (tl === l && x.dims[a] !== 1 ? p + st[a] : p), 0));
      });
      const data = xs.map(toNumbers);
      const outDims = output.map((l) => size.get(l)!);
      const outN = outDims.reduce((p, d) => p * d, 1);
      const inner = summed.reduce((p, l) => p * size.get(l)!, 1);
      const vals = new Float64Array(outN);
      const rank = labels.length;
      const counter = new Array<number>(rank).fill(0);
      const offs = new Array<number>(xs.length).fill(0);
      const total = outN * inner;
      for (let k = 0; k < total; k++) {
        let p = 1;
        for (let i = 0; i < xs.length; i++) p *= data[i][offs[i]];
        vals[Math.floor(k / inner)] += p;
        for (let a = rank - 1; a >= 0; a--) {
          counter[a]++;
          for (let i = 0; i < xs.length; i++) offs[i] += strides[i][a];
          if (counter[a] < dims[a]) break;
          for (let i = 0; i < xs.length; i++) offs[i] -= strides[i][a] * counter[a];
          counter[a] = 0;
        }
      }
      const out = ctx.alloc(xs[0].dtype, outDims);
      writeNumbers(xs[0].dtype, out.data, vals);
      return [out];
    };
  }),
];
