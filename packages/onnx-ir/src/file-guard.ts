/**
 * Opening untrusted input files safely: only regular files, never more than a size cap. `/dev/zero` would grow memory
 * until the process dies and a named pipe would block forever, so the file is opened non-blocking and checked with
 * fstat (on the opened descriptor, so a swap after a path check cannot fool it) before a byte is read.
 */
import type { FileHandle } from 'node:fs/promises';
import { ModelFormatError } from './errors.js';
import { nodeFs, nodeFsPromises } from './node-builtins.js';

/** Protobuf messages cannot exceed 2 GiB, so no ONNX model file (without external data) is larger. */
export const DEFAULT_MAX_MODEL_BYTES = 2 ** 31;

/**
 * Opens `path` for reading, refusing anything but a regular file of at most `maxBytes` bytes. The caller closes the
 * handle. `what` names the file in messages (`model file`, `--calib file`).
 * @throws ModelFormatError (with the errno error as cause when the file cannot be opened).
 */
export async function openRegularFile(path: string, maxBytes: number, what: string): Promise<{ fh: FileHandle; size: number }> {
  const { constants } = nodeFs();
  let fh: FileHandle;
  try {
    fh = await nodeFsPromises().open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ModelFormatError(`cannot read ${what} "${path}": ${(err as Error).message}`, { what: path }, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new ModelFormatError(`${what} "${path}" is not a regular file (a device, pipe, socket or folder cannot be read as one)`, { what: path });
    }
    if (st.size > maxBytes) {
      throw new ModelFormatError(`${what} "${path}" is ${st.size} bytes, more than the limit of ${maxBytes}`, { what: path, byteLength: st.size });
    }
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads a whole regular file of at most `maxBytes` bytes (see openRegularFile). */
export async function readRegularFile(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  const { fh, size } = await openRegularFile(path, maxBytes, what);
  try {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(out, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? out : out.subarray(0, done);
  } finally {
    await fh.close();
  }
}
