/**
 * Activation functions, element-wise, computed in double and rounded once into the output dtype:
 * - Relu max(0,x); LeakyRelu x<0 ? alpha*x : x (alpha 0.01); PRelu x<0 ? slope*x : x (slope broadcasts to x;
 *   before opset 7 a 1-D slope of length C is per channel);
 * - Elu x<0 ? alpha*(e^x-1) : x (alpha 1); Celu max(0,x) + min(0, alpha*(e^(x/alpha)-1)) (alpha 1);
 * - Selu gamma*(x<=0 ? alpha*e^x - alpha : x) (alpha 1.67326319217681884765625, gamma 1.05070102214813232421875);
 * - HardSigmoid max(0, min(1, alpha*x+beta)) (alpha 0.2, beta 0.5); HardSwish x*max(0, min(1, x/6+1/2));
 * - ThresholdedRelu x>alpha ? x : 0 (alpha 1); Sigmoid 1/(1+e^-x); Softplus ln(1+e^x) (stable form);
 * - Softsign x/(1+|x|); Mish x*tanh(softplus(x)); Gelu 0.5x(1+erf(x/sqrt2)), or with approximate="tanh"
 *   0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))).
 * - Clip min(max(x, lo), hi); lo/hi are attributes before opset 11 and optional inputs from 11 on. NaN stays NaN.
 * - Shrink x < -lambd ? x + bias : x > lambd ? x - bias : 0 (lambd 0.5, bias 0); Swish x*sigmoid(alpha*x) (alpha 1);
 *   SwiGLU(a, b) = a*sigmoid(alpha*a)*b (alpha 1, a and b broadcast).
 * Example: Elu(-1, alpha=2) = 2*(e^-1 - 1) = -1.2642411 (float32).
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import { attrFloat, attrString } from './util/attrs.js';
import { binaryMap, unaryMap } from './util/elementwise.js';
import { erf } from './util/erf.js';
import { expectInputType, kernelError, need } from './util/fail.js';
import { isBig, isFloat, toNumbers } from './util/values.js';
import { scalarKernel, unaryKernel } from './util/variant.js';

function act(opType: string, make: (node: KernelNode) => (x: number) => number): KernelVariant {
  return scalarKernel(opType, (node) => {
    expectInputType(node, 0, isFloat, 'a floating-point type');
    const f = make(node);
    return (inputs, ctx) => [unaryMap(need(node, inputs, 0), ctx, f)];
  });
}

const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

export const ACTIVATION_KERNELS: KernelVariant[] = [
  unaryKernel('Relu', (x) => (x > 0 ? x : x === x ? 0 : x), (x) => (x > 0n ? x : 0n)),
  act('LeakyRelu', (n) => {
    const alpha = attrFloat(n, 'alpha', 0.01);
    return (x) => (x < 0 ? alpha * x : x);
  }),
  act('Elu', (n) => {
    const alpha = attrFloat(n, 'alpha', 1);
    return (x) => (x < 0 ? alpha * (Math.exp(x) - 1) : x);
  }),
  act('Celu', (n) => {
    const alpha = attrFloat(n, 'alpha', 1);
    return (x) => Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
  }),
  act('Selu', (n) => {
    const alpha = attrFloat(n, 'alpha', 1.67326319217681884765625);
    const gamma = attrFloat(n, 'gamma', 1.05070102214813232421875);
    return (x) => gamma * (x <= 0 ? alpha * Math.exp(x) - alpha : x);
  }),
  act('HardSigmoid', (n) => {
    const alpha = attrFloat(n, 'alpha', 0.2);
    const beta = attrFloat(n, 'beta', 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  }),
  act('HardSwish', () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  act('ThresholdedRelu', (n) => {
    const alpha = attrFloat(n, 'alpha', 1);
    return (x) => (x > alpha ? x : 0);
  }),
  act('Sigmoid', () => (x) => 1 / (1 + Math.exp(-x))),
  act('Softplus', () => softplus),
  act('Softsign', () => (x) => x / (1 + Math.abs(x))),
  act('Mish', () => (x) => x * Math.tanh(softplus(x))),
  act('Gelu', (n) => {
    const approx = attrString(n, 'approximate', 'none');
    if (approx === 'tanh') {
      const k = Math.sqrt(2 / Math.PI);
      return (x) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x)));
    }
    if (approx !== 'none') throw kernelError(n, 'attribute "approximate"', { expected: '"none" or "tanh"', actual: `"${approx}"` });
    return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  }),
  scalarKernel('PRelu', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    let slope = need(node, inputs, 1);
    // Opset < 7 PRelu: a 1-D slope of length C applies per channel (dim 1), not numpy-style to the last dim.
    if (node.opset < 7 && slope.dims.length === 1 && x.dims.length >= 2 && slope.dims[0] === x.dims[1] && slope.dims[0] !== 1) {
      slope = slope.reshape([slope.dims[0], ...new Array<number>(x.dims.length - 2).fill(1)]);
    }
    return [binaryMap(node, x, slope, x.dtype, ctx, (a, s) => (a < 0 ? s * a : a), (a, s) => (a < 0n ? s * a : a))];
  }),
  scalarKernel('Clip', (node) => {
    const attrMin = attrFloat(node, 'min', -Infinity);
    const attrMax = attrFloat(node, 'max', Infinity);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (node.opset < 11) return [unaryMap(x, ctx, (v) => (v < attrMin ? attrMin : v > attrMax ? attrMax : v))];
      const lo = inputs[1];
      const hi = inputs[2];
      if (isBig(x.dtype)) {
        const l = lo ? (lo.data as BigInt64Array)[0] : undefined;
        const h = hi ? (hi.data as BigInt64Array)[0] : undefined;
        const out = ctx.alloc(x.dtype, x.dims);
        const X = x.data as BigInt64Array;
        const O = out.data as BigInt64Array;
        for (let i = 0; i < X.length; i++) {
          let v = X[i];
          if (l !== undefined && v < l) v = l;
          if (h !== undefined && v > h) v = h;
          O[i] = v;
        }
        return [out];
      }
      const l = lo && lo.data.length > 0 ? toNumbers(lo)[0] : -Infinity;
      const h = hi && hi.data.length > 0 ? toNumbers(hi)[0] : Infinity;
      return [unaryMap(x, ctx, (v) => {
        let r = v < l ? l : v;
        if (r > h) r = h;
        return r;
      })];
    };
  }),
  scalarKernel('Shrink', (node) => {
    const lambd = attrFloat(node, 'lambd', 0.5);
    const bias = attrFloat(node, 'bias', 0);
    return (inputs, ctx) => [unaryMap(need(node, inputs, 0), ctx, (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0))];
  }),
  scalarKernel('Swish', (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return (inputs, ctx) => [unaryMap(need(node, inputs, 0), ctx, (x) => x / (1 + Math.exp(-alpha * x)))];
  }),
  scalarKernel('SwiGLU', (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return (inputs, ctx) => {
      const a = need(node, inputs, 0);
      return [binaryMap(node, a, need(node, inputs, 1), a.dtype, ctx, (x, y) => (x / (1 + Math.exp(-alpha * x))) * y)];
    };
  }),
];
