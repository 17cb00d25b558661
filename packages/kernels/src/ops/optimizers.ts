/**
 * ai.onnx.preview.training optimizers, one step each, for n tensors at once (inputs R, T, then n X, n G, and the
 * state tensors; outputs the new X then the new state):
 * - Adagrad(decay_factor, epsilon, norm_coefficient): r = R / (1 + T decay); g = norm X + G; H' = H + g^2;
 *   X' = X - r g / (sqrt(H') + epsilon).
 * - Momentum(alpha, beta, mode standard|nesterov, norm_coefficient): g = norm X + G; V' = alpha V + (T > 0 ? beta : 1) g;
 *   X' = X - R V' (standard) or X - R (g + alpha V') (nesterov).
 * - Adam(alpha 0.9, beta 0.999, epsilon, norm_coefficient, norm_coefficient_post): g = norm X + G;
 *   V' = alpha V + (1 - alpha) g; H' = beta H + (1 - beta) g^2; r = T > 0 ? R sqrt(1 - beta^T) / (1 - alpha^T) : R;
 *   X' = (1 - norm_post) (X - r V' / (sqrt(H') + epsilon)).
 * Computed in double, rounded once per output.
 */
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrFloat, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const DOMAIN = 'ai.onnx.preview.training';

type Step = (x: number, g: number, state: number[]) => [number, number[]];

/** Runs `step` element-wise over n (X, G, state...) groups; `states` state tensors per X. */
function optimizer(node: KernelNode, inputs: readonly (Tensor | null)[], ctx: RunContext, states: number, make: (R: number, T: number) => Step): Tensor[] {
  const R = toNumbers(need(node, inputs, 0))[0];
  const T = toNumbers(need(node, inputs, 1))[0];
  const rest = inputs.slice(2);
  const n = rest.length / (2 + states);
  if (!Number.isInteger(n) || n < 1) throw kernelError(node, 'inputs', { expected: `R, T and ${2 + states} tensors per optimized tensor`, actual: `${inputs.length} inputs` });
  const step = make(R, T);
  const xs: Tensor[] = [];
  const st: Tensor[][] = Array.from({ length: states }, () => []);
  for (let i = 0; i < n; i++) {
    const x = need(node, rest, i);
    const X = toNumbers(x);
    const G = toNumbers(need(node, rest, n + i));
    const S = Array.from({ length: states }, (_, s) => toNumbers(need(node, rest, (2 + s) * n + i)));
    const xo = new Float64Array(X.length);
    const so = S.map(() => new Float64Array(X.length));
    for (let e = 0; e < X.length; e++) {
      const [nx, ns] = step(X[e], G[e], S.map((a) => a[e]));
      xo[e] = nx;
      ns.forEach((v, s) => { so[s][e] = v; });
    }
    const out = ctx.alloc(x.dtype, x.dims);
    writeNumbers(x.dtype, out.data, xo);
    xs.push(out);
    so.forEach((vals, s) => {
      const t = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, t.data, vals);
      st[s].push(t);
    });
  }
  return [...xs, ...st.flat()];
}

export const OPTIMIZER_KERNELS: KernelVariant[] = [
  scalarKernel('Adagrad', (node) => {
    const decay = attrFloat(node, 'decay_factor', 0);
    const eps = attrFloat(node, 'epsilon', 0);
    const norm = attrFloat(node, 'norm_coefficient', 0);
    return (inputs, ctx) => optimizer(node, inputs, ctx, 1, (R, T) => {
      const r = R / (1 + T * decay);
      return (x, g0, [h]) => {
        const g = norm * x + g0;
        const h2 = h + g * g;
        return [x - (r * g) / (Math.sqrt(h2) + eps), [h2]];
      };
    });
  }, DOMAIN),
  scalarKernel('Momentum', (node) => {
    const alpha = attrFloat(node, 'alpha', 0);
    const beta = attrFloat(node, 'beta', 0);
    const norm = attrFloat(node, 'norm_coefficient', 0);
    const mode = attrString(node, 'mode', 'standard');
    if (mode !== 'standard' && mode !== 'nesterov') throw kernelError(node, 'attribute "mode"', { expected: 'standard or nesterov', actual: mode });
    return (inputs, ctx) => optimizer(node, inputs, ctx, 1, (R, T) => (x, g0, [v]) => {
      const g = norm * x + g0;
      const v2 = alpha * v + (T > 0 ? beta : 1) * g;
      return [mode === 'standard' ? x - R * v2 : x - R * (g + alpha * v2), [v2]];
    });
  }, DOMAIN),
  scalarKernel('Adam', (node) => {
    const alpha = attrFloat(node, 'alpha', 0.9);
    const beta = attrFloat(node, 'beta', 0.999);
    const eps = attrFloat(node, 'epsilon', 0);
    const norm = attrFloat(node, 'norm_coefficient', 0);
    const post = attrFloat(node, 'norm_coefficient_post', 0);
    return (inputs, ctx) => optimizer(node, inputs, ctx, 2, (R, T) => {
      const r = T > 0 ? (R * Math.sqrt(1 - beta ** T)) / (1 - alpha ** T) : R;
      return (x, g0, [v, h]) => {
        const g = norm * x + g0;
        const v2 = alpha * v + (1 - alpha) * g;
        const h2 = beta * h + (1 - beta) * g * g;
        return [(1 - post) * (x - (r * v2) / (Math.sqrt(h2) + eps)), [v2, h2]];
      };
    });
  }, DOMAIN),
];
