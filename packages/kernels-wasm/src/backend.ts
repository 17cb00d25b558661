/**
 * The `wasm` kernel backend: loads the AssemblyScript kernel module (relaxed-SIMD build when the engine validates it,
 * else the SIMD128 build), and offers its variants to the runtime's registry.
 */
import { createReferenceRegistry, type BackendInitOptions, type Isa, type KernelBackend, type KernelVariant } from '@lowbit/kernels';
import type { KernelExports, RelaxedExports } from './exports.js';
import { WasmArena } from './arena.js';
import { WasmHeap } from './heap.js';
import { instantiateIfValid, loadModuleBytes, type ModuleName } from './loader.js';
import type { WasmRuntime } from './runtime.js';
import type { WasmInstance } from './wasm-api.js';
import { convFloatVariants } from './variants/conv-float.js';
import { convIntegerVariants } from './variants/conv-integer.js';
import { elementwiseVariants } from './variants/elementwise.js';
import { matmulFloatVariants } from './variants/matmul-float.js';
import { matmulIntegerVariants } from './variants/matmul-integer.js';
import { normVariants } from './variants/norm.js';
import { poolVariants } from './variants/pool.js';
import { quantVariants } from './variants/quant.js';

export interface WasmBackendOptions {
  /** Module bytes to use instead of reading/fetching the packaged files (e.g. bundlers that inline assets). */
  readonly modules?: Partial<Record<ModuleName, Uint8Array>>;
  /** Do not use the relaxed-SIMD module even when the engine validates it (benchmarks compare the two paths). */
  readonly disableRelaxed?: boolean;
  /**
   * Lend the kernels' memory to the runtime as an arena (default true): the shared-memory build of the module is
   * loaded where the engine allows shared memory, and `arena` hands out tensors in it. false: the plain build, no arena.
   */
  readonly arena?: boolean;
}

/** Every variant the backend offers on `rt` (relaxed ones only when the relaxed module is loaded). */
export function wasmVariants(rt: WasmRuntime): KernelVariant[] {
  // Every wasm kernel writes each element it allocates (the equivalence tests run them on poisoned buffers), and hands
  // the rest to the reference through zeroed buffers (lazyReference): reused buffers need no zero fill.
  return [...matmulIntegerVariants(rt), ...matmulFloatVariants(rt), ...convFloatVariants(rt), ...convIntegerVariants(rt), ...elementwiseVariants(rt), ...normVariants(rt), ...poolVariants(rt), ...quantVariants(rt)]
    .map((v) => ({ ...v, writesAllOutputs: true }));
}

/**
 * A WebAssembly kernel backend. `init` never throws for an engine without SIMD: the backend stays `ready: false`
 * and says why in `diagnostics`.
 *
 * @example
 * const wasm = createWasmBackend();
 * await wasm.init();
 * if (wasm.ready) registry.registerAll(wasm.variants());
 */
export function createWasmBackend(options: WasmBackendOptions = {}): KernelBackend & { readonly runtime: WasmRuntime | undefined } {
  let rt: WasmRuntime | undefined;
  let variants: KernelVariant[] = [];
  let arena: WasmArena | undefined;
  let isas: Isa[] = [];
  const diagnostics: string[] = [];
  let pending: Promise<void> | undefined;
  const bytesOf = async (name: ModuleName): Promise<Uint8Array> => options.modules?.[name] ?? loadModuleBytes(name);
  // The shared-memory build first (when wanted, and given where the caller passes the modules), else the plain one.
  const wantShared = options.arena !== false;
  const instantiate = async (plain: 'kernels-simd.wasm' | 'kernels-relaxed.wasm'): Promise<WasmInstance | undefined> => {
    const shared = plain === 'kernels-simd.wasm' ? 'kernels-simd-shared.wasm' : 'kernels-relaxed-shared.wasm';
    if (wantShared && (!options.modules || options.modules[shared])) {
      const inst = await instantiateIfValid(await bytesOf(shared), true);
      if (inst) return inst;
    }
    return instantiateIfValid(await bytesOf(plain));
  };

  async function load(): Promise<void> {
    let instance: WasmInstance | undefined;
    let relaxed = false;
    if (!options.disableRelaxed) {
      try {
        instance = await instantiate('kernels-relaxed.wasm');
        relaxed = instance !== undefined;
        if (!relaxed) diagnostics.push('relaxed SIMD is not available (the engine does not validate the relaxed module; Node 20 needs --experimental-wasm-relaxed-simd or v8.setFlagsFromString before init): using SIMD128');
      } catch (e) {
        diagnostics.push(`relaxed module failed to load: ${(e as Error).message}`);
      }
    } else diagnostics.push('relaxed SIMD disabled by option');
    if (!instance) {
      instance = await instantiate('kernels-simd.wasm');
      if (!instance) {
        diagnostics.push('this engine does not validate WebAssembly SIMD128: the wasm backend is unavailable');
        return;
      }
    }
    const ex = instance.exports as unknown as KernelExports;
    const heap = new WasmHeap(ex.memory, ex.heapBase());
    let fusedDotAdd = false;
    if (relaxed) {
      const probe = heap.alloc(48);
      fusedDotAdd = (ex as RelaxedExports).relaxedDotAddWorks(probe) !== 0;
      heap.free(probe);
    }
    if (relaxed && !fusedDotAdd) diagnostics.push('this engine miscomputes i32x4.relaxed_dot_i8x16_i7x16_add_s (V8 11.3 / Node 20): the 7-bit GEMM uses i16x8.relaxed_dot_i8x16_i7x16_s + i32x4.dot_i16x8_s with ones instead');
    rt = { ex, relaxed: relaxed ? (ex as RelaxedExports) : undefined, fusedDotAdd, heap, reference: createReferenceRegistry() };
    isas = relaxed ? ['wasm-simd128', 'wasm-relaxed'] : ['wasm-simd128'];
    variants = wasmVariants(rt);
    arena = heap.shared ? new WasmArena(heap) : undefined;
    const file = `kernels-${relaxed ? 'relaxed' : 'simd'}${heap.shared ? '-shared' : ''}.wasm`;
    diagnostics.push(`loaded ${file}: ${isas.join(', ')}, ${variants.length} variants; ${arena ? 'tensors in wasm memory (arena)' : wantShared ? 'no shared memory here: tensors in JS memory, copied per call' : 'arena off: tensors in JS memory, copied per call'}`);
  }

  return {
    name: 'wasm',
    get ready() {
      return rt !== undefined;
    },
    get isas() {
      return isas;
    },
    threads: 1,
    get diagnostics() {
      return diagnostics;
    },
    get runtime() {
      return rt;
    },
    get arena() {
      return arena;
    },
    init(_opts?: BackendInitOptions): Promise<void> {
      pending ??= load().catch((e: unknown) => {
        diagnostics.push(`the wasm kernels failed to load: ${(e as Error).message}`);
      });
      return pending;
    },
    variants: () => variants,
    dispose() {
      rt = undefined;
      arena = undefined;
      variants = [];
      isas = [];
    },
  };
}
