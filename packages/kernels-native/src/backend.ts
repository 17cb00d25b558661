/**
 * The native kernel backend: loads the addon, detects the CPU's ISAs (in C++, from CPUID), owns a thread pool and
 * hands the runtime one variant per (key, C++ kernel this CPU runs). When the addon is missing or cannot load,
 * `init` leaves `ready = false` with the reason in `diagnostics` and the runtime uses the other backends.
 */
import { referenceKernels, type BackendInitOptions, type Isa, type KernelBackend, type KernelVariant } from '@lowbit/kernels';
import { loadAddon, type MallocTuningResult, type NativeAddon, type NativeInfo, type NativePool } from './addon.js';
import type { NativeContext } from './context.js';
import { convVariants } from './conv.js';
import { dynamicQVariants } from './dynamic-q.js';
import { dwConvVariants } from './dwconv.js';
import { elementwiseVariants } from './elementwise.js';
import { poolVariants } from './pool.js';
import { floatOpVariants } from './float-ops.js';
import { copyOpVariants } from './copy-ops.js';
import { floatVariants } from './matmul-float.js';
import { matmulIntegerVariants } from './matmul-integer.js';
import { qdqVariants } from './qdq.js';
import { qlinearMatMulVariants } from './qlinear-matmul.js';

/** The native backend, with what the addon reported (for tests and benchmarks). */
export interface NativeBackend extends KernelBackend {
  /** The addon's CPU report after `init` (undefined when not ready). */
  readonly info: NativeInfo | undefined;
  /** What `init` did to glibc's malloc settings (undefined before `init` or without the addon); also in `diagnostics`. */
  readonly mallocTuning: MallocTuningResult | undefined;
}

export interface NativeBackendOptions {
  /**
   * Keep freed blocks of up to 32 MiB in glibc's heap (default true; `LOWBIT_MALLOC_TUNING=0` in the environment also
   * turns it off). See `MALLOC_MMAP_THRESHOLD` below.
   */
  readonly mallocTuning?: boolean;
  /**
   * Run an op too small to pay for a hand-off to another thread (under about 10 microseconds of one core per piece)
   * on the calling thread alone (default true). A rule of the op's shape only: results are the same bits either way
   * and for every thread count. `false` splits every op however small (tests of the parallel paths).
   */
  readonly grain?: boolean;
}

/**
 * Why the backend tunes malloc: each session run hands the caller fresh output tensors (the runtime's pool keeps only
 * intermediates), and Node allocates their ArrayBuffers with malloc. glibc serves a block above its mmap threshold
 * (128 KiB at start, raised dynamically up to 32 MiB) with a fresh mmap, and trims the heap top once more than its trim
 * threshold (twice the mmap threshold) is free; V8 frees backing stores at GC, in batches, so either
 * way a 1.5 MiB MatMulInteger output faults its 384 pages in again on every run (1.6-8 ms on a Zen 5 VM against a
 * 0.83 ms GEMM). With M_MMAP_THRESHOLD = 32 MiB, and M_TRIM_THRESHOLD = M_TOP_PAD = 64 MiB, blocks below 32 MiB come
 * from the heap, and freed ones stay mapped for the next run; a larger free heap top is trimmed down to 64 MiB (the
 * pad; a trim threshold alone would release all of it whenever one GC freed a batch above the bound: in the loop
 * of benchmarks/output-pages.bench.mjs V8 collects every ~10 runs for external memory pressure, ~15 MiB of outputs;
 * larger outputs make larger batches). Cost, process-wide: up to 64 MiB of freed memory stays mapped at
 * the heap top (freed blocks between live ones stay mapped until reused, as they already do below the dynamic
 * threshold), the heap grows in steps of 64 MiB of address space (untouched, so not resident), and glibc stops
 * adapting its thresholds. Kept over the alternatives: an addon-owned page pool behind external
 * ArrayBuffers returns pages only when V8 runs the finalizers (GC, the same batches) and needs its own bound and
 * trimming; caller-owned output buffers (onnxruntime's preallocated outputs) need every caller to change its code: the runtime
 * offers them too, opt-in (`session.recycle`, which also removes the GC pressure), and this tuning covers the rest.
 * Users who set MALLOC_* / GLIBC_TUNABLES keep their values.
 */
export const MALLOC_MMAP_THRESHOLD = 32 * 2 ** 20;
/** M_TRIM_THRESHOLD and M_TOP_PAD: the freed heap top kept mapped. */
export const MALLOC_RETAIN = 64 * 2 ** 20;

