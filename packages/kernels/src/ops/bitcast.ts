/**
 * BitCast(to): reinterprets each element's bytes (little-endian) as the target type of the same width; the dims stay.
 * Only fixed-width numeric and bool types; a width mismatch is a KernelError.
 * Example: BitCast(float32 [1.0], to=INT32) = [1065353216].
 */
import type { KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { DTYPE_OF_ONNX } from './util/onnx-dtype.js';
import { scalarKernel } from './util/variant.js';

const BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1,
};

export const BITCAST_KERNELS: KernelVariant[] = [
  scalarKernel('BitCast', (node) => {
    const code = attrInt(node, 'to', 0);
    const to = DTYPE_OF_ONNX[code];
    if (!to || !BYTES[to]) throw kernelError(node, 'attribute "to"', { expected: 'a fixed-width numeric or bool type', actual: String(code) });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (BYTES[x.dtype] !== BYTES[to]) {
        throw kernelError(node, 'dtype width', { inputIndex: 0, expected: `${BYTES[to]} bytes like ${to}`, actual: `${x.dtype}` });
      }
      const out = ctx.alloc(to, x.dims);
      const src = x.data as unknown as ArrayBufferView;
      const dst = out.data as unknown as ArrayBufferView;
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      return [out];
    };
  }),
];
