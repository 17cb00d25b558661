import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { UsageError } from '../exit-codes.js';

/**
 * Writes `data` to `path` atomically: into a temporary file beside it (fsynced), then renamed over it, so a reader
 * never sees a half-written file and a failure leaves no file behind (the temporary one is removed). Something at
 * `path` that is not a regular file (a device, pipe, folder, link) is never replaced.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st !== undefined && !st.isFile()) throw new UsageError(`${path}: exists and is not a regular file; refusing to replace it`, { option: '--output' });
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
