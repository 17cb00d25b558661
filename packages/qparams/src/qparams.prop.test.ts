import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseQParams, type ChosenQParams } from './choose-qparams.js';
import { dequantize } from './dequantize.js';
import { intInfo, type IntQuantDType } from './dtypes.js';
import { paramIndexMap, resolveLayout } from './layout.js';
import { QParamsError } from './qparams-error.js';
import { quantize } from './quantize.js';
import { GRANULARITIES, INT_DTYPES, SCHEMES, tensorCase, f32 } from './test-support/arbitraries.js';

const RUNS = { numRuns: 100 };

/** A normal float32 whose mantissa bits are all zero. */
function isPowerOfTwoF32(s: number): boolean {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, s, true);
  const bits = dv.getUint32(0, true);
  return Math.fround(s) === s && (bits & 0x7fffff) === 0 && ((bits >>> 23) & 0xff) !== 0;
}

function paramIndex(dims: readonly number[], p: ChosenQParams): Int32Array {
  return paramIndexMap(dims, resolveLayout(dims, p.scale.length, p.paramDims, p.axis, p.blockSize));
}

/** Slice `dims` along `axis` at indices [from, to): the sub-tensor's data and dims. */
function slice(data: Float32Array, dims: readonly number[], axis: number, from: number, to: number): { data: Float32Array; dims: number[] } {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const A = dims[axis];
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let a = from; a < to; a++) for (let r = 0; r < inner; r++) out.push(data[(o * A + a) * inner + r]);
  const d = [...dims];
  d[axis] = to - from;
  return { data: Float32Array.from(out), dims: d };
}

