/**
 * Opening data files (--calib, --inputs) safely: regular files only, within a size cap, so `/dev/zero` or a named pipe
 * is refused up front instead of filling memory or blocking forever. Errors are DataFormatErrors (exit 2).
 */
import type { FileHandle } from 'node:fs/promises';
import { LowbitError, openRegularFile, readRegularFile } from '@lowbit/onnx-ir';
import { DataFormatError } from './errors.js';

/** Largest data file read (4 GiB). */
export const MAX_DATA_FILE_BYTES = 2 ** 32;

function asDataError(path: string, err: unknown): unknown {
  if (!(err instanceof LowbitError)) return err;
  // Keep an errno cause (ENOENT, EACCES) visible to the exit-code mapping.
  return new DataFormatError(err.message.replace(/^cannot read data file/, `${path}: cannot read`), { path }, err.cause ?? err);
}

/** Opens `path` for reading: a regular file of at most MAX_DATA_FILE_BYTES. The caller closes the handle. */
export async function openDataFile(path: string, maxBytes = MAX_DATA_FILE_BYTES): Promise<{ fh: FileHandle; size: number }> {
  try {
    return await openRegularFile(path, maxBytes, 'data file');
  } catch (err) {
    throw asDataError(path, err);
  }
}

/** Reads a whole regular data file of at most `maxBytes` bytes. */
export async function readDataFile(path: string, maxBytes = MAX_DATA_FILE_BYTES): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, maxBytes, 'data file');
  } catch (err) {
    throw asDataError(path, err);
  }
}
