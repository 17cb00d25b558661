/**
 * Loading the kernel modules: the bytes come from the package folder (`src/` under tests, `dist/` when installed):
 * read with node:fs in Node, fetched in a browser. Features are detected with `WebAssembly.validate` on the modules
 * themselves, so an engine that lacks SIMD128 (or relaxed SIMD) simply reports false.
 *
 * Node 20 validates relaxed SIMD only when V8 runs with `--experimental-wasm-relaxed-simd` (on the command line, or
 * `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')` before the module is compiled; NODE_OPTIONS does not
 * accept the flag). Node 22+ and current browsers validate it by default.
 */
import { webAssembly, type WasmInstance } from './wasm-api.js';

export type ModuleName = 'kernels-simd.wasm' | 'kernels-relaxed.wasm' | 'kernels-simd-shared.wasm' | 'kernels-relaxed-shared.wasm';

function moduleUrl(name: ModuleName): URL {
  // Literal URLs, so that bundlers (Vite, webpack, esbuild) see and emit every module as an asset.
  switch (name) {
    case 'kernels-simd.wasm': return new URL('./kernels-simd.wasm', import.meta.url);
    case 'kernels-relaxed.wasm': return new URL('./kernels-relaxed.wasm', import.meta.url);
    case 'kernels-simd-shared.wasm': return new URL('./kernels-simd-shared.wasm', import.meta.url);
    default: return new URL('./kernels-relaxed-shared.wasm', import.meta.url);
  }
}

/** The module's bytes (Node: fs; elsewhere: fetch). */
export async function loadModuleBytes(name: ModuleName): Promise<Uint8Array> {
  const url = moduleUrl(name);
  // Node's fs is fetched at run time (never imported), so browser bundles carry no `node:` import.
  const fsp = url.protocol === 'file:'
    ? (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:fs/promises') as typeof import('node:fs/promises') | undefined
    : undefined;
  if (fsp) return new Uint8Array(await fsp.readFile(url));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Validates and instantiates `bytes`; undefined when the engine does not validate the module, or (with `optional`)
 * refuses to instantiate it (a shared memory where SharedArrayBuffer is unavailable).
 */
export async function instantiateIfValid(bytes: Uint8Array, optional = false): Promise<WasmInstance | undefined> {
  const wa = webAssembly();
  if (!wa || !wa.validate(bytes)) return undefined;
  try {
    const { instance } = await wa.instantiate(bytes, { env: { abort: () => { throw new Error('wasm kernel abort'); } } });
    return instance;
  } catch (e) {
    if (optional) return undefined;
    throw e;
  }
}