for (const dtype of INT_DTYPES) {
  for (const scheme of SCHEMES) {
    for (const granularity of GRANULARITIES) {
      describe(`${dtype} ${scheme} ${granularity}`, () => {
        it('|x - dq(q(x))| <= scale/2 (+ float32 rounding) inside the range; dq(q(0)) == 0; q(dq(q(x))) == q(x)', () => {
          fc.assert(fc.property(tensorCase(dtype, scheme, granularity), ({ data, dims, opts }) => {
            const p = chooseQParams({ data, dims }, opts);
            const q = quantize(data, dims, p);
            const y = dequantize(q, dims, p) as Float32Array;
            const idx = paramIndex(dims, p);
            for (let i = 0; i < data.length; i++) {
              const s = p.scale[idx[i]];
              // float32 rounding: of x / scale and of the product, plus that of the zero point's
              // qmin - rmin / scale (at most an ulp of |qmin| + |qmax| levels, visible for int16)
              const slack = (Math.abs(data[i]) + Math.abs(y[i])) * 2 ** -22 + s * (Math.abs(p.qmin) + Math.abs(p.qmax)) * 2 ** -23;
              expect(Math.abs(data[i] - y[i])).toBeLessThanOrEqual(s / 2 + slack);
              expect(q[i]).toBeGreaterThanOrEqual(p.qmin);
              expect(q[i]).toBeLessThanOrEqual(p.qmax);
            }
            expect(Array.from(quantize(y, dims, p))).toEqual(Array.from(q));
            const zeros = new Float32Array(data.length);
            expect(Array.from(dequantize(quantize(zeros, dims, p), dims, p)).every((v) => v === 0)).toBe(true);
          }), RUNS);
        });

        it('values outside the range saturate at qmin/qmax', () => {
          fc.assert(fc.property(tensorCase(dtype, scheme, granularity), fc.float({ min: 1e6, max: Math.fround(1e30), noNaN: true }), ({ data, dims, opts }, big) => {
            const p = chooseQParams({ data, dims }, opts);
            const n = data.length;
            // far above/below every group's range (ranges are within 1e4; scales >= 2^-23 keep 1e6 out of range)
            const hi = quantize(new Float32Array(n).fill(Math.fround(big) * 1e10 + 1e20), dims, p);
            const lo = quantize(new Float32Array(n).fill(-Infinity), dims, p);
            expect(Array.from(hi).every((v) => v === p.qmax)).toBe(true);
            expect(Array.from(lo).every((v) => v === p.qmin)).toBe(true);
          }), RUNS);
        });

        if (granularity !== 'per-tensor') {
          it(`${granularity} equals per-tensor applied to each ${granularity === 'per-axis' ? 'slice' : 'block'}`, () => {
            fc.assert(fc.property(tensorCase(dtype, scheme, granularity), ({ data, dims, opts }) => {
              const p = chooseQParams({ data, dims }, opts);
              const q = quantize(data, dims, p);
              const step = granularity === 'per-axis' ? 1 : p.blockSize;
              const inner = dims.slice(p.axis + 1).reduce((a, b) => a * b, 1);
              const outer = dims.slice(0, p.axis).reduce((a, b) => a * b, 1);
              for (let a = 0; a < dims[p.axis]; a += step) {
                if (granularity === 'per-axis') {
                  const s = slice(data, dims, p.axis, a, a + 1);
                  const pt = chooseQParams(s, { ...opts, granularity: 'per-tensor' });
                  expect(pt.scale[0]).toBe(p.scale[a]);
                  expect(pt.zeroPoint[0]).toBe(p.zeroPoint[a]);
                  expect(Array.from(quantize(s.data, s.dims, pt))).toEqual(Array.from(slice(Float32Array.from(q), dims, p.axis, a, a + 1).data));
                } else {
                  // a block is one (outer, block, inner) cell: check each separately
                  const s = slice(data, dims, p.axis, a, a + step);
                  const qs = slice(Float32Array.from(q), dims, p.axis, a, a + step);
                  for (let o = 0; o < outer; o++) {
                    for (let r = 0; r < inner; r++) {
                      const cell: number[] = [];
                      const qcell: number[] = [];
                      for (let b = 0; b < step; b++) { cell.push(s.data[(o * step + b) * inner + r]); qcell.push(qs.data[(o * step + b) * inner + r]); }
                      const pt = chooseQParams({ data: cell, dims: [step] }, { ...opts, granularity: 'per-tensor' });
                      const g = (o * p.paramDims[p.axis] + a / step) * inner + r;
                      expect(pt.scale[0]).toBe(p.scale[g]);
                      expect(pt.zeroPoint[0]).toBe(p.zeroPoint[g]);
                      expect(Array.from(quantize(cell, [step], pt))).toEqual(qcell);
                    }
                  }
                }
              }
            }), RUNS);
          });
        }
      });
    }
  }

  describe(`${dtype} laws over any inputs`, () => {
    it('q is monotonic', () => {
      fc.assert(fc.property(fc.constantFrom(...SCHEMES), fc.array(f32, { minLength: 1, maxLength: 8 }), f32, f32, (scheme, calib, a, b) => {
        const p = chooseQParams({ data: calib, dims: [calib.length] }, { dtype, scheme });
        const [x1, x2] = a <= b ? [a, b] : [b, a];
        const q = quantize([x1, x2, -Infinity, Infinity], [4], p);
        expect(q[0]).toBeLessThanOrEqual(q[1]);
      }), { numRuns: 100 });
    });

    it('reduce-range codes stay within one bit fewer (2-bit types refuse reduce-range)', () => {
      const info = intInfo(dtype as IntQuantDType);
      if (info.bits === 2) {
        expect(() => chooseQParams({ data: [1], dims: [1] }, { dtype, reduceRange: true })).toThrow(QParamsError);
        return;
      }
      const lo = info.signed ? -(2 ** (info.bits - 2)) : 0;
      const hi = info.signed ? 2 ** (info.bits - 2) - 1 : 2 ** (info.bits - 1) - 1;
      fc.assert(fc.property(fc.constantFrom(...SCHEMES), tensorCase(dtype, 'asymmetric', 'per-tensor'), fc.array(f32, { minLength: 1, maxLength: 4 }), (scheme, { data, dims }, probe) => {
        const p = chooseQParams({ data, dims }, { dtype, scheme, reduceRange: true });
        expect(p.qmin).toBeGreaterThanOrEqual(lo);
        expect(p.qmax).toBeLessThanOrEqual(hi);
        for (const v of [...quantize(data, dims, p), ...quantize(probe, [probe.length], p)]) {
          expect(v).toBeGreaterThanOrEqual(lo);
          expect(v).toBeLessThanOrEqual(hi);
        }
      }), { numRuns: 50 });
    });

    it('power-of-two scales are exact powers of two and keep the error bound', () => {
      for (const scheme of SCHEMES) {
        fc.assert(fc.property(tensorCase(dtype, scheme, 'per-axis', { powerOfTwo: true }), ({ data, dims, opts }) => {
          const p = chooseQParams({ data, dims }, opts);
          for (const s of p.scale) expect(isPowerOfTwoF32(s)).toBe(true);
          const y = dequantize(quantize(data, dims, p), dims, p);
          const idx = paramIndex(dims, p);
          for (let i = 0; i < data.length; i++) {
            const s = p.scale[idx[i]];
            expect(Math.abs(data[i] - y[i])).toBeLessThanOrEqual(s / 2 + (Math.abs(data[i]) + Math.abs(y[i])) * 2 ** -22 + s * (Math.abs(p.qmin) + Math.abs(p.qmax)) * 2 ** -23);
          }
        }), { numRuns: 30 });
      }
    });
  });
}
