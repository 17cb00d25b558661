/**
 * Normalizations not covered by nn/ (which holds BatchNormalization, InstanceNormalization, LayerNormalization, LRN):
 * - RMSNormalization(X, scale; axis=-1, epsilon=1e-5): y = x / sqrt(mean(x^2 over axes axis..last) + epsilon) * scale
 *   (scale broadcasts over the normalized dims).
 * - GroupNormalization(X [N, C, ...], scale, bias; num_groups, epsilon=1e-5): per (n, group) mean and (biased)
 *   variance over the group's channels and spatial positions, y = (x - mean) / sqrt(var + epsilon) * scale + bias,
 *   with scale/bias per group before opset 21 and per channel from 21.
 * - LpNormalization(axis=-1, p=2 or 1): x / ||x||_p along axis (a zero norm gives 0).
 * - MeanVarianceNormalization(axes=[0, 2, 3]): (x - mean) / sqrt(mean((x - mean)^2)) over the axes.
 * Statistics in double, results rounded once into the input dtype.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt, attrInts } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const NORMALIZATION_KERNELS: KernelVariant[] = [
  scalarKernel('RMSNormalization', (node) => {
    const axisAttr = attrInt(node, 'axis', -1);
    const eps = attrFloat(node, 'epsilon', 1e-5);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const scaleT = need(node, inputs, 1);
      const rank = x.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      const inner = x.dims.slice(axis).reduce((p, d) => p * d, 1);
      const S = toNumbers(scaleT);
      if (inner % S.length !== 0) throw kernelError(node, 'scale shape', { inputIndex: 1, expected: `broadcastable to [${x.dims.slice(axis)}]`, actual: `[${scaleT.dims}]` });
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let o = 0; o < X.length / inner; o++) {
        let ss = 0;
        for (let i = 0; i < inner; i++) ss += X[o * inner + i] ** 2;
        const r = 1 / Math.sqrt(ss / inner + eps);
        for (let i = 0; i < inner; i++) vals[o * inner + i] = X[o * inner + i] * r * S[i % S.length];
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
  scalarKernel('GroupNormalization', (node) => {
    const groups = attrInt(node, 'num_groups', 0);
    const eps = attrFloat(node, 'epsilon', 1e-5);
    if (groups <= 0) throw kernelError(node, 'attribute "num_groups"', { expected: '> 0', actual: String(groups) });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const scale = toNumbers(need(node, inputs, 1));
      const bias = toNumbers(need(node, inputs, 2));
      const [N, C] = x.dims;
      if (C % groups !== 0) throw kernelError(node, 'channels', { inputIndex: 0, expected: `a multiple of num_groups ${groups}`, actual: String(C) });
      const spatial = x.dims.slice(2).reduce((p, d) => p * d, 1);
      const cpg = C / groups;
      const perChannel = node.opset >= 21;
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let n = 0; n < N; n++) {
        for (let g = 0; g < groups; g++) {
          const start = (n * C + g * cpg) * spatial;
          const len = cpg * spatial;
          let m = 0;
          for (let i = 0; i < len; i++) m += X[start + i];
          m /= len;
          let v = 0;
          for (let i = 0; i < len; i++) v += (X[start + i] - m) ** 2;
          const inv = 1 / Math.sqrt(v / len + eps);
          for (let i = 0; i < len; i++) {
            const c = g * cpg + Math.floor(i / spatial);
            const k = perChannel ? c : g;
            vals[start + i] = (X[start + i] - m) * inv * scale[k] + bias[k];
          }
        }
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
  scalarKernel('LpNormalization', (node) => {
    const axisAttr = attrInt(node, 'axis', -1);
    const p = attrInt(node, 'p', 2);
    if (p !== 1 && p !== 2) throw kernelError(node, 'attribute "p"', { expected: '1 or 2', actual: String(p) });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const { order, groups, groupSize } = axisGroups(x.dims, [axis]);
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let g = 0; g < groups; g++) {
        let norm = 0;
        for (let i = 0; i < groupSize; i++) {
          const v = X[order[g * groupSize + i]];
          norm += p === 1 ? Math.abs(v) : v * v;
        }
        if (p === 2) norm = Math.sqrt(norm);
        for (let i = 0; i < groupSize; i++) {
          const k = order[g * groupSize + i];
          vals[k] = norm === 0 ? 0 : X[k] / norm;
        }
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
  scalarKernel('MeanVarianceNormalization', (node) => {
    const axesAttr = attrInts(node, 'axes') ?? [0, 2, 3];
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axes = axesAttr.map((a) => normAxis(node, a, x.dims.length, 'axes'));
      const { order, groups, groupSize } = axisGroups(x.dims, axes);
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let g = 0; g < groups; g++) {
        let m = 0;
        for (let i = 0; i < groupSize; i++) m += X[order[g * groupSize + i]];
        m /= groupSize;
        let v = 0;
        for (let i = 0; i < groupSize; i++) v += (X[order[g * groupSize + i]] - m) ** 2;
        const sd = Math.sqrt(v / groupSize);
        for (let i = 0; i < groupSize; i++) {
          const k = order[g * groupSize + i];
          vals[k] = (X[k] - m) / sd;
        }
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
