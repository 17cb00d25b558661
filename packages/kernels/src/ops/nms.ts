/**
 * NonMaxSuppression(boxes [B, N, 4], scores [B, C, N], max_output_boxes_per_class = 0, iou_threshold = 0,
 * score_threshold, center_point_box = 0): per batch and class, greedily keeps the highest-scoring box and drops the
 * remaining boxes whose IoU with it is > iou_threshold, until max_output_boxes_per_class boxes are kept. Boxes with
 * score <= score_threshold (when given) are never kept. Equal scores keep the lower box index first. Box format:
 * center_point_box=0 is [y1, x1, y2, x2] with any diagonal corner order, 1 is [x_center, y_center, width, height].
 * IoU = intersection / (area_a + area_b - intersection), 0 when either area is 0. Output: int64
 * [num_selected, 3] rows (batch, class, box), ordered by batch, class, then selection order.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

type Box = readonly [number, number, number, number]; // y1, x1, y2, x2 normalized (min first)

function iou(a: Box, b: Box): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const ih = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const iw = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (ih <= 0 || iw <= 0) return 0;
  const inter = ih * iw;
  return inter / (areaA + areaB - inter);
}

export const NMS_KERNELS: KernelVariant[] = [
  scalarKernel('NonMaxSuppression', (node) => {
    const center = attrInt(node, 'center_point_box', 0) !== 0;
    return (inputs, ctx) => {
      const boxesT = need(node, inputs, 0);
      const scoresT = need(node, inputs, 1);
      const maxOut = inputs[2] && inputs[2].data.length > 0 ? toNumbers(inputs[2])[0] : 0;
      const iouTh = inputs[3] && inputs[3].data.length > 0 ? toNumbers(inputs[3])[0] : 0;
      const scoreTh = inputs[4] && inputs[4].data.length > 0 ? toNumbers(inputs[4])[0] : undefined;
      const [B, N] = boxesT.dims;
      const C = scoresT.dims[1];
      if (boxesT.dims.length !== 3 || boxesT.dims[2] !== 4) throw kernelError(node, 'boxes shape', { inputIndex: 0, expected: '[B, N, 4]', actual: `[${boxesT.dims}]` });
      if (scoresT.dims.length !== 3 || scoresT.dims[0] !== B || scoresT.dims[2] !== N) {
        throw kernelError(node, 'scores shape', { inputIndex: 1, expected: `[${B}, C, ${N}]`, actual: `[${scoresT.dims}]` });
      }
      const bx = toNumbers(boxesT);
      const sc = toNumbers(scoresT);
      const boxOf = (b: number, i: number): Box => {
        const o = (b * N + i) * 4;
        if (center) {
          const [xc, yc, w, h] = [bx[o], bx[o + 1], bx[o + 2], bx[o + 3]];
          return [yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2];
        }
        return [Math.min(bx[o], bx[o + 2]), Math.min(bx[o + 1], bx[o + 3]), Math.max(bx[o], bx[o + 2]), Math.max(bx[o + 1], bx[o + 3])];
      };
      const rows: number[][] = [];
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          const off = (b * C + c) * N;
          const cand = Array.from({ length: N }, (_, i) => i).filter((i) => scoreTh === undefined || sc[off + i] > scoreTh);
          cand.sort((p, q) => sc[off + q] - sc[off + p] || p - q);
          const kept: number[] = [];
          for (const i of cand) {
            if (kept.length >= maxOut) break;
            const bi = boxOf(b, i);
            if (kept.every((k) => !(iou(boxOf(b, k), bi) > iouTh))) kept.push(i);
          }
          for (const k of kept) rows.push([b, c, k]);
        }
      }
      const out = ctx.alloc('int64', [rows.length, 3]);
      rows.flat().forEach((v, i) => { out.data[i] = BigInt(v); });
      return [out];
    };
  }),
];
