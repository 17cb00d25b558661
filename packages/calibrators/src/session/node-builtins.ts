/**
 * The Node built-ins WorkerPool needs, fetched when a pool starts (`process.getBuiltinModule`) instead of imported
 * statically, so that `@lowbit/calibrators` bundles for browsers; there, calibration runs in the caller's thread or
 * in a Web Worker the caller starts, and `WorkerPool.start` says that sharding needs Node.js.
 */
import type * as FsT from 'node:fs';
import type * as PathT from 'node:path';
import type * as UrlT from 'node:url';
import type * as WorkerT from 'node:worker_threads';
import { CalibrationError } from '../core/errors.js';

export interface NodeBuiltins {
  readonly existsSync: typeof FsT.existsSync;
  readonly isAbsolute: typeof PathT.isAbsolute;
  readonly resolve: typeof PathT.resolve;
  readonly fileURLToPath: typeof UrlT.fileURLToPath;
  readonly pathToFileURL: typeof UrlT.pathToFileURL;
  readonly Worker: typeof WorkerT.Worker;
}

export function nodeBuiltins(): NodeBuiltins {
  const proc = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const get = <T>(id: string): T => {
    const m = proc?.getBuiltinModule?.(id);
    if (m === undefined) throw new CalibrationError(`calibration: sharding over worker threads needs ${id}, which only Node.js >= 20.16 has; outside Node calibrate without \`shard\` (in a Web Worker if the page must stay responsive)`);
    return m as T;
  };
  const fs = get<typeof FsT>('node:fs');
  const path = get<typeof PathT>('node:path');
  const url = get<typeof UrlT>('node:url');
  const wt = get<typeof WorkerT>('node:worker_threads');
  return { existsSync: fs.existsSync, isAbsolute: path.isAbsolute, resolve: path.resolve, fileURLToPath: url.fileURLToPath, pathToFileURL: url.pathToFileURL, Worker: wt.Worker };
}
