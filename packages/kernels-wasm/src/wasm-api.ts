/**
 * The few WebAssembly JS-API types this package uses. The repository compiles against the ES library and Node's
 * types only (no DOM lib), which do not declare `WebAssembly`; the global is reached through `globalThis`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports: Record<string, Record<string, unknown>>): Promise<{ instance: WasmInstance }>;
}

/** The engine's WebAssembly object, or undefined in an engine without one. */
export function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}
