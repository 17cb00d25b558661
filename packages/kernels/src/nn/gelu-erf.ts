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
 *
 * lowbit.QGeluErf (domain `lowbit`, version 1): the same GELU followed by a per-tensor QuantizeLinear, which the
 * runtime's optimiser fuses when the GELU's float output feeds only that QuantizeLinear. Inputs x (float32),
 * y_scale (float32, one value), y_zero_point (uint8 or int8, one value: the output type); attributes as GeluErf.
 * Output: QuantizeLinear(GeluErf(x)) exactly as the two reference kernels compute it, x's shape.
 */
import { quantize } from '@lowbit/qparams';
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { erf } from '../ops/util/erf.js';
import { viaQParams } from '../quant/qparams-call.js';
import { fail, input } from './checks.js';

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
}, {
  key: 'lowbit.QGeluErf:f32',
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create(node) {
    const p = geluErfParams(node);
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['float32'] as const);
        const scale = input(node, inputs, 1, ['float32'] as const);
        const zp = input(node, inputs, 2, ['uint8', 'int8'] as const);
        if (scale.data.length !== 1) fail(node, 'element count', { inputIndex: 1, expected: '1 (per-tensor y_scale)', actual: String(scale.data.length) });
        if (zp.data.length !== 1) fail(node, 'element count', { inputIndex: 2, expected: '1 (per-tensor y_zero_point)', actual: String(zp.data.length) });
        const g = new Float32Array(x.data.length);
        for (let i = 0; i < g.length; i++) g[i] = geluErf(x.data[i], p);
        const q = viaQParams(node, () => quantize(g, x.dims, {
          dtype: zp.dtype, scale: [scale.data[0]], zeroPoint: zp.data, paramDims: [], axis: 0, blockSize: 0,
        }, { saturate: true, precision: 'float32' }));
        const y = ctx.alloc(zp.dtype, x.dims);
        y.data.set(q);
        return [y];
      },
    };
  },
}];
