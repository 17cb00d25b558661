/**
 * DepthToSpace(blocksize b, mode DCR|CRD) and SpaceToDepth(blocksize b) on NCHW tensors, as reshape-transpose-reshape:
 * DCR: [N,b,b,C/b^2,H,W] -perm(0,3,4,1,5,2)-> [N,C/b^2,H*b,W*b]; CRD: [N,C/b^2,b,b,H,W] -perm(0,1,4,2,5,3)->;
 * SpaceToDepth: [N,C,H/b,b,W/b,b] -perm(0,3,5,1,2,4)-> [N,C*b^2,H/b,W/b]. Elements move bit for bit.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { scalarKernel } from './util/variant.js';
import { transposeTensor } from './transpose.js';
import { freshRunContext } from '../run-context.js';

export const DEPTH_SPACE_KERNELS: KernelVariant[] = [
  scalarKernel('DepthToSpace', (node) => {
    const b = attrInt(node, 'blocksize', 0);
    const mode = attrString(node, 'mode', 'DCR');
    if (b <= 0) throw kernelError(node, 'attribute "blocksize"', { expected: '> 0', actual: String(b) });
    if (mode !== 'DCR' && mode !== 'CRD') throw kernelError(node, 'attribute "mode"', { expected: 'DCR or CRD', actual: mode });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length !== 4 || x.dims[1] % (b * b) !== 0) {
        throw kernelError(node, 'shape', { inputIndex: 0, expected: `[N, C, H, W] with C divisible by ${b * b}`, actual: `[${x.dims}]` });
      }
      const [n, c, h, w] = x.dims;
      const c2 = c / (b * b);
      const t = mode === 'DCR'
        ? transposeTensor(x.reshape([n, b, b, c2, h, w]), [0, 3, 4, 1, 5, 2], freshRunContext)
        : transposeTensor(x.reshape([n, c2, b, b, h, w]), [0, 1, 4, 2, 5, 3], freshRunContext);
      const out = ctx.alloc(x.dtype, [n, c2, h * b, w * b]);
      copyInto(t.data, out.data);
      return [out];
    };
  }),
  scalarKernel('SpaceToDepth', (node) => {
    const b = attrInt(node, 'blocksize', 0);
    if (b <= 0) throw kernelError(node, 'attribute "blocksize"', { expected: '> 0', actual: String(b) });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length !== 4 || x.dims[2] % b !== 0 || x.dims[3] % b !== 0) {
        throw kernelError(node, 'shape', { inputIndex: 0, expected: `[N, C, H, W] with H and W divisible by ${b}`, actual: `[${x.dims}]` });
      }
      const [n, c, h, w] = x.dims;
      const t = transposeTensor(x.reshape([n, c, h / b, b, w / b, b]), [0, 3, 5, 1, 2, 4], freshRunContext);
      const out = ctx.alloc(x.dtype, [n, c * b * b, h / b, w / b]);
      copyInto(t.data, out.data);
      return [out];
    };
  }),
];

function copyInto(src: unknown, dst: unknown): void {
  const s = src as ArrayLike<unknown>;
  const d = dst as { [i: number]: unknown };
  for (let i = 0; i < s.length; i++) d[i] = s[i];
}
