import fc from 'fast-check';
import type { ChooseQParamsOptions } from '../choose-qparams.js';
import type { IntQuantDType } from '../dtypes.js';
import type { Granularity } from '../layout.js';
import type { Scheme } from '../qparams-from-range.js';

export const INT_DTYPES: readonly IntQuantDType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'uint2', 'int2'];
export const SCHEMES: readonly Scheme[] = ['asymmetric', 'symmetric', 'symmetric-restricted'];
export const GRANULARITIES: readonly Granularity[] = ['per-tensor', 'per-axis', 'per-block'];

/** A float32 value of moderate magnitude, sometimes tiny, sometimes exactly 0 or a small integer. */
export const f32 = fc.oneof(
  fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }),
  fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -300, max: 300 }),
  fc.constant(0),
).map((v) => Math.fround(v) + 0);

export interface TensorCase {
  readonly data: Float32Array;
  readonly dims: number[];
  readonly opts: ChooseQParamsOptions;
}

/** A tensor of rank 1-3 and chooseQParams options for the given dtype/scheme/granularity (block size divides). */
export function tensorCase(dtype: ChooseQParamsOptions['dtype'], scheme: Scheme, granularity: Granularity, extra: Partial<ChooseQParamsOptions> = {}): fc.Arbitrary<TensorCase> {
  return fc
    .record({
      dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      axisSeed: fc.nat(),
      negativeAxis: fc.boolean(),
      blockSize: fc.integer({ min: 1, max: 3 }),
    })
    .chain(({ dims, axisSeed, negativeAxis, blockSize }) => {
      const axis = axisSeed % dims.length;
      const d = [...dims];
      if (granularity === 'per-block') d[axis] *= blockSize;
      const n = d.reduce((a, b) => a * b, 1);
      return fc.array(f32, { minLength: n, maxLength: n }).map((values) => ({
        data: Float32Array.from(values),
        dims: d,
        opts: {
          dtype, scheme, granularity, ...extra,
          ...(granularity === 'per-tensor' ? {} : { axis: negativeAxis ? axis - d.length : axis }),
          ...(granularity === 'per-block' ? { blockSize } : {}),
        },
      }));
    });
}
