/**
 * Kernel backends: which kernel sets a session runs on.
 *
 * - `js`: the scalar TypeScript reference kernels of @lowbit/kernels (always there).
 * - `wasm`: @lowbit/kernels-wasm, WebAssembly SIMD128 / relaxed SIMD, loaded and compiled asynchronously.
 * - `native`: @lowbit/kernels-native, the C++ N-API addon (AVX2, VNNI, AMX, NEON), when it built and loads.
 *
 * `loadBackends` (async, used by `Session.create`) loads and initialises the backends a request needs; a backend that
 * cannot load is a diagnostic, not a crash. `selectBackend` (sync, used by `Session.fromModel`) builds the registry
 * from the reference kernels plus the variants of every ready backend, and computes the ISAs `resolve` may use from
 * what those backends detected. Nodes a backend has no variant for (or declines) run on the reference kernels.
 */
import { createReferenceRegistry, type Isa, type KernelBackend, type KernelRegistry } from '@lowbit/kernels';
import { BackendUnavailableError, SessionOptionError } from './errors.js';

export type BackendName = 'js' | 'wasm' | 'native';
export type BackendRequest = 'auto' | BackendName;

export const BACKEND_NAMES: readonly BackendName[] = ['js', 'wasm', 'native'];

export interface ChosenBackend {
  /** The best backend the session's kernels come from (`js` when no optimized backend is ready). */
  readonly name: BackendName;
  readonly registry: KernelRegistry;
  /** ISAs the chosen registry may use on this machine. */
  readonly available: readonly Isa[];
  /** The optimized backends in use (ready ones only). */
  readonly backends: readonly KernelBackend[];
  readonly diagnostics: string[];
}

/** Options for loading backends. */
export interface LoadBackendsOptions {
  /** Intra-op threads for backends that use them. */
  readonly threads?: number;
}

/** Best first: `auto` takes the first of these that is ready. */
const PREFERENCE: readonly BackendName[] = ['native', 'wasm'];

/**
 * Loads and initialises the backends `requested` needs: none for `js`, one for `wasm`/`native`, every optimized one
 * for `auto`. Backends that fail to load are returned not ready, with their reasons in `diagnostics`.
 */
export async function loadBackends(requested: BackendRequest, options: LoadBackendsOptions = {}): Promise<KernelBackend[]> {
  checkRequest(requested);
  const names: readonly Exclude<BackendName, 'js'>[] = requested === 'auto' ? ['native', 'wasm'] : requested === 'js' ? [] : [requested];
  return Promise.all(names.map((n) => loadOne(n, options)));
}

async function loadOne(name: Exclude<BackendName, 'js'>, options: LoadBackendsOptions): Promise<KernelBackend> {
  let backend: KernelBackend;
  try {
    backend = name === 'wasm'
      ? (await import('@lowbit/kernels-wasm')).createWasmBackend()
      : (await import('@lowbit/kernels-native')).createNativeBackend();
  } catch (e) {
    return unavailable(name, `the @lowbit/kernels-${name} package cannot be loaded: ${(e as Error).message}`);
  }
  try {
    await backend.init(options.threads === undefined ? {} : { threads: options.threads });
  } catch (e) {
    return unavailable(name, `initialisation failed: ${(e as Error).message}`);
  }
  return backend;
}

/** A stand-in for a backend that could not even be constructed. */
function unavailable(name: string, why: string): KernelBackend {
  return { name, ready: false, isas: [], threads: 0, diagnostics: [why], init: async () => {}, variants: () => [] };
}

/**
 * Picks the backend for a session from already loaded `backends`. `registry`, when given, is used as is (the caller
 * registered what it wants); otherwise a fresh reference registry gets every ready backend's variants.
 */
export function selectBackend(requested: BackendRequest, registry: KernelRegistry | undefined, backends: readonly KernelBackend[] = []): ChosenBackend {
  checkRequest(requested);
  const diagnostics: string[] = [];
  const relevant = requested === 'js' ? [] : backends.filter((b) => requested === 'auto' || b.name === requested);
  const ready = relevant.filter((b) => b.ready);
  for (const b of relevant) {
    if (!b.ready) diagnostics.push(`backend ${b.name} is not available: ${b.diagnostics.join('; ') || 'not initialised'}`);
  }
  if (requested !== 'js' && requested !== 'auto' && ready.length === 0) {
    const why = relevant.length === 0 ? 'it was not loaded (Session.create loads it; Session.fromModel needs it in options.backends)' : relevant.flatMap((b) => b.diagnostics).join('; ');
    throw new BackendUnavailableError({ backend: requested, available: ['js', ...backends.filter((b) => b.ready).map((b) => b.name)] }, why || 'not ready');
  }
  const reg = registry ?? createReferenceRegistry();
  if (!registry) {
    for (const b of ready) {
      for (const v of b.variants()) {
        // Names are unique per key; two backends (or a backend and the reference `scalar`) may pick the same one.
        if (reg.variants(v.key).some((x) => x.name === v.name)) {
          diagnostics.push(`${b.name}: variant "${v.name}" of "${v.key}" is not used: a variant of that name is already registered for the key`);
          continue;
        }
        reg.register(v);
      }
    }
  }
  const available = [...new Set<Isa>(['scalar', ...ready.flatMap((b) => b.isas)])];
  const best = [...ready].sort((a, b) => rank(a.name) - rank(b.name))[0];
  const name: BackendName = best ? (best.name as BackendName) : 'js';
  if (requested === 'auto' && !best) diagnostics.push('backend auto: no optimized backend is ready; using the js (scalar reference) kernels');
  for (const b of ready) diagnostics.push(...b.diagnostics.map((d) => `${b.name}: ${d}`));
  return { name, registry: reg, available, backends: ready, diagnostics };
}

function rank(name: string): number {
  const i = PREFERENCE.indexOf(name as BackendName);
  return i < 0 ? PREFERENCE.length : i;
}

function checkRequest(requested: BackendRequest): void {
  if (requested !== 'auto' && !BACKEND_NAMES.includes(requested)) {
    throw new SessionOptionError({ option: 'backend', expected: "'auto' | 'js' | 'wasm' | 'native'", actual: JSON.stringify(requested) });
  }
}
