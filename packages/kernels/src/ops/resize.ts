/**
 * Resize (opset 10+) and Upsample (opset 7/9): nearest, linear (n-linear) and cubic interpolation over any set of
 * axes, applied separably one axis at a time (innermost first, like the ONNX reference's recursion), in double,
 * rounded once into the input dtype. See resize-coords.ts for the coordinate transforms and weights.
 *
 * Output size: from `sizes` (then scale = size / in), or floor(in * scale) from `scales`. With sizes and
 * keep_aspect_ratio_policy not_larger / not_smaller, one scale (the min / max of size/in over the axes) is used and
 * the sizes become round-half-up(scale * in). Opset 10 Resize and Upsample use the asymmetric transform with
 * nearest_mode floor ("nearest") or plain linear. `axes` (opset 18) limit which axes scales/sizes/roi refer to.
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrFloat, attrFloats, attrInt, attrInts, attrString } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';
import { axisPlan, type AxisSpec, type ResizeOptions } from './resize-coords.js';

const present = (t: Tensor | null | undefined): t is Tensor => !!t && t.data.length > 0;

function resizeData(x: Tensor, specs: readonly AxisSpec[], o: ResizeOptions, extrapolation: number): { dims: number[]; vals: Float64Array } {
  let dims = [...x.dims];
  let cur: ArrayLike<number> = toNumbers(x);
  for (let axis = dims.length - 1; axis >= 0; axis--) {
    const a = specs[axis];
    if (a.inLen === a.outLen && a.scale === 1 && o.ctm !== 'tf_crop_and_resize') continue;
    const plan = axisPlan(a, o);
    const outDims = [...dims];
    outDims[axis] = a.outLen;
    const st = stridesOf(dims);
    const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = st[axis];
    const next = new Float64Array(outer * a.outLen * inner);
    for (let ou = 0; ou < outer; ou++) {
      for (let x2 = 0; x2 < a.outLen; x2++) {
        const taps = plan[x2];
        const dst = (ou * a.outLen + x2) * inner;
        for (let i = 0; i < inner; i++) {
          if (!taps) {
            next[dst + i] = extrapolation;
            continue;
          }
          let acc = 0;
          for (const t of taps) acc += t.weight * cur[(ou * a.inLen + t.index) * inner + i];
          next[dst + i] = acc;
        }
      }
    }
    cur = next;
    dims = outDims;
  }
  return { dims, vals: cur instanceof Float64Array ? cur : Float64Array.from(cur) };
}

function options(node: KernelNode, legacy: boolean): ResizeOptions {
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') {
    throw kernelError(node, 'attribute "mode"', { expected: 'nearest|linear|cubic', actual: mode });
  }
  const ctm = legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const known = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nearest', 'tf_crop_and_resize'];
  if (!known.includes(ctm)) throw kernelError(node, 'attribute "coordinate_transformation_mode"', { expected: known.join('|'), actual: ctm });
  return {
    mode,
    ctm,
    nearestMode: legacy ? 'floor' : attrString(node, 'nearest_mode', 'round_prefer_floor'),
    cubicA: attrFloat(node, 'cubic_coeff_a', -0.75),
    excludeOutside: attrInt(node, 'exclude_outside', 0) !== 0,
    antialias: attrInt(node, 'antialias', 0) !== 0,
  };
}

export const RESIZE_KERNELS: KernelVariant[] = [
  scalarKernel('Resize', (node) => {
    const legacy = node.opset < 11;
    const o = options(node, legacy);
    const extrapolation = attrFloat(node, 'extrapolation_value', 0);
    const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
    const axesAttr = attrInts(node, 'axes');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const axes = (axesAttr ?? x.dims.map((_, i) => i)).map((a) => normAxis(node, a, rank, 'axes'));
      const roiT = legacy ? null : inputs[1];
      const scalesT = legacy ? inputs[1] : inputs[2];
      const sizesT = legacy ? null : inputs[3];
      const scale = new Array<number>(rank).fill(1);
      const outLen = [...x.dims];
      if (present(sizesT)) {
        const sizes = toNumbers(sizesT);
        if (sizes.length !== axes.length) throw kernelError(node, 'sizes length', { inputIndex: 3, expected: String(axes.length), actual: String(sizes.length) });
        if (policy === 'stretch') {
          axes.forEach((a, i) => {
            outLen[a] = sizes[i];
            scale[a] = sizes[i] / x.dims[a];
          });
        } else {
          const ratios = axes.map((a, i) => sizes[i] / x.dims[a]);
          const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
          axes.forEach((a) => {
            scale[a] = s;
            outLen[a] = Math.floor(s * x.dims[a] + 0.5);
          });
        }
      } else if (present(scalesT)) {
        const sc = toNumbers(scalesT);
        if (sc.length !== axes.length) throw kernelError(node, 'scales length', { inputIndex: legacy ? 1 : 2, expected: String(axes.length), actual: String(sc.length) });
        axes.forEach((a, i) => {
          scale[a] = sc[i];
          outLen[a] = Math.floor(x.dims[a] * sc[i]);
        });
      } else {
        throw kernelError(node, 'needs scales or sizes', { inputIndex: 2, expected: 'a non-empty scales or sizes input', actual: 'neither' });
      }
      const roiStart = new Array<number>(rank).fill(0);
      const roiEnd = new Array<number>(rank).fill(1);
      if (o.ctm === 'tf_crop_and_resize' && present(roiT)) {
        const roi = toNumbers(roiT);
        axes.forEach((a, i) => {
          roiStart[a] = roi[i];
          roiEnd[a] = roi[i + axes.length];
        });
        if (!present(sizesT)) axes.forEach((a) => { outLen[a] = Math.floor(x.dims[a] * (roiEnd[a] - roiStart[a]) * scale[a]); });
      }
      const specs = x.dims.map((d, i) => ({ inLen: d, outLen: outLen[i], scale: scale[i], roiStart: roiStart[i], roiEnd: roiEnd[i] }));
      const { dims, vals } = resizeData(x, specs, o, extrapolation);
      const out = ctx.alloc(x.dtype, dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
  scalarKernel('Upsample', (node) => {
    const o = options(node, true);
    const attrScales = attrFloats(node, 'scales');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const sc = node.opset < 9 ? attrScales ?? [] : Array.from(toNumbers(need(node, inputs, 1)));
      if (sc.length !== x.dims.length) throw kernelError(node, 'scales length', { inputIndex: 1, expected: String(x.dims.length), actual: String(sc.length) });
      const specs = x.dims.map((d, i) => ({ inLen: d, outLen: Math.floor(d * sc[i]), scale: sc[i], roiStart: 0, roiEnd: 1 }));
      const { dims, vals } = resizeData(x, specs, o, 0);
      const out = ctx.alloc(x.dtype, dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
