import { CalibrationError } from '../core/errors.js';
import type { Feeds, InputMetadata } from './model.js';

const STORAGE: Readonly<Record<string, string>> = {
  float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', bfloat16: 'Uint16Array',
  int8: 'Int8Array', uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array', int32: 'Int32Array',
  uint32: 'Uint32Array', int64: 'BigInt64Array', uint64: 'BigUint64Array', bool: 'Uint8Array',
};

/**
 * Checks one batch of feeds against the model's inputs before anything runs, so bad data fails with a
 * `CalibrationError` naming the input and the batch: missing or unknown names, non-tensor values, dtypes other
 * than the input's, storage that does not fit the dtype, dims that are not non-negative integers, a rank or fixed
 * dim other than the input's, data length not matching dims, and empty data (a 0-element feed calibrates nothing).
 */
export function validateFeeds(feeds: Feeds, inputNames: readonly string[], metadata: readonly InputMetadata[] | undefined, batch: number): void {
  const at = `calibration batch ${batch}`;
  if (typeof feeds !== 'object' || feeds === null) {
    throw new CalibrationError(`${at}: feeds must be an object mapping input names to tensors, got ${feeds === null ? 'null' : typeof feeds}`, { batch });
  }
  for (const name of Object.keys(feeds)) {
    if (!inputNames.includes(name)) {
      throw new CalibrationError(`${at}: feed "${name}" is not a model input (inputs: ${inputNames.join(', ')})`, {
        batch, input: name, expected: inputNames.join(', '), actual: name,
      });
    }
  }
  for (const name of inputNames) {
    const t = feeds[name];
    if (t === undefined) {
      throw new CalibrationError(`${at}: input "${name}" has no feed (got ${Object.keys(feeds).join(', ') || 'none'})`, { batch, input: name });
    }
    const fail = (what: string, expected: string, actual: string): never => {
      throw new CalibrationError(`${at}: input "${name}": ${what}: expected ${expected}, got ${actual}`, { batch, input: name, expected, actual });
    };
    if (typeof t !== 'object' || t === null || typeof t.dtype !== 'string' || !Array.isArray(t.dims) || t.data === undefined || t.data === null) {
      fail('not a tensor', '{ dtype, dims, data }', t === null ? 'null' : typeof t);
    }
    const meta = metadata?.find((m) => m.name === name);
    const metaType = meta?.dtype ?? meta?.type;
    const metaDims = meta?.dims ?? meta?.shape;
    if (metaType !== undefined && metaType !== t.dtype) fail('wrong dtype', metaType, t.dtype);
    const storage = STORAGE[t.dtype];
    const ctor = (t.data as object).constructor?.name ?? typeof t.data;
    if (storage !== undefined && ctor !== storage) fail(`wrong storage for ${t.dtype}`, storage, ctor);
    let size = 1;
    for (const d of t.dims) {
      if (!Number.isInteger(d) || d < 0) fail('bad dims', 'non-negative integers', `[${t.dims.join(', ')}]`);
      size *= d;
    }
    if (metaDims !== undefined) {
      const want = `[${metaDims.join(', ')}]`;
      if (metaDims.length !== t.dims.length) fail('wrong rank', `rank ${metaDims.length} ${want}`, `rank ${t.dims.length} [${t.dims.join(', ')}]`);
      metaDims.forEach((d, k) => {
        if (typeof d === 'number' && d >= 0 && d !== t.dims[k]) fail(`wrong shape at dim ${k}`, want, `[${t.dims.join(', ')}]`);
      });
    }
    if (t.data.length !== size) fail('data length does not match dims', `${size} elements for [${t.dims.join(', ')}]`, `${t.data.length}`);
    if (size === 0) fail('empty data', 'at least one element', `0 elements [${t.dims.join(', ')}]`);
  }
}
