/**
 * Checks before the CLI writes: the user's files are never lost or half-written by a mistaken `-o`.
 * - An output that exists and is not a regular file (a device, pipe, socket, folder or link) is never replaced.
 * - An output that is one of the inputs (the same file, however spelled: links and `./` resolve to one inode) is
 *   refused unless `--overwrite`.
 */
import { lstat, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './exit-codes.js';

interface Identity {
  readonly dev: number;
  readonly ino: number;
}

async function identity(path: string): Promise<Identity | undefined> {
  const st = await stat(path).catch(() => undefined);
  return st ? { dev: st.dev, ino: st.ino } : undefined;
}

/**
 * Refuses `output` when it exists as anything but a regular file, or when it is the same file as one of `inputs`
 * and `overwrite` is not set. `option` names the flag in messages (`--output`).
 */
export async function checkOutputFile(output: string, inputs: readonly string[], overwrite: boolean, option = '--output'): Promise<void> {
  const st = await lstat(output).catch(() => undefined);
  if (st === undefined) return;
  if (!st.isFile()) {
    throw new UsageError(`${option} ${output}: exists and is not a regular file; refusing to replace it`, { option, expected: 'a new path or a regular file', actual: kindOf(st) });
  }
  if (overwrite) return;
  const out = await identity(output);
  for (const input of inputs) {
    const id = await identity(input);
    if ((id && out && id.dev === out.dev && id.ino === out.ino) || resolve(input) === resolve(output)) {
      throw new UsageError(`${option} ${output}: is the input file "${input}"; refusing to replace it (pass --overwrite to allow)`, { option, expected: 'a path other than the input', actual: output });
    }
  }
}

/** What kind of file system entry `st` is, in words. */
export function kindOf(st: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a regular file';
}
