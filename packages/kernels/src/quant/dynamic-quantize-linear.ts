/**
 * DynamicQuantizeLinear (opset 11): float32 -> uint8 with scale and zero point computed from the data, numerics
 * from `@lowbit/qparams` `dynamicQuantize` (all float32):
 *
 *   rmin = min(0, min(x)), rmax = max(0, max(x)), scale = (rmax - rmin) / 255 (1 where that is 0:
 *   all zero, or subnormal values whose range underflows)
 *   zero_point = roundHalfEven(clamp(-rmin / scale, 0, 255)),  y = clamp(roundHalfEven(x / scale) + zero_point, 0, 255)
 *
 * Outputs y (uint8, x's shape), y_scale (float32 scalar), y_zero_point (uint8 scalar). An empty input or a
 * NaN/infinite element is a KernelError (ONNX leaves them undefined).
 *
 * Example: x = [0, 2, -3, -2.5, 1.34, 0.5] -> scale 5/255, zero point 153, y = [153, 255, 0, 26, 221, 179].
 */
import type { KernelVariant } from '../contract.js';
import { dynamicQuantize } from '@lowbit/qparams';
import { input } from '../nn/checks.js';
import { viaQParams } from './qparams-call.js';

export const DYNAMIC_QUANTIZE_LINEAR_KERNELS: KernelVariant[] = [{
  key: 'DynamicQuantizeLinear:f32->u8',
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create(node) {
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['float32'] as const);
        const r = viaQParams(node, () => dynamicQuantize(x.data));
        const y = ctx.alloc('uint8', x.dims);
        y.data.set(r.y);
        const scale = ctx.alloc('float32', []);
        scale.data[0] = r.scale;
        const zp = ctx.alloc('uint8', []);
        zp.data[0] = r.zeroPoint;
        return [y, scale, zp];
      },
    };
  },
}];
