/**
 * Node built-ins, fetched when first needed instead of imported statically, so that importing `@lowbit/onnx-ir` in a
 * browser bundle works: decoding, encoding and tensor values need no file system; only loadModel/saveModel and
 * external-data reads do, and they say so when called outside Node.
 */
import type * as FsT from 'node:fs';
import type * as FspT from 'node:fs/promises';
import type * as PathT from 'node:path';

interface BuiltinHost {
  getBuiltinModule?(id: string): unknown;
}

function builtin<T>(id: string): T {
  const proc = (globalThis as { process?: BuiltinHost }).process;
  const mod = proc?.getBuiltinModule?.(id);
  if (mod === undefined) throw new Error(`@lowbit/onnx-ir: ${id} is needed for file access, which only works in Node.js >= 20.16`);
  return mod as T;
}

export const nodeFs = (): typeof FsT => builtin<typeof FsT>('node:fs');
export const nodeFsPromises = (): typeof FspT => builtin<typeof FspT>('node:fs/promises');
export const nodePath = (): typeof PathT => builtin<typeof PathT>('node:path');
