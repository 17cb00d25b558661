import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { asFloatValues } from './layer-plan.js';

describe('asFloatValues', () => {
  it('dequantizes uint8 as (q - zeroPoint) * scale', () => {
    // scale 0.5, zero point 128: 130 -> 2 * 0.5 = 1; 128 -> 0; 0 -> -128 * 0.5 = -64; 255 -> 127 * 0.5 = 63.5.
    const v = asFloatValues(new Tensor('uint8', Uint8Array.from([130, 128, 0, 255]), [4]), { scale: 0.5, zeroPoint: 128 });
    expect([...(v as Float32Array)]).toEqual([1, 0, -64, 63.5]);
  });

  it('dequantizes int8 with float32 rounding of the product', () => {
    // scale 0.1 is float32 0.100000001490116...; -3 * fround(0.1) rounded to float32 is fround(-0.3) = -0.30000001192...
    const v = asFloatValues(new Tensor('int8', Int8Array.from([-3, 0, 7]), [3]), { scale: 0.1, zeroPoint: 0 }) as Float32Array;
    expect(v[0]).toBe(Math.fround(-0.3));
    expect(v[1]).toBe(0);
    expect(v[2]).toBe(Math.fround(7 * Math.fround(0.1)));
  });

  it('passes float tensors through and gives up on integers without qparams or non-numeric dtypes', () => {
    const f = new Tensor('float32', Float32Array.from([1.5, -2]), [2]);
    expect(asFloatValues(f, undefined)).toBe(f.data);
    expect(asFloatValues(new Tensor('uint8', Uint8Array.from([1]), [1]), undefined)).toBeUndefined();
    expect(asFloatValues(new Tensor('bool', Uint8Array.from([1]), [1]), { scale: 1, zeroPoint: 0 })).toBeUndefined();
  });
});
