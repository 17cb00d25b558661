/**
 * Smaller element-wise ops: Shrink (x < -lambd ? x + bias : x > lambd ? x - bias : 0; lambd 0.5, bias 0),
 * Swish (x * sigmoid(alpha * x), alpha 1), SwiGLU(a, b) = a * sigmoid(alpha * a) * b (broadcast), Dropout in inference (output = input, mask all true; training_mode true
 * with a ratio other than 0 is refused, since the result would be random), BitShift (direction LEFT/RIGHT on unsigned
 * ints, shifts >= the width give 0), BitwiseAnd/Or/Xor/Not on integers (two's complement; int64 exact).
 * Example: BitShift(uint8 [16, 4], [2, 1], RIGHT) = [4, 2].
 */
import type { KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrFloat, attrString } from './util/attrs.js';
import { binaryMap, copyTo, unaryMap } from './util/elementwise.js';
import { kernelError, need } from './util/fail.js';
import { isBig, toNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const WIDTH: Partial<Record<DType, number>> = { uint8: 8, uint16: 16, uint32: 32, uint64: 64, int8: 8, int16: 16, int32: 32, int64: 64 };

function bitwise(opType: string, f: (a: number, b: number) => number, g: (a: bigint, b: bigint) => bigint): KernelVariant {
  return scalarKernel(opType, (node) => (inputs, ctx) => {
    const a = need(node, inputs, 0);
    const b = need(node, inputs, 1);
    if (!WIDTH[a.dtype]) throw kernelError(node, 'dtype', { inputIndex: 0, expected: 'an integer type', actual: a.dtype });
    if (a.dtype !== b.dtype) throw kernelError(node, 'dtype', { inputIndex: 1, expected: a.dtype, actual: b.dtype });
    return [binaryMap(node, a, b, a.dtype, ctx, f, (x, y) => (a.dtype === 'int64' ? BigInt.asIntN(64, g(x, y)) : BigInt.asUintN(64, g(x, y))))];
  });
}

export const MISC_ELEMENTWISE_KERNELS: KernelVariant[] = [
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
  scalarKernel('Dropout', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const training = inputs[2];
    const ratio = inputs[1] && inputs[1].data.length > 0 ? toNumbers(inputs[1])[0] : 0.5;
    if (training && training.data.length > 0 && (training.data as Uint8Array)[0] && ratio !== 0) {
      throw kernelError(node, 'training_mode', { inputIndex: 2, expected: 'false, or a ratio of 0 (training dropout is random)', actual: 'true' });
    }
    const out = copyTo(x, ctx);
    if (node.outputCount < 2) return [out];
    const mask = ctx.alloc('bool', x.dims);
    mask.data.fill(1);
    return [out, mask];
  }),
  scalarKernel('BitShift', (node) => {
    const dir = attrString(node, 'direction', '');
    if (dir !== 'LEFT' && dir !== 'RIGHT') throw kernelError(node, 'attribute "direction"', { expected: 'LEFT or RIGHT', actual: dir });
    return (inputs, ctx) => {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      const w = WIDTH[a.dtype];
      if (!w || !a.dtype.startsWith('u')) throw kernelError(node, 'dtype', { inputIndex: 0, expected: 'an unsigned integer type', actual: a.dtype });
      const f = (x: number, s: number) => (s >= w ? 0 : dir === 'LEFT' ? (x << s) >>> 0 : x >>> s);
      const g = (x: bigint, s: bigint) => (s >= 64n ? 0n : dir === 'LEFT' ? BigInt.asUintN(64, x << s) : x >> s);
      return [binaryMap(node, a, b, a.dtype, ctx, f, g)];
    };
  }),
  bitwise('BitwiseAnd', (a, b) => a & b, (a, b) => a & b),
  bitwise('BitwiseOr', (a, b) => a | b, (a, b) => a | b),
  bitwise('BitwiseXor', (a, b) => a ^ b, (a, b) => a ^ b),
  scalarKernel('BitwiseNot', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    if (!WIDTH[x.dtype]) throw kernelError(node, 'dtype', { inputIndex: 0, expected: 'an integer type', actual: x.dtype });
    if (isBig(x.dtype)) {
      const out = ctx.alloc(x.dtype, x.dims);
      const X = x.data as BigInt64Array;
      const O = out.data as BigInt64Array;
      for (let i = 0; i < X.length; i++) O[i] = x.dtype === 'int64' ? BigInt.asIntN(64, ~X[i]) : BigInt.asUintN(64, ~X[i]);
      return [out];
    }
    return [unaryMap(x, ctx, (v) => ~v)];
  }),
];
