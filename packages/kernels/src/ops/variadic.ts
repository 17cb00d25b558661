/**
 * Variadic broadcasting reductions over inputs: Max Min Sum Mean (all inputs broadcast together).
 * Max/Min propagate NaN (numpy maximum/minimum); Sum adds left to right in double and rounds once per element into
 * the output dtype; Mean is Sum / count. int64 is exact BigInt. Example: Mean([1,2],[3,4],[5,6]) = [3,4].
 */
import type { KernelVariant } from '../contract.js';
import { freshRunContext } from '../run-context.js';
import type { Tensor } from '../tensor.js';
import { binaryMap, copyTo, unaryMap, type BigFn2, type NumFn2 } from './util/elementwise.js';
import { kernelError } from './util/fail.js';
import { isFloat } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function variadic(opType: string, f: NumFn2, big: BigFn2, mean = false): KernelVariant {
  return scalarKernel(opType, (node) => (inputs, ctx) => {
    const xs = inputs.filter((t): t is Tensor => t !== null);
    if (xs.length === 0) throw kernelError(node, 'needs at least one input', { expected: '>= 1 input', actual: '0' });
    const dtype = xs[0].dtype;
    xs.forEach((t, i) => {
      if (t.dtype !== dtype) throw kernelError(node, 'dtype', { inputIndex: i, expected: dtype, actual: t.dtype });
    });
    // Accumulate in float64 for minifloat/float32 (one rounding at the end), in the input dtype otherwise.
    const accType = isFloat(dtype) ? 'float64' : dtype;
    let acc: Tensor = xs.length === 1 ? xs[0] : binaryMap(node, xs[0], xs[1], accType, freshRunContext, f, big);
    for (let i = 2; i < xs.length; i++) acc = binaryMap(node, acc, xs[i], accType, freshRunContext, f, big);
    if (mean) {
      const k = xs.length;
      return [unaryMap(acc, ctx, (v) => v / k, dtype)];
    }
    return [acc.dtype === dtype ? copyTo(acc, ctx) : unaryMap(acc, ctx, (v) => v, dtype)];
  });
}

const max: NumFn2 = (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b);
const min: NumFn2 = (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b);

export const VARIADIC_KERNELS: KernelVariant[] = [
  variadic('Max', max, (a, b) => (a >= b ? a : b)),
  variadic('Min', min, (a, b) => (a <= b ? a : b)),
  variadic('Sum', (a, b) => a + b, (a, b) => BigInt.asIntN(64, a + b)),
  variadic('Mean', (a, b) => a + b, (a, b) => a + b, true),
];
