/**
 * TensorStore: the one way tensor bytes are read from external-data files, confined to the model's folder.
 *
 * A location is refused (ExternalDataError naming the tensor and the path) when it is empty, absolute (POSIX or
 * Windows), contains a `..` segment or a NUL, or resolves (after following symbolic links) to a file outside the
 * model's folder. A missing file, a non-regular file, a range past the end of the file, or a range whose length is
 * not what the tensor's dims and dtype need (checked with one stat, before any read) is also an
 * ExternalDataError. Checksums are kept for re-encoding but not verified.
 */
import { elementCount, rawByteLength } from './dtype.js';
import { ExternalDataError } from './errors.js';
import { nodeFs, nodeFsPromises, nodePath } from './node-builtins.js';
import { valuesFromBytes, type TensorValues } from './tensor-values.js';
import type { ExternalTensor, TensorRef } from './types.js';

/** A confined, checked byte range of an external tensor. */
export interface ExternalRange {
  /** Real absolute path of the data file (symbolic links resolved, inside the base folder). */
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

export interface TensorStore {
  /** Checks confinement and bounds without reading any tensor data. */
  resolve(t: ExternalTensor): ExternalRange;
  read(t: ExternalTensor): Promise<Uint8Array>;
  readSync(t: ExternalTensor): Uint8Array;
  /**
   * Bytes `[start, start + length)` of the tensor's data (relative to the tensor, not the file), so a large tensor
   * can be processed in pieces without holding all of it. Optional: without it, {@link readTensorRangeSync} reads
   * the whole tensor and slices.
   */
  readRangeSync?(t: ExternalTensor, start: number, length: number): Uint8Array;
}

export interface TensorStoreOptions {
  /** Base folder for tensors that carry none (decoded from bytes without `baseDir`). */
  readonly baseDir?: string;
}

function fail(t: ExternalTensor, baseDir: string | undefined, why: string, cause?: unknown, range?: { offset: number; length?: number }): never {
  const ctx: { tensorName: string; location: string; baseDir?: string; offset?: number; length?: number } = { tensorName: t.name, location: t.location };
  if (baseDir !== undefined) ctx.baseDir = baseDir;
  if (range !== undefined) {
    ctx.offset = range.offset;
    if (range.length !== undefined) ctx.length = range.length;
  }
  throw new ExternalDataError(`external data of tensor "${t.name}" at "${t.location}": ${why}`, ctx, cause);
}

/** Checks that `location` is a plain relative path with no `..` segment. Returns a reason when it is not. */
export function unsafeLocationReason(location: string): string | undefined {
  if (location === '') return 'the location is empty';
  if (location.includes('\0')) return 'the location contains a NUL character';
  if (location.startsWith('/') || location.startsWith('\\') || /^[a-zA-Z]:/.test(location)) return 'absolute paths are not allowed';
  if (location.split(/[\\/]/).some((s) => s === '..')) return '".." segments are not allowed';
  return undefined;
}

/** Bytes the tensor's dims and dtype need; undefined for STRING, unknown dtypes and invalid dims. */
function expectedBytes(t: ExternalTensor): number | undefined {
  if (!t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
  const n = elementCount(t.dims);
  return Number.isSafeInteger(n) ? rawByteLength(t.dtype, n) : undefined;
}

/** A store reading through the file system. Stateless: each call opens, reads and closes. */
export function createTensorStore(options: TensorStoreOptions = {}): TensorStore {
  const resolve = (t: ExternalTensor): ExternalRange => {
    const { realpathSync, statSync } = nodeFs();
    const { join, sep } = nodePath();
    const baseDir = t.baseDir ?? options.baseDir;
    const reason = unsafeLocationReason(t.location);
    if (reason !== undefined) fail(t, baseDir, `${reason} (external data must stay inside the model's folder)`);
    if (baseDir === undefined) fail(t, baseDir, 'the model has no base folder (decode with { baseDir } or use loadModel)');
    let realBase: string;
    let real: string;
    try {
      realBase = realpathSync(baseDir);
    } catch (err) {
      fail(t, baseDir, `the model folder "${baseDir}" cannot be opened`, err);
    }
    try {
      real = realpathSync(join(baseDir, t.location));
    } catch (err) {
      fail(t, baseDir, 'the file does not exist or cannot be opened', err);
    }
    const prefix = realBase.endsWith(sep) ? realBase : realBase + sep;
    if (!real.startsWith(prefix)) fail(t, baseDir, `it resolves to "${real}", outside the model's folder "${realBase}"`);
    const st = statSync(real);
    if (!st.isFile()) fail(t, baseDir, 'it is not a regular file');
    const offset = t.offset;
    const length = t.length ?? st.size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > st.size) {
      fail(t, baseDir, `bytes [${offset}, ${offset + length}) are past the end of the ${st.size}-byte file`, undefined, { offset, length });
    }
    // The range must hold exactly what the dims need: checked before any byte is read, so a huge file behind a
    // small tensor costs one stat, not a read.
    const expected = expectedBytes(t);
    if (expected !== undefined && length !== expected) {
      fail(t, baseDir, `${length} bytes at offset ${offset}, but dims [${t.dims.join(', ')}] need ${expected} bytes`, undefined, { offset, length });
    }
    return { path: real, offset, length };
  };
  return {
    resolve,
    async read(t) {
      const r = resolve(t);
      const out = new Uint8Array(r.length);
      const fh = await nodeFsPromises().open(r.path, 'r');
      try {
        let done = 0;
        while (done < r.length) {
          const { bytesRead } = await fh.read(out, done, Math.min(r.length - done, 1 << 30), r.offset + done);
          if (bytesRead === 0) fail(t, t.baseDir, 'the file ended early', undefined, { offset: r.offset, length: r.length });
          done += bytesRead;
        }
      } finally {
        await fh.close();
      }
      return out;
    },
    readSync(t) {
      const r = resolve(t);
      return readFileRangeSync(t, r.path, r.offset, r.length);
    },
    readRangeSync(t, start, length) {
      const r = resolve(t);
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(length) && start >= 0 && length >= 0 && start + length <= r.length)) {
        fail(t, t.baseDir, `bytes [${start}, ${start + length}) are outside the tensor's ${r.length} bytes`, undefined, { offset: r.offset + start, length });
      }
      return readFileRangeSync(t, r.path, r.offset + start, length);
    },
  };
}

