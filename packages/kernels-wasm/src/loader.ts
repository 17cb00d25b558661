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

export type ModuleName = 'kernels-simd.wasm' | 'kernels-relaxed.wasm';

/** The module's bytes (Node: fs; elsewhere: fetch). */
export async function loadModuleBytes(name: ModuleName): Promise<Uint8Array> {
  // Literal URLs, so that bundlers (Vite, webpack, esbuild) see and emit both modules as assets.
  const url = name === 'kernels-simd.wasm' ? new URL('./kernels-simd.wasm', import.meta.url) : new URL('./kernels-relaxed.wasm', import.meta.url);
  // Node's fs is fetched at run time (never imported), so browser bundles carry no `node:` import.
  const fsp = url.protocol === 'file:'
    ? (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:fs/promises') as typeof import('node:fs/promises') | undefined
    : undefined;
  if (fsp) return new Uint8Array(await fsp.readFile(url));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Validates and instantiates `bytes`; undefined when the engine does not validate the module. */
export async function instantiateIfValid(bytes: Uint8Array): Promise<WasmInstance | undefined> {
  const wa = webAssembly();
  if (!wa || !wa.validate(bytes)) return undefined;
  const { instance } = await wa.instantiate(bytes, { env: { abort: () => { throw new Error('wasm kernel abort'); } } });
  return instance;
}
