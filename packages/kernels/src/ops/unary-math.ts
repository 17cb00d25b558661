/**
 * Element-wise unary math: Abs Neg Sign Ceil Floor Round Sqrt Exp Log Reciprocal Sin Cos Tan Asin Acos Atan Sinh Cosh
 * Asinh Acosh Atanh Tanh Erf IsNaN IsInf Not.
 *
 * Numerics: each element is computed in double precision from the stored value and rounded once into the output dtype
 * (float32 -> Math.fround via Float32Array; float16/bfloat16 -> round-to-nearest-even). IEEE semantics for NaN and
 * infinities (sqrt(-1) = NaN, log(0) = -Inf, 1/0 = Inf). Round is half-to-even: Round(2.5) = 2, Round(-1.5) = -2.
 * Integer Abs/Neg/Sign wrap like two's complement (Abs(int8 -128) = -128). int64 uses exact BigInt arithmetic.
 */
import type { KernelVariant } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { unaryMap } from './util/elementwise.js';
import { erf } from './util/erf.js';
import { need } from './util/fail.js';
import { roundHalfEven } from './util/round.js';
import { scalarKernel, unaryKernel as unary } from './util/variant.js';

const sign = (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0);

export const UNARY_MATH_KERNELS: KernelVariant[] = [
  unary('Abs', Math.abs, (x) => (x < 0n ? -x : x)),
  unary('Neg', (x) => -x, (x) => -x),
  unary('Sign', sign, (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n)),
  unary('Ceil', Math.ceil),
  unary('Floor', Math.floor),
  unary('Round', roundHalfEven),
  unary('Sqrt', Math.sqrt),
  unary('Exp', Math.exp),
  unary('Log', Math.log),
  unary('Reciprocal', (x) => 1 / x),
  unary('Sin', Math.sin),
  unary('Cos', Math.cos),
  unary('Tan', Math.tan),
  unary('Asin', Math.asin),
  unary('Acos', Math.acos),
  unary('Atan', Math.atan),
  unary('Sinh', Math.sinh),
  unary('Cosh', Math.cosh),
  unary('Asinh', Math.asinh),
  unary('Acosh', Math.acosh),
  unary('Atanh', Math.atanh),
  unary('Tanh', Math.tanh),
  unary('Erf', erf),
  scalarKernel('IsNaN', (node) => (inputs, ctx) => [unaryMap(need(node, inputs, 0), ctx, (x) => (Number.isNaN(x) ? 1 : 0), 'bool')]),
  scalarKernel('IsInf', (node) => {
    const neg = attrInt(node, 'detect_negative', 1) !== 0;
    const pos = attrInt(node, 'detect_positive', 1) !== 0;
    return (inputs, ctx) => [unaryMap(need(node, inputs, 0), ctx, (x) => ((pos && x === Infinity) || (neg && x === -Infinity) ? 1 : 0), 'bool')];
  }),
  scalarKernel('Not', (node) => (inputs, ctx) => [unaryMap(need(node, inputs, 0) as Tensor, ctx, (x) => (x ? 0 : 1), 'bool')]),
];
