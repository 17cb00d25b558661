/**
 * Broadcasting arithmetic: Add Sub Mul Div Pow Mod.
 *
 * Floats: computed in double from the stored values and rounded once into the output dtype (float32 via
 * Float32Array store). Integers: Add/Sub/Mul wrap to the type width (int32 Mul uses Math.imul so it stays exact);
 * Div truncates toward zero (C semantics, as ONNX Runtime), division by zero gives 0; int64 is exact BigInt.
 * Pow: output has the base's dtype; integer Pow truncates. Mod: fmod=1 takes the dividend's sign (C fmod),
 * fmod=0 (integers only) the divisor's sign (Python %). Example: Mod(-4, 3) = 2 with fmod=0, -1 with fmod=1.
 */
import type { KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { broadcastIndex, broadcastShapes } from './util/broadcast.js';
import { binaryMap, type BigFn2, type NumFn2 } from './util/elementwise.js';
import { f32Arith, type ArithOp } from './util/f32-arith.js';
import { expectInputType, kernelError, need, numericType } from './util/fail.js';
import { isFloat, isInt } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function binary(opType: string, pick: (dtype: DType) => NumFn2, big?: BigFn2): KernelVariant {
  return scalarKernel(opType, (node) => {
    expectInputType(node, 0, numericType, 'a numeric type');
    return (inputs, ctx) => {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      if (opType !== 'Pow' && a.dtype !== b.dtype) {
        throw kernelError(node, 'dtype', { inputIndex: 1, expected: a.dtype, actual: b.dtype });
      }
      if (a.dtype === 'float32' && b.dtype === 'float32' && opType !== 'Pow') {
        const dims = broadcastShapes(node, [a.dims, b.dims]);
        const out = ctx.alloc('float32', dims);
        f32Arith(opType as ArithOp, a.data as Float32Array, b.data as Float32Array, out.data, broadcastIndex(dims, a.dims), broadcastIndex(dims, b.dims));
        return [out];
      }
      return [binaryMap(node, a, b, a.dtype, ctx, pick(a.dtype), big)];
    };
  });
}

const is32 = (d: DType): boolean => d === 'int32' || d === 'uint32';

const powInt = (a: number, b: number): number => Math.trunc(a ** b);

function powBig(a: bigint, b: bigint): bigint {
  if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n;
  return BigInt.asIntN(64, a ** b);
}

export const ARITHMETIC_KERNELS: KernelVariant[] = [
  binary('Add', () => (a, b) => a + b, (a, b) => BigInt.asIntN(64, a + b)),
  binary('Sub', () => (a, b) => a - b, (a, b) => BigInt.asIntN(64, a - b)),
  binary('Mul', (d) => (is32(d) ? Math.imul : (a, b) => a * b), (a, b) => BigInt.asIntN(64, a * b)),
  binary('Div', (d) => (isInt(d) ? (a, b) => (b === 0 ? 0 : Math.trunc(a / b)) : (a, b) => a / b), (a, b) => (b === 0n ? 0n : a / b)),
  scalarKernel('Pow', (node) => (inputs, ctx) => {
    const a = need(node, inputs, 0);
    const b = need(node, inputs, 1);
    const f: NumFn2 = isFloat(a.dtype) ? (x, y) => x ** y : powInt;
    return [binaryMap(node, a, b, a.dtype, ctx, f, powBig)];
  }),
  scalarKernel('Mod', (node) => {
    const fmod = attrInt(node, 'fmod', 0) !== 0;
    expectInputType(node, 0, (d) => numericType(d) && (fmod || !isFloat(d)), fmod ? 'a numeric type' : 'an integer type (fmod=0)');
    return (inputs, ctx) => {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      if (isFloat(a.dtype) && !fmod) throw kernelError(node, 'attribute fmod', { expected: '1 for floating-point inputs', actual: '0' });
      if (fmod) {
        const f: NumFn2 = isFloat(a.dtype) ? (x, y) => x % y : (x, y) => (y === 0 ? 0 : x % y);
        return [binaryMap(node, a, b, a.dtype, ctx, f, (x, y) => (y === 0n ? 0n : x % y))];
      }
      const f: NumFn2 = (x, y) => {
        if (y === 0) return 0;
        const r = x % y;
        return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
      };
      const g: BigFn2 = (x, y) => {
        if (y === 0n) return 0n;
        const r = x % y;
        return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
      };
      return [binaryMap(node, a, b, a.dtype, ctx, f, g)];
    };
  }),
];
