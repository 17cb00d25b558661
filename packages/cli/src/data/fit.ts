import { Tensor, type DType } from '@lowbit/kernels';
import { DataFormatError } from './errors.js';

/** What a model expects for one input: name, dtype and dims (numbers, or a symbol/null for dynamic). */
export interface InputSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly (number | string | null)[];
}

/**
 * Shapes one sample to a model input. Dynamic dims become 1 for the leading (batch) axis; any other dynamic dim is
 * taken from the sample when ranks agree. The element count must then match exactly; otherwise a DataFormatError says
 * expected vs actual. The data is shared, not copied, when the dtype already matches.
 */
export function fitToInput(sample: Tensor, input: InputSpec, where: string): Tensor {
  const target = input.dims.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (i === 0 && input.dims.length > 1) return sample.dims.length === input.dims.length ? sample.dims[0] : 1;
    return sample.dims.length === input.dims.length ? sample.dims[i] : -1;
  });
  const known = target.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  const unknown = target.filter((d) => d < 0).length;
  if (unknown === 1 && known > 0 && sample.size % known === 0) target[target.indexOf(-1)] = sample.size / known;
  const need = target.reduce((a, b) => a * b, 1);
  if (target.some((d) => d < 0) || need !== sample.size) {
    throw new DataFormatError(
      `${where}: a sample of shape [${sample.dims.join(', ')}] does not fit input "${input.name}" of shape [${input.dims.map((d) => d ?? '?').join(', ')}]`,
      { path: where, expected: `[${input.dims.map((d) => d ?? '?').join(', ')}]`, actual: `[${sample.dims.join(', ')}]` },
    );
  }
  return convert(sample, input.dtype, where).reshape(target);
}

function convert(t: Tensor, dtype: DType, where: string): Tensor {
  if (t.dtype === dtype) return t;
  const numeric = (d: DType) => !['string', 'float16', 'bfloat16', 'int64', 'uint64'].includes(d) && !d.startsWith('float8') && d !== 'float4e2m1';
  if (dtype === 'float32' && numeric(t.dtype)) return new Tensor('float32', Float32Array.from(t.data as ArrayLike<number>), t.dims);
  if (dtype === 'int64' && numeric(t.dtype)) return new Tensor('int64', BigInt64Array.from(t.data as ArrayLike<number>, (v) => BigInt(v)), t.dims);
  throw new DataFormatError(`${where}: data of dtype ${t.dtype} cannot feed input of dtype ${dtype}`, { path: where, expected: dtype, actual: t.dtype });
}

/** Splits a batch along axis 0 into samples (views, no copy). */
export function* samplesOf(t: Tensor): Generator<Tensor> {
  const n = t.dims[0] ?? 1;
  const per = n === 0 ? 0 : t.size / n;
  const rest = t.dims.slice(1);
  for (let i = 0; i < n; i++) {
    const data = (t.data as unknown as { subarray(a: number, b: number): unknown; slice(a: number, b: number): unknown });
    const part = Array.isArray(t.data) ? data.slice(i * per, (i + 1) * per) : data.subarray(i * per, (i + 1) * per);
    yield new Tensor(t.dtype, part as never, rest);
  }
}
