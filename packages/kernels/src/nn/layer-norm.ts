/**
 * LayerNormalization (opset 17): normalizes X over the trailing dims `[axis, rank)`.
 *
 * Per row r of the `outer x inner` view (`outer = prod(dims[:axis])`, `inner = prod(dims[axis:])`), following the
 * op's function body with stash_type = 1 (compute in float32, the default):
 *   mean = sum(x) / inner;  var = sum((x - mean)^2) / inner;  inv = 1 / sqrt(var + epsilon)
 *   y = (x - mean) * inv * scale + B        (scale, B broadcast to dims[axis:] numpy-style)
 * Sums accumulate in double and are rounded to float32; every later step is rounded to float32 (`fround`).
 * stash_type = 11 computes in double instead. Optional outputs Mean and InvStdDev (float32 for stash_type 1) have
 * X's dims with dims[axis:] set to 1. NaN propagates. float16 runs through float32.
 *
 * Example: x = [1, 3], eps 0, scale 1, B 0 -> mean 2, inv 1 -> y = [-1, 1].
 *
 * lowbit.QLayerNorm (domain `lowbit`, version 1; fused by the runtime when a LayerNormalization's only output feeds
 * only a per-tensor 8-bit QuantizeLinear): inputs X, Scale, B (optional), y_scale (float32, one value), y_zero_point
 * (uint8 or int8, one value: the output type), LayerNormalization's attributes; output QuantizeLinear(
 * LayerNormalization(X)) exactly as the two reference kernels compute it (float32 X only).
 */
import { quantize } from '@lowbit/qparams';
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { viaQParams } from '../quant/qparams-call.js';
import { allocData, sizeOf, Tensor, type DType } from '../tensor.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { broadcastIndex, normAxis } from '../ops/util/broadcast.js';
import { fail, input, optionalInput } from './checks.js';
import { floatVariants } from './float-variants.js';

const F = ['float32', 'float64'] as const;

export const LAYER_NORM_KERNELS: KernelVariant[] = [...floatVariants({ op: 'LayerNormalization', create: createLayerNorm }), {
  key: 'lowbit.QLayerNorm:f32',
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create(node) {
    const ln = createLayerNorm({ ...node, outputCount: 1 });
    const local = { alloc: (d: DType, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) } as RunContext;
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['float32'] as const);
        const ys = input(node, inputs, 3, ['float32'] as const);
        const zp = input(node, inputs, 4, ['uint8', 'int8'] as const);
        if (ys.data.length !== 1) fail(node, 'element count', { inputIndex: 3, expected: '1 (per-tensor y_scale)', actual: String(ys.data.length) });
        if (zp.data.length !== 1) fail(node, 'element count', { inputIndex: 4, expected: '1 (per-tensor y_zero_point)', actual: String(zp.data.length) });
        const g = ln.run([x, inputs[1] ?? null, inputs[2] ?? null], local)[0]!;
        const q = viaQParams(node, () => quantize(g.data as Float32Array, x.dims, {
          dtype: zp.dtype, scale: [ys.data[0]], zeroPoint: zp.data, paramDims: [], axis: 0, blockSize: 0,
        }, { saturate: true, precision: 'float32' }));
        const y = ctx.alloc(zp.dtype, x.dims);
        y.data.set(q);
        return [y];
      },
    };
  },
}];

function createLayerNorm(node: KernelNode): KernelInstance {
  const axisAttr = attrInt(node, 'axis', -1);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const stash = attrInt(node, 'stash_type', 1);
  if (stash !== 1 && stash !== 11) fail(node, 'attribute "stash_type"', { expected: '1 (float32) or 11 (float64)', actual: String(stash) });
  const fr = stash === 1 ? Math.fround : (v: number) => v;
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, F);
      const scale = input(node, inputs, 1, F);
      const bias = optionalInput(node, inputs, 2, F);
      const rank = x.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      const innerDims = x.dims.slice(axis);
      const inner = innerDims.reduce((p, d) => p * d, 1);
      const outer = x.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const index = (t: typeof scale, i: number) => {
        if (t.dims.length > innerDims.length || t.dims.some((d, k) => d !== 1 && d !== innerDims[innerDims.length - t.dims.length + k])) {
          fail(node, 'shape', { inputIndex: i, expected: `broadcastable to [${innerDims.join(', ')}]`, actual: `[${t.dims.join(', ')}]` });
        }
        return broadcastIndex(innerDims, t.dims);
      };
      const sIdx = index(scale, 1);
      const bIdx = bias ? index(bias, 2) : null;
      const y = ctx.alloc(x.dtype, x.dims);
      const statDims = x.dims.map((d, k) => (k < axis ? d : 1));
      const statType = stash === 1 ? 'float32' : 'float64';
      const meanOut = node.outputCount > 1 ? ctx.alloc(statType, statDims) : null;
      const invOut = node.outputCount > 2 ? ctx.alloc(statType, statDims) : null;
      const X = x.data;
      for (let r = 0; r < outer; r++) {
        const base = r * inner;
        let s = 0;
        for (let j = 0; j < inner; j++) s += X[base + j];
        const mean = fr(s / inner);
        let q = 0;
        for (let j = 0; j < inner; j++) {
          const d = fr(X[base + j] - mean);
          q += fr(d * d);
        }
        const inv = fr(1 / fr(Math.sqrt(fr(fr(q / inner) + eps))));
        for (let j = 0; j < inner; j++) {
          const n = fr(fr(X[base + j] - mean) * inv);
          let v = fr(n * scale.data[sIdx ? sIdx[j] : j]);
          if (bias) v = fr(v + bias.data[bIdx ? bIdx[j] : j]);
          y.data[base + j] = v;
        }
        if (meanOut) meanOut.data[r] = mean;
        if (invOut) invOut.data[r] = inv;
      }
      return [y, meanOut, invOut].slice(0, Math.max(1, node.outputCount));
    },
  };
}
