/**
 * QuantizeLinear (opset 10, 13, 19, 21, 23, 25): float -> integer or small-float quantized values, numerics from
 * `@lowbit/qparams` `quantize` (the single source of the formula):
 *
 *   integer outputs:  y = saturate(roundHalfEven(x / y_scale) + y_zero_point)
 *   float8 outputs:   y = cast(x / y_scale) (round to nearest even; `saturate` attribute, default 1)
 *   float4e2m1:       y = cast(x / y_scale + y_zero_point), always saturating
 *
 * `x / y_scale` is one division in the `precision` attribute's type (opset 25), else the scale's type
 * (float32, or float16/bfloat16 scales). NaN quantizes like 0 for integer outputs and stays NaN for float8.
 * Granularity from the scale's shape and the attributes: per-tensor (scalar scale), per-axis (`axis`, default 1),
 * blocked (`axis` + `block_size`). The output dtype is y_zero_point's, else `output_dtype`, else uint8.
 * Output types: uint8, int8, uint16, int16, uint4, int4, uint2, int2 (unpacked, one element per entry),
 * float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1 (bit patterns). Inputs: float32, float16,
 * bfloat16.
 *
 * Example: x = [0, 1, 2.5, 300], scale 2, zero point 128 (uint8) -> [128, 128 (0.5 ties to 0), 129 (1.25), 255].
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { QUANT_DTYPES, quantize, type DivisionPrecision, type QuantDType } from '@lowbit/qparams';
import { attrInt } from '../ops/util/attrs.js';
import { toNumbers } from '../ops/util/values.js';
import { fail, input } from '../nn/checks.js';
import { DTYPE_SHORT, type DType } from '../tensor.js';
import { viaQParams } from './qparams-call.js';

/** ONNX TensorProto data type codes of the quantized types (for output_dtype / precision attributes). */
export const ONNX_CODE: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 10: 'float16', 16: 'bfloat16', 17: 'float8e4m3fn',
  18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1', 25: 'uint2', 26: 'int2',
};

const FLOAT_IN = ['float32', 'float16', 'bfloat16'] as const;

function create(node: KernelNode): KernelInstance {
  const axis = attrInt(node, 'axis', 1);
  const blockSize = attrInt(node, 'block_size', 0);
  const saturate = attrInt(node, 'saturate', 1) !== 0;
  const outCode = attrInt(node, 'output_dtype', 0);
  const precCode = attrInt(node, 'precision', 0);
  const outAttr = outCode === 0 ? undefined : ONNX_CODE[outCode];
  if (outCode !== 0 && (!outAttr || !(QUANT_DTYPES as readonly string[]).includes(outAttr))) {
    fail(node, 'attribute "output_dtype"', { expected: 'a quantized type code (2, 3, 4, 5, 17-23, 25, 26)', actual: String(outCode) });
  }
  const precAttr = precCode === 0 ? undefined : ONNX_CODE[precCode];
  if (precCode !== 0 && precAttr !== 'float32' && precAttr !== 'float16' && precAttr !== 'bfloat16') {
    fail(node, 'attribute "precision"', { expected: '1, 10 or 16', actual: String(precCode) });
  }
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, FLOAT_IN);
      const scale = input(node, inputs, 1, FLOAT_IN);
      const zp = inputs[2] ?? null;
      const dtype = (zp ? zp.dtype : outAttr ?? 'uint8') as QuantDType;
      if (!(QUANT_DTYPES as readonly string[]).includes(dtype)) fail(node, 'dtype', { inputIndex: 2, expected: QUANT_DTYPES.join('|'), actual: dtype });
      if (zp && outAttr && outAttr !== zp.dtype) fail(node, 'dtype', { inputIndex: 2, expected: `${outAttr} (output_dtype)`, actual: zp.dtype });
      const precision: DivisionPrecision = (precAttr as DivisionPrecision | undefined) ?? (scale.dtype === 'float32' ? 'float32' : scale.dtype);
      const q = viaQParams(node, () => quantize(toNumbers(x), x.dims, {
        dtype, scale: toNumbers(scale), zeroPoint: zp ? (zp.data as ArrayLike<number>) : null, paramDims: scale.dims, axis, blockSize,
      }, { saturate, precision }));
      const y = ctx.alloc(dtype, x.dims);
      (y.data as { set(a: ArrayLike<number>): void }).set(q);
      return [y];
    },
  };
}

export const QUANTIZE_LINEAR_KERNELS: KernelVariant[] = FLOAT_IN.flatMap((tx) => QUANT_DTYPES.map((ty): KernelVariant => ({
  key: `QuantizeLinear:${DTYPE_SHORT[tx]}->${DTYPE_SHORT[ty]}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
})));
