/**
 * Value sources of the equivalence harness: element values drawn with a bias to the edges that break kernels (NaN,
 * +-Infinity, -0, exact .5 ties, saturation edges, the largest finite values, subnormals), seeded for the size sweeps
 * and driven by fast-check draws for the property.
 */
import fc from 'fast-check';
import type { DType, Tensor } from '@lowbit/kernels';
import { Tensor as TensorClass, allocData, sizeOf } from '@lowbit/kernels';

/** Draws element values (in the dtype's storage convention) with a bias to edge values. */
export interface ValueSource {
  /** One element value for `dtype`. */
  next(dtype: DType): number | bigint;
  /**
   * A tensor of `dims` filled with `next(dtype)`. With `finite`, float values that are NaN, infinite or beyond 2^20 in
   * magnitude are replaced by uniform ones (ties, -0 and subnormals stay): for float variants whose reordered sums
   * may legitimately overflow differently from the reference.
   */
  tensor<D extends DType>(dtype: D, dims: readonly number[], opts?: { readonly finite?: boolean }): Tensor<D>;
}


/** Edge values per dtype (storage convention). Small floats formats are drawn as raw bit patterns. */
const EDGES: Partial<Record<DType, readonly (number | bigint)[]>> = {
  float32: [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, 255.5, -128.5, 127.5],
  float64: [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -0.5, -2.5, 1, -1, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1022, 255.5, -128.5],
  int8: [-128, 127, 0, -1, 1, -127],
  uint8: [0, 255, 128, 127, 1, 254],
  int16: [-32768, 32767, 0, -1, 1],
  uint16: [0, 65535, 32768, 1],
  int32: [-2147483648, 2147483647, 0, -1, 1],
  uint32: [0, 4294967295, 2147483648, 1],
  int64: [0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n],
  uint64: [0n, 1n, 18446744073709551615n],
  bool: [0, 1],
  int4: [-8, 7, 0, -1],
  uint4: [0, 15, 8, 1],
  int2: [-2, 1, 0, -1],
  uint2: [0, 3, 1, 2],
  float16: [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3800, 0x3e00, 0x4100, 0x7bff, 0x0001],
  bfloat16: [0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x3f00, 0x3fc0],
};

/** A uniform value of `dtype` from u in [0, 1). Floats: within +-64, half of them on a multiple of 0.5. */
function uniform(dtype: DType, u: number, v: number): number | bigint {
  switch (dtype) {
    case 'float32':
    case 'float64': {
      const x = (u * 2 - 1) * 64;
      return v < 0.5 ? Math.floor(x * 2) / 2 : dtype === 'float32' ? Math.fround(x) : x;
    }
    case 'int8': return Math.floor(u * 256) - 128;
    case 'uint8': case 'bool': return dtype === 'bool' ? (u < 0.5 ? 0 : 1) : Math.floor(u * 256);
    case 'int16': return Math.floor(u * 65536) - 32768;
    case 'uint16': case 'float16': case 'bfloat16': return Math.floor(u * 65536);
    case 'int32': return Math.floor(u * 2 ** 32) - 2 ** 31;
    case 'uint32': return Math.floor(u * 2 ** 32);
    case 'int64': return BigInt(Math.floor(u * 2 ** 40) - 2 ** 39);
    case 'uint64': return BigInt(Math.floor(u * 2 ** 40));
    case 'int4': return Math.floor(u * 16) - 8;
    case 'uint4': return Math.floor(u * 16);
    case 'int2': return Math.floor(u * 4) - 2;
    case 'uint2': return Math.floor(u * 4);
    case 'string': throw new TypeError('equivalence: string tensors are not supported');
    default: return Math.floor(u * 256); // float8 / float4 kinds: any bit pattern
  }
}

/** A value drawn by the property: an edge (index into EDGES) or uniform coordinates. */
export type Draw = { readonly edge: number } | { readonly u: number; readonly v: number };

export const drawArb: fc.Arbitrary<Draw> = fc.oneof(
  { weight: 1, arbitrary: fc.nat(31).map((edge) => ({ edge })) },
  { weight: 2, arbitrary: fc.record({ u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), v: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }) },
);

function valueOf(dtype: DType, d: Draw): number | bigint {
  if ('edge' in d) {
    const e = EDGES[dtype];
    if (e && e.length > 0) return e[d.edge % e.length];
    return uniform(dtype, (d.edge % 16) / 16, 0.9);
  }
  return uniform(dtype, d.u, d.v);
}

/** A ValueSource cycling through `draws` (the property) — position-dependent so equal draws still vary by index. */
export function sourceFromDraws(draws: readonly Draw[]): ValueSource {
  let k = 0;
  return makeSource((dtype) => {
    const d = draws[k % draws.length];
    const lap = Math.floor(k / draws.length);
    k++;
    if (lap === 0 || 'edge' in d) return valueOf(dtype, d);
    return valueOf(dtype, { u: (d.u + lap * 0.6180339887) % 1, v: d.v });
  });
}

/** A seeded ValueSource (mulberry32), 1 in 4 values an edge. */
export function seededSource(seed: number): ValueSource {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return makeSource((dtype) => (rand() < 0.25 ? valueOf(dtype, { edge: Math.floor(rand() * 32) }) : valueOf(dtype, { u: rand(), v: rand() })));
}

function makeSource(next: (dtype: DType) => number | bigint): ValueSource {
  return {
    next,
    tensor<D extends DType>(dtype: D, dims: readonly number[], opts?: { readonly finite?: boolean }): Tensor<D> {
      const n = sizeOf(dims);
      const data = allocData(dtype, n) as unknown as { [i: number]: number | bigint };
      const tame = opts?.finite === true && (dtype === 'float32' || dtype === 'float64');
      for (let i = 0; i < n; i++) {
        const x = next(dtype);
        data[i] = tame && !(Math.abs(x as number) <= 2 ** 20) ? uniform(dtype, ((i * 0.6180339887) % 1), 0.2) : x;
      }
      return new TensorClass(dtype, data as never, dims);
    },
  };
}
