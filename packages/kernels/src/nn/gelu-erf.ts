/**
 * lowbit.GeluErf (Lowbit-internal, domain `lowbit`, version 1): the erf form of GELU as a graph spells it, which the
 * runtime's optimiser fuses from the five nodes
 *
 *   s = Mul(x, c1) | Div(x, c1);  e = Erf(s);  a = Add(e, c2);  y = Mul(Mul(x, a), c3)   (scale_first = 0)
 *                                                                y = Mul(Mul(x, c3), a)   (scale_first = 1)
 *
 * Input x float32 (any shape); output float32, x's shape. Attributes: `c1`, `c2`, `c3` (floats, the scalar constants
 * of the graph, as float32 values), `divide` (int, 1: s = x / c1), `scale_first` (int, see above).
 *
 * Numerics, bit-identical to the unfused nodes run by the reference kernels: every step is one float32 operation
 * (`Math.fround`), erf is the Erf reference (double-precision series, rounded once). NaN propagates; erf(+-inf) = +-1.
 * Example: c1 = fround(1/sqrt(2)), c2 = 1, c3 = 0.5, x = 1 -> s = 0.70710677, erf(s) = 0.6826894, a = 1.6826894,
 * y = 0.8413447.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { erf } from '../ops/util/erf.js';
import { input } from './checks.js';

/** The fused GELU's constants, read from a node's attributes (float32 values). */
export interface GeluErfParams {
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  readonly divide: boolean;
  readonly scaleFirst: boolean;
}

export function geluErfParams(node: Parameters<typeof attrFloat>[0]): GeluErfParams {
  return {
    c1: Math.fround(attrFloat(node, 'c1', Math.SQRT1_2)),
    c2: Math.fround(attrFloat(node, 'c2', 1)),
    c3: Math.fround(attrFloat(node, 'c3', 0.5)),
    divide: attrInt(node, 'divide', 0) !== 0,
    scaleFirst: attrInt(node, 'scale_first', 0) !== 0,
  };
}

/** One element of lowbit.GeluErf with erf computed by `erfOf` (the reference's by default). */
export function geluErf(x: number, p: GeluErfParams, erfOf: (v: number) => number = erf): number {
  const f = Math.fround;
  const s = p.divide ? f(x / p.c1) : f(x * p.c1);
  const a = f(f(erfOf(s)) + p.c2);
  return p.scaleFirst ? f(f(x * p.c3) * a) : f(f(x * a) * p.c3);
}

export const GELU_ERF_KERNELS: KernelVariant[] = [{
  key: 'lowbit.GeluErf:f32',
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create(node) {
    const p = geluErfParams(node);
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['float32'] as const);
        const y = ctx.alloc('float32', x.dims);
        const xd = x.data;
        const yd = y.data;
        for (let i = 0; i < xd.length; i++) yd[i] = geluErf(xd[i], p);
        return [y];
      },
    };
  },
}];