class NativeBackendImpl implements NativeBackend {
  readonly name = 'native';
  ready = false;
  isas: Isa[] = [];
  threads = 0;
  diagnostics: string[] = [];
  info: NativeInfo | undefined;
  mallocTuning: MallocTuningResult | undefined;
  readonly #options: NativeBackendOptions;
  #addon: NativeAddon | undefined;
  #pool: NativePool | null = null;
  #variants: KernelVariant[] = [];
  #init: Promise<void> | undefined;

  constructor(options: NativeBackendOptions) {
    this.#options = options;
  }

  init(options: BackendInitOptions = {}): Promise<void> {
    this.#init ??= Promise.resolve().then(() => this.#load(options));
    return this.#init;
  }

  #load(options: BackendInitOptions): void {
    const loaded = loadAddon();
    if ('error' in loaded) {
      this.diagnostics.push(loaded.error);
      return;
    }
    const addon = loaded.addon;
    this.#tuneMalloc(addon);
    const info = addon.info();
    const threads = Math.max(1, Math.floor(options.threads ?? info.physicalCores));
    this.#addon = addon;
    this.info = info;
    this.threads = threads;
    this.#pool = threads > 1 ? new addon.Pool(threads, this.#options.grain ?? true) : null;
    const refs = new Map<string, KernelVariant>();
    for (const v of referenceKernels()) if (!refs.has(v.key)) refs.set(v.key, v);
    const ctx: NativeContext = {
      addon,
      threads,
      pool: () => this.#pool,
      reference: (key) => {
        const v = refs.get(key) ?? refs.get(`${key.slice(0, key.indexOf(':'))}:*`);
        if (!v) throw new Error(`kernels-native: no reference kernel for "${key}"`);
        return v;
      },
    };
    const integer = [...matmulIntegerVariants(ctx, info.qgemm), ...convVariants(ctx, info.qgemm, info.fgemm), ...dwConvVariants(ctx, info.qgemm.some((k) => k.isa === 'avx2'))];
    // Every native kernel writes each element it allocates (the equivalence tests run them on poisoned buffers), and
    // hands the rest to the reference through zeroed buffers (lazyReference): reused buffers need no zero fill.
    this.#variants = [...integer, ...qlinearMatMulVariants(ctx, info.qgemm), ...floatVariants(ctx, info.fgemm), ...qdqVariants(ctx, info.qgemm.some((k) => k.isa === 'avx2')), ...dynamicQVariants(ctx, info.qgemm, integer), ...elementwiseVariants(ctx, info.fgemm.some((k) => k.isa === 'avx512') ? 'avx512' : info.qgemm.some((k) => k.isa === 'avx2') ? 'avx2' : 'scalar-c'), ...poolVariants(ctx, info.qgemm.some((k) => k.isa === 'avx2')),
      ...floatOpVariants(ctx, info.qgemm.some((k) => k.isa === 'avx2')),
      ...copyOpVariants(ctx, info.qgemm.some((k) => k.isa === 'avx2'))]
      .map((v) => ({ ...v, writesAllOutputs: true }));
    this.isas = [...new Set([...info.qgemm, ...info.fgemm].map((k) => k.isa as Isa))];
    this.ready = true;
    this.diagnostics.push(`native addon on ${info.cpu.trim()} (${info.arch}): ISAs ${this.isas.join(', ')}; ${threads} thread(s)`);
    if (info.arch === 'x64' && !info.amxPermission && info.qgemm.every((k) => k.isa !== 'amx-int8')) {
      this.diagnostics.push('amx-int8 not used: the CPU lacks AMX-INT8 or the OS refused the XTILEDATA permission');
    }
  }

  #tuneMalloc(addon: NativeAddon): void {
    const env = process.env.LOWBIT_MALLOC_TUNING;
    if (this.#options.mallocTuning === false) {
      this.mallocTuning = { applied: false, reason: 'off by the option mallocTuning: false' };
    } else if (env !== undefined && /^(0|false|off|no)$/i.test(env.trim())) {
      this.mallocTuning = { applied: false, reason: `off by LOWBIT_MALLOC_TUNING=${env}` };
    } else {
      this.mallocTuning = addon.tuneMalloc(MALLOC_MMAP_THRESHOLD, MALLOC_RETAIN);
    }
    this.diagnostics.push(`malloc tuning ${this.mallocTuning.applied ? 'on' : 'not applied'}: ${this.mallocTuning.reason}`);
  }

  variants(): readonly KernelVariant[] {
    return this.ready ? this.#variants : [];
  }

  dispose(): void {
    this.#pool?.close();
    this.#pool = null;
    this.#variants = [];
    this.ready = false;
    this.#addon = undefined;
  }
}

/** A native backend instance (call `init` before use; never throws for an unsupported machine). */
export function createNativeBackend(options: NativeBackendOptions = {}): NativeBackend {
  return new NativeBackendImpl(options);
}
