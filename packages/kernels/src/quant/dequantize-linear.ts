/**
 * DequantizeLinear (opset 10, 13, 19, 21, 23, 25): quantized -> float, numerics from `@lowbit/qparams`
 * `dequantize`:
 *
 *   y = (x - x_zero_point) * x_scale
 *
 * The difference is exact; the product is one float32 multiplication, rounded to float16/bfloat16 (nearest even)
 * when the output is that type. Float8/float4 inputs are bit patterns decoded exactly (NaN stays NaN). int32 inputs
 * (biases) take no zero point. Granularity per-tensor / per-axis (`axis`, default 1) / blocked (`block_size`).
 * Output type: `output_dtype` when set, else the scale's type (float32, float16, bfloat16).
 *
 * Example: x = [130, 0] (uint8), zero point 128, scale 0.5 -> [1, -64].
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { QUANT_DTYPES, dequantize, type DequantizeOutput, type QuantDType } from '@lowbit/qparams';
import { attrInt } from '../ops/util/attrs.js';
import { toNumbers } from '../ops/util/values.js';
import { fail, input } from '../nn/checks.js';
import { DTYPE_SHORT } from '../tensor.js';
import { viaQParams } from './qparams-call.js';
import { ONNX_CODE } from './quantize-linear.js';

const OUT = ['float32', 'float16', 'bfloat16'] as const;
const IN = [...QUANT_DTYPES, 'int32'] as const;

function create(node: KernelNode): KernelInstance {
  const axis = attrInt(node, 'axis', 1);
  const blockSize = attrInt(node, 'block_size', 0);
  const outCode = attrInt(node, 'output_dtype', 0);
  const outAttr = outCode === 0 ? undefined : ONNX_CODE[outCode];
  if (outCode !== 0 && outAttr !== 'float32' && outAttr !== 'float16' && outAttr !== 'bfloat16') {
    fail(node, 'attribute "output_dtype"', { expected: '1, 10 or 16', actual: String(outCode) });
  }
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, IN);
      const scale = input(node, inputs, 1, OUT);
      const zp = inputs[2] ?? null;
      if (zp && zp.dtype !== x.dtype) fail(node, 'dtype', { inputIndex: 2, expected: `${x.dtype} (x's type)`, actual: zp.dtype });
      const out = (outAttr ?? scale.dtype) as DequantizeOutput;
      const values = viaQParams(node, () => dequantize(x.data as ArrayLike<number>, x.dims, {
        dtype: x.dtype as QuantDType | 'int32', scale: toNumbers(scale), zeroPoint: zp ? (zp.data as ArrayLike<number>) : null,
        paramDims: scale.dims, axis, blockSize,
      }, { outputDType: out }));
      const y = ctx.alloc(out, x.dims);
      (y.data as { set(a: ArrayLike<number>): void }).set(values);
      return [y];
    },
  };
}

export const DEQUANTIZE_LINEAR_KERNELS: KernelVariant[] = IN.flatMap((tx) => OUT.map((ty): KernelVariant => ({
  key: `DequantizeLinear:${DTYPE_SHORT[tx]}->${DTYPE_SHORT[ty]}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
})));
