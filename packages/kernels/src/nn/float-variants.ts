/**
 * Builds the scalar reference variants of a float kernel for float32, float64 and float16.
 *
 * float32 and float64 kernels compute in their own precision (see each kernel's TSDoc). float16 is computed by
 * widening every float16 input to float32 (exact), running the float32 kernel and rounding each float16 output back
 * to the nearest float16 (ties to even): the usual "compute in float32" contract of CPU runtimes.
 */
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { DTYPE_SHORT, Tensor, type DType } from '../tensor.js';
import { float16ToFloat32, float32ToFloat16 } from '@lowbit/qparams';

export type FloatDType = 'float32' | 'float64';

/** A Float32Array or Float64Array, the storage of a FloatDType tensor. */
export type FloatArray = Float32Array | Float64Array;

export interface FloatKernelSpec {
  readonly op: string;
  /** Which dtypes get a variant (default float32, float64 and float16). */
  readonly dtypes?: readonly ('float32' | 'float64' | 'float16')[];
  create(node: KernelNode): KernelInstance;
}

export function floatVariants(spec: FloatKernelSpec): KernelVariant[] {
  const dtypes = spec.dtypes ?? ['float32', 'float64', 'float16'];
  return dtypes.map((d) => ({
    key: `${spec.op}:${DTYPE_SHORT[d]}`,
    name: 'scalar',
    isa: 'scalar',
    tolerance: 'exact',
    create: d === 'float16' ? (node: KernelNode) => viaFloat32(spec.create({ ...node, inputTypes: node.inputTypes.map((t) => (t === 'float16' ? 'float32' : t)) })) : spec.create,
  }));
}

function viaFloat32(inner: KernelInstance): KernelInstance {
  return {
    run(inputs: readonly (Tensor | null)[], ctx: RunContext): (Tensor | null)[] {
      const wide = inputs.map((t) => (t && t.dtype === 'float16' ? widen(t as Tensor<'float16'>) : t));
      return inner.run(wide, ctx).map((t) => (t && t.dtype === 'float32' ? narrow(t as Tensor<'float32'>, ctx) : t));
    },
  };
}

function widen(t: Tensor<'float16'>): Tensor<'float32'> {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = float16ToFloat32(t.data[i]);
  return new Tensor('float32', out, t.dims);
}

function narrow(t: Tensor<'float32'>, ctx: RunContext): Tensor<'float16'> {
  const out = ctx.alloc('float16', t.dims);
  for (let i = 0; i < t.data.length; i++) out.data[i] = float32ToFloat16(t.data[i]);
  return out;
}

/** True for the dtypes float kernels compute in directly. */
export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}
