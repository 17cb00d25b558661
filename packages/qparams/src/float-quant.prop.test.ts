import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseQParams } from './choose-qparams.js';
import { dequantize } from './dequantize.js';
import type { FloatQuantDType } from './dtypes.js';
import { smallFloatFormat, type Float8Kind } from './float-bits.js';
import { paramIndexMap, resolveLayout } from './layout.js';
import { maxFinite, miniFloatToNumber } from './minifloat.js';
import { quantize } from './quantize.js';
import { f32, GRANULARITIES, tensorCase } from './test-support/arbitraries.js';

const KINDS: readonly FloatQuantDType[] = ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1'];

for (const dtype of KINDS) {
  const fmt = smallFloatFormat(dtype as Float8Kind | 'float4e2m1');
  const max = maxFinite(fmt);
  const value = (b: number): number => miniFloatToNumber(b, fmt);
  /** Half the spacing of the format around |v| (in units of v). */
  const halfUlp = (v: number): number => {
    const e = Math.max(v === 0 ? -Infinity : Math.floor(Math.log2(Math.abs(v))), 1 - fmt.bias);
    return 2 ** (e - fmt.manBits - 1);
  };

  for (const granularity of GRANULARITIES) {
    describe(`${dtype} symmetric ${granularity}`, () => {
      it('error within half a step of the format (+ float32 rounding); dq(q(0)) == 0; q(dq(q(x))) == q(x)', () => {
        fc.assert(fc.property(tensorCase(dtype, 'symmetric', granularity), ({ data, dims, opts }) => {
          const p = chooseQParams({ data, dims }, opts);
          const layout = resolveLayout(dims, p.scale.length, p.paramDims, p.axis, p.blockSize);
          const idx = paramIndexMap(dims, layout);
          const q = quantize(data, dims, p);
          const y = dequantize(q, dims, p) as Float32Array;
          for (let i = 0; i < data.length; i++) {
            const s = p.scale[idx[i]];
            const slack = (Math.abs(data[i]) + Math.abs(y[i])) * 2 ** -21;
            expect(Math.abs(data[i] - y[i])).toBeLessThanOrEqual(halfUlp(data[i] / s) * s + slack);
          }
          // compared by value: float4e2m1 adds its (+0) zero point as ONNX does, so -0 may come back as +0
          const asValues = (a: ArrayLike<number>): number[] => Array.from(a, (b) => value(b) + 0);
          expect(asValues(quantize(y, dims, p))).toEqual(asValues(q));
          const z = dequantize(quantize(new Float32Array(data.length), dims, p), dims, p);
          expect(Array.from(z).every((v) => v === 0)).toBe(true);
        }), { numRuns: 60 });
      });
    });
  }

  describe(`${dtype} laws over any inputs`, () => {
    it('q is monotonic (by decoded value) and out-of-range values saturate to +-max', () => {
      fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 6 }), f32, f32, (calib, a, b) => {
        const p = chooseQParams({ data: calib, dims: [calib.length] }, { dtype });
        const [x1, x2] = a <= b ? [a, b] : [b, a];
        const q = quantize([x1, x2, 1e38, -Infinity], [4], p);
        expect(value(q[0])).toBeLessThanOrEqual(value(q[1]));
        expect(value(q[2])).toBe(max);
        expect(value(q[3])).toBe(-max);
      }), { numRuns: 100 });
    });
    if (dtype !== 'float4e2m1') {
      it('saturate=false overflows to Inf (e5m2) or NaN', () => {
        const q = quantize([1e38], [1], { dtype, scale: [1] }, { saturate: false });
        const v = value(q[0]);
        if (dtype === 'float8e5m2') expect(v).toBe(Infinity);
        else expect(v).toBeNaN();
      });
    }
    it('float -> bits picks the nearest value, ties to an even mantissa', () => {
      const all = Array.from({ length: 1 << (1 + fmt.expBits + fmt.manBits) }, (_, b) => value(b)).filter((v) => Number.isFinite(v));
      fc.assert(fc.property(fc.float({ min: Math.fround(-max), max: Math.fround(max), noNaN: true }), (x) => {
        const b = quantize([x], [1], { dtype, scale: [1] })[0];
        const v = value(b);
        const best = Math.min(...all.map((w) => Math.abs(x - w)));
        expect(Math.abs(x - v)).toBe(best);
        const ties = all.filter((w) => Math.abs(x - w) === best && w !== v && !(w === 0 && v === 0));
        if (ties.length > 0) expect(b & 1).toBe(0);
      }), { numRuns: 300 });
    });
  });
}
