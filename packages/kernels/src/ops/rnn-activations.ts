/**
 * The activation functions RNN/GRU/LSTM accept by name (ONNX "activations" attribute), with their alpha/beta:
 * Relu, Tanh, Sigmoid, Affine(a*x+b), LeakyRelu(a=0.01), ThresholdedRelu(a=1), ScaledTanh(a*tanh(b*x)),
 * HardSigmoid(clamp(a*x+b, 0, 1), a=0.2, b=0.5), Elu(a=1), Softsign, Softplus. Names match case-insensitively.
 */
import type { KernelNode } from '../contract.js';
import { attrFloats, attrStrings } from './util/attrs.js';
import { kernelError } from './util/fail.js';

export type Act = (x: number) => number;

const DEFAULTS: Record<string, [number, number]> = {
  affine: [1, 0], leakyrelu: [0.01, 0], thresholdedrelu: [1, 0], scaledtanh: [1, 1], hardsigmoid: [0.2, 0.5], elu: [1, 0],
};
const USES_ALPHA = new Set(Object.keys(DEFAULTS));
const USES_BETA = new Set(['affine', 'scaledtanh', 'hardsigmoid']);

function make(name: string, a: number, b: number): Act | undefined {
  switch (name) {
    case 'relu': return (x) => (x > 0 ? x : 0);
    case 'tanh': return Math.tanh;
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'affine': return (x) => a * x + b;
    case 'leakyrelu': return (x) => (x < 0 ? a * x : x);
    case 'thresholdedrelu': return (x) => (x > a ? x : 0);
    case 'scaledtanh': return (x) => a * Math.tanh(b * x);
    case 'hardsigmoid': return (x) => Math.max(0, Math.min(1, a * x + b));
    case 'elu': return (x) => (x < 0 ? a * (Math.exp(x) - 1) : x);
    case 'softsign': return (x) => x / (1 + Math.abs(x));
    case 'softplus': return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    default: return undefined;
  }
}

/**
 * `count` activations per direction (`dirs` directions) from the node's attributes, defaulting to `defaults`.
 * alpha/beta lists are consumed in order by the activations that take them.
 */
export function rnnActivations(node: KernelNode, defaults: readonly string[], dirs: number): Act[][] {
  const names = attrStrings(node, 'activations') ?? [];
  const alphas = attrFloats(node, 'activation_alpha') ?? [];
  const betas = attrFloats(node, 'activation_beta') ?? [];
  const count = defaults.length;
  const all = names.length === 0 ? Array.from({ length: dirs }, () => defaults).flat() : names;
  if (all.length !== count * dirs && !(all.length === count && dirs === 2)) {
    throw kernelError(node, 'attribute "activations"', { expected: `${count * dirs} names`, actual: String(all.length) });
  }
  let ia = 0;
  let ib = 0;
  const acts = all.map((raw) => {
    const n = raw.toLowerCase();
    const [da, db] = DEFAULTS[n] ?? [0, 0];
    const a = USES_ALPHA.has(n) && ia < alphas.length ? alphas[ia++] : da;
    const b = USES_BETA.has(n) && ib < betas.length ? betas[ib++] : db;
    const f = make(n, a, b);
    if (!f) throw kernelError(node, 'attribute "activations"', { expected: 'a supported activation name', actual: raw });
    return f;
  });
  return Array.from({ length: dirs }, (_, d) => (acts.length === count ? acts : acts.slice(d * count, (d + 1) * count)));
}
