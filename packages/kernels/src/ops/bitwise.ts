/**
 * Bit operations on integer tensors: BitShift(direction LEFT|RIGHT) on unsigned ints (a shift >= the width gives 0),
 * BitwiseAnd / BitwiseOr / BitwiseXor (same dtype on both sides, broadcast) and BitwiseNot, in two's complement
 * (int64 and uint64 exact in BigInt).
 * Example: BitShift(uint8 [16, 4], [2, 1], RIGHT) = [4, 2].
 */
import type { KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrString } from './util/attrs.js';
import { binaryMap, unaryMap } from './util/elementwise.js';
import { kernelError, need } from './util/fail.js';
import { isBig } from './util/values.js';
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


export const BITWISE_KERNELS: KernelVariant[] = [
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