function readFileRangeSync(t: ExternalTensor, path: string, offset: number, length: number): Uint8Array {
  const { openSync, readSync, closeSync } = nodeFs();
  const out = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
      if (n === 0) fail(t, t.baseDir, 'the file ended early', undefined, { offset, length });
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * Bytes `[start, start + length)` of the tensor's raw_data-layout bytes: a view of inline data, a slice of a lazy
 * tensor's bytes, or, for an external tensor, only that range read through `store` (`readRangeSync` when the store
 * has it, else the whole tensor sliced).
 */
export function readTensorRangeSync(t: TensorRef, start: number, length: number, store: TensorStore = createTensorStore()): Uint8Array {
  if (t.kind === 'external' && store.readRangeSync) return store.readRangeSync(t, start, length);
  const all = readTensorBytesSync(t, store);
  if (start < 0 || length < 0 || start + length > all.byteLength) {
    throw new ExternalDataError(`tensor "${t.name}": bytes [${start}, ${start + length}) are outside its ${all.byteLength} bytes`, { tensorName: t.name, location: t.kind === 'external' ? t.location : '' });
  }
  return all.subarray(start, start + length);
}

/**
 * The tensor's bytes in raw_data layout: inline data as is (no copy; empty for STRING tensors, whose elements are in
 * `strings`), a lazy tensor's computed bytes, or an external tensor's bytes read through `store` (by default a
 * file-system store confined to the tensor's `baseDir`).
 */
export async function readTensorBytes(t: TensorRef, store: TensorStore = createTensorStore()): Promise<Uint8Array> {
  if (t.kind === 'inline') return t.data;
  if (t.kind === 'lazy') return await t.compute();
  return store.read(t);
}

/** Synchronous {@link readTensorBytes}. A lazy tensor whose compute is async is an ExternalDataError. */
export function readTensorBytesSync(t: TensorRef, store: TensorStore = createTensorStore()): Uint8Array {
  if (t.kind === 'inline') return t.data;
  if (t.kind === 'lazy') {
    const r = t.compute();
    if (r instanceof Promise) {
      throw new ExternalDataError(`tensor "${t.name}" is lazy and computes asynchronously; use readTensorBytes`, { tensorName: t.name, location: '' });
    }
    return r;
  }
  return store.readSync(t);
}

/** The tensor's values in the kernels' storage convention (see tensor-values.ts), reading external data if needed. */
export async function tensorValues(t: TensorRef, store?: TensorStore): Promise<TensorValues> {
  return valuesFromBytes({ ...t, strings: t.kind === 'inline' ? t.strings : undefined }, await readTensorBytes(t, store));
}

/** Synchronous {@link tensorValues}. */
export function tensorValuesSync(t: TensorRef, store?: TensorStore): TensorValues {
  return valuesFromBytes({ ...t, strings: t.kind === 'inline' ? t.strings : undefined }, readTensorBytesSync(t, store));
}
