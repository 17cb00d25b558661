/**
 * RoiAlign(X [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2), batch_indices [R]) -> [R, C, output_height,
 * output_width]. Each RoI is scaled by spatial_scale and shifted by -0.5 (coordinate_transformation_mode
 * half_pixel; output_half_pixel: no shift and a minimum RoI size of 1). Bin (ph, pw) averages (mode avg) or takes the
 * max (mode max) over grid_h x grid_w bilinear samples at the bin's regular sub-centres, grid = sampling_ratio or
 * ceil(roi size / output size). A sample outside [-1, H] x [-1, W] contributes 0; coordinates are clamped at 0 and
 * at the last row/column. In max mode each sample is the max of its four weighted corners (as the ONNX reference and
 * onnxruntime do). Computed in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const ROI_ALIGN_KERNELS: KernelVariant[] = [
  scalarKernel('RoiAlign', (node) => {
    const halfPixel = attrString(node, 'coordinate_transformation_mode', node.opset < 16 ? 'output_half_pixel' : 'half_pixel') === 'half_pixel';
    const mode = attrString(node, 'mode', 'avg');
    if (mode !== 'avg' && mode !== 'max') throw kernelError(node, 'attribute "mode"', { expected: 'avg or max', actual: mode });
    const outH = attrInt(node, 'output_height', 1);
    const outW = attrInt(node, 'output_width', 1);
    const ratio = attrInt(node, 'sampling_ratio', 0);
    const ss = attrFloat(node, 'spatial_scale', 1);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const roisT = need(node, inputs, 1);
      const bi = toNumbers(need(node, inputs, 2));
      if (x.dims.length !== 4) throw kernelError(node, 'shape', { inputIndex: 0, expected: '[N, C, H, W]', actual: `[${x.dims}]` });
      const [, C, H, W] = x.dims;
      const R = roisT.dims[0];
      const X = toNumbers(x);
      const rois = toNumbers(roisT);
      const vals = new Float64Array(R * C * outH * outW);
      const off = halfPixel ? 0.5 : 0;
      for (let r = 0; r < R; r++) {
        const b = bi[r];
        const sw = rois[r * 4] * ss - off;
        const sh = rois[r * 4 + 1] * ss - off;
        let rw = rois[r * 4 + 2] * ss - off - sw;
        let rh = rois[r * 4 + 3] * ss - off - sh;
        if (!halfPixel) {
          rw = Math.max(rw, 1);
          rh = Math.max(rh, 1);
        }
        const binH = rh / outH;
        const binW = rw / outW;
        const gh = ratio > 0 ? ratio : Math.ceil(rh / outH);
        const gw = ratio > 0 ? ratio : Math.ceil(rw / outW);
        const count = Math.max(gh * gw, 1);
        for (let c = 0; c < C; c++) {
          const base = (b * C + c) * H * W;
          for (let ph = 0; ph < outH; ph++) {
            for (let pw = 0; pw < outW; pw++) {
              let acc = mode === 'avg' ? 0 : -Infinity;
              let any = false;
              for (let iy = 0; iy < gh; iy++) {
                const y = sh + ph * binH + ((iy + 0.5) * binH) / gh;
                for (let ix = 0; ix < gw; ix++) {
                  const xx = sw + pw * binW + ((ix + 0.5) * binW) / gw;
                  let v: number;
                  if (y < -1 || y > H || xx < -1 || xx > W) v = 0;
                  else {
                    const yc = Math.max(y, 0);
                    const xc = Math.max(xx, 0);
                    let yl = Math.floor(yc);
                    let xl = Math.floor(xc);
                    let yh = yl + 1;
                    let xh = xl + 1;
                    let yy = yc;
                    let xv = xc;
                    if (yl >= H - 1) { yl = yh = H - 1; yy = yl; }
                    if (xl >= W - 1) { xl = xh = W - 1; xv = xl; }
                    const ly = yy - yl;
                    const lx = xv - xl;
                    const w = [(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx];
                    const p = [X[base + yl * W + xl], X[base + yl * W + xh], X[base + yh * W + xl], X[base + yh * W + xh]];
                    v = mode === 'avg' ? w[0] * p[0] + w[1] * p[1] + w[2] * p[2] + w[3] * p[3] : Math.max(w[0] * p[0], w[1] * p[1], w[2] * p[2], w[3] * p[3]);
                  }
                  if (mode === 'avg') acc += v;
                  else acc = Math.max(acc, v);
                  any = true;
                }
              }
              vals[((r * C + c) * outH + ph) * outW + pw] = mode === 'avg' ? acc / count : any ? acc : 0;
            }
          }
        }
      }
      const out = ctx.alloc(x.dtype, [R, C, outH, outW]);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
