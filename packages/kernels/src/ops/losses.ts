/**
 * NegativeLogLikelihoodLoss(input [N, C, d...], target [N, d...], weight [C]?) and SoftmaxCrossEntropyLoss(scores,
 * labels, weights?) -> (loss, log_prob?).
 * loss[n, d] = -input[n, t, d] * w[t] with t = target[n, d] (w = 1 without weights); a target equal to ignore_index
 * contributes loss 0 and weight 0. reduction "none" returns loss[n, d]; "sum" its sum; "mean" sum / sum of the
 * weights of non-ignored targets. SoftmaxCrossEntropyLoss applies it to log_prob = LogSoftmax(scores, axis 1) (also
 * returned as the second output). Computed in double, rounded once into the input dtype.
 * Example: NLL(input [[-1, -2]], target [1]) = 2 (mean over one sample of weight 1).
 */
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function nll(node: KernelNode, logp: ArrayLike<number>, dims: readonly number[], target: Tensor, weight: Tensor | null, reduction: string, ignore: number | undefined, dtype: Tensor['dtype'], ctx: RunContext): Tensor {
  const [N, C] = dims;
  const inner = dims.slice(2).reduce((p, d) => p * d, 1);
  const T = toNumbers(target);
  const W = weight ? toNumbers(weight) : undefined;
  const loss = new Float64Array(N * inner);
  let wsum = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < inner; k++) {
      const t = T[n * inner + k];
      if (ignore !== undefined && t === ignore) continue;
      if (!(t >= 0 && t < C)) throw kernelError(node, 'target out of range', { inputIndex: 1, expected: `in [0, ${C - 1}] or ignore_index`, actual: String(t) });
      const w = W ? W[t] : 1;
      loss[n * inner + k] = -logp[(n * C + t) * inner + k] * w;
      wsum += w;
    }
  }
  if (reduction === 'none') {
    const out = ctx.alloc(dtype, [N, ...dims.slice(2)]);
    writeNumbers(dtype, out.data, loss);
    return out;
  }
  let sum = 0;
  for (const v of loss) sum += v;
  const out = ctx.alloc(dtype, []);
  writeNumbers(dtype, out.data, [reduction === 'sum' ? sum : sum / wsum]);
  return out;
}

function lossAttrs(node: KernelNode): { reduction: string; ignore: number | undefined } {
  const reduction = attrString(node, 'reduction', 'mean');
  if (!['none', 'sum', 'mean'].includes(reduction)) throw kernelError(node, 'attribute "reduction"', { expected: 'none|sum|mean', actual: reduction });
  return { reduction, ignore: node.attrs.has('ignore_index') ? attrInt(node, 'ignore_index', 0) : undefined };
}

export const LOSS_KERNELS: KernelVariant[] = [
  scalarKernel('NegativeLogLikelihoodLoss', (node) => {
    const { reduction, ignore } = lossAttrs(node);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      return [nll(node, toNumbers(x), x.dims, need(node, inputs, 1), inputs[2] ?? null, reduction, ignore, x.dtype, ctx)];
    };
  }),
  scalarKernel('SoftmaxCrossEntropyLoss', (node) => {
    const { reduction, ignore } = lossAttrs(node);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const [N, C] = x.dims;
      const inner = x.dims.slice(2).reduce((p, d) => p * d, 1);
      const X = toNumbers(x);
      const logp = new Float64Array(X.length);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < inner; k++) {
          let m = -Infinity;
          for (let c = 0; c < C; c++) m = Math.max(m, X[(n * C + c) * inner + k]);
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(X[(n * C + c) * inner + k] - m);
          const ls = Math.log(s);
          for (let c = 0; c < C; c++) logp[(n * C + c) * inner + k] = X[(n * C + c) * inner + k] - m - ls;
        }
      }
      const loss = nll(node, logp, x.dims, need(node, inputs, 1), inputs[2] ?? null, reduction, ignore, x.dtype, ctx);
      if (node.outputCount < 2) return [loss];
      const lp = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, lp.data, logp);
      return [loss, lp];
    };
  }),
];
