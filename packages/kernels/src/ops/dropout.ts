/**
 * Dropout in inference: output = input and, when asked for, a mask of all true. training_mode true with a ratio other
 * than 0 is refused with a KernelError, since the result would be random.
 * Example: Dropout([1, 2], ratio 0.5) = [1, 2], mask [true, true].
 */
import type { KernelVariant } from '../contract.js';
import { copyTo } from './util/elementwise.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const DROPOUT_KERNELS: KernelVariant[] = [
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
];
