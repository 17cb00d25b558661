import { Tensor, type DType } from '@lowbit/kernels';
import type { InputSpec } from './fit.js';

/**
 * Deterministic inputs for benchmarking and smoke runs: dynamic dims become 1, floats are uniform in [0, 1) from a
 * seeded xorshift32 generator, integers in [0, 10), bools alternate.
 */
export function syntheticFeeds(inputs: readonly InputSpec[], seed: number): Record<string, Tensor> {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    const dims = input.dims.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = make(input.dtype, n, dims, next);
  }
  return feeds;
}

function make(dtype: DType, n: number, dims: number[], next: () => number): Tensor {
  switch (dtype) {
    case 'float32': return new Tensor('float32', Float32Array.from({ length: n }, next), dims);
    case 'float64': return new Tensor('float64', Float64Array.from({ length: n }, next), dims);
    case 'int64': return new Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))), dims);
    case 'int32': return new Tensor('int32', Int32Array.from({ length: n }, () => Math.floor(next() * 10)), dims);
    case 'uint8': return new Tensor('uint8', Uint8Array.from({ length: n }, () => Math.floor(next() * 10)), dims);
    case 'int8': return new Tensor('int8', Int8Array.from({ length: n }, () => Math.floor(next() * 10)), dims);
    case 'bool': return new Tensor('bool', Uint8Array.from({ length: n }, (_, i) => i % 2), dims);
    default: throw new Error(`synthetic input of dtype ${dtype} is not supported`);
  }
}
