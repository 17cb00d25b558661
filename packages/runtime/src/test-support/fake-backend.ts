/**
 * A KernelBackend for tests (test support only, not shipped): ready or not, the ISAs it claims, the variants it
 * offers, and counters for `init`/`dispose`. `countingNeg` makes a float Neg variant that records every create, run
 * and dispose (and the KernelNode it was created for), so a test can prove which variant a session used.
 */
import type { Arena, BackendInitOptions, Isa, KernelBackend, KernelNode, KernelVariant, Tensor } from '@lowbit/kernels';

export interface FakeBackend extends KernelBackend {
  inits: BackendInitOptions[];
  disposed: number;
}

export function fakeBackend(o: { name?: string; ready?: boolean; isas?: Isa[]; variants?: KernelVariant[]; diagnostics?: string[]; arena?: Arena; threads?: number } = {}): FakeBackend {
  const ready = o.ready ?? true;
  const b: FakeBackend = {
    name: o.name ?? 'native',
    ready,
    isas: ready ? o.isas ?? ['avx2'] : [],
    threads: o.threads ?? 1,
    diagnostics: o.diagnostics ?? [],
    inits: [],
    disposed: 0,
    init: async (opts = {}) => { b.inits.push(opts); },
    variants: () => (ready ? o.variants ?? [] : []),
    dispose: () => { b.disposed++; },
    ...(o.arena ? { arena: o.arena } : {}),
  };
  return b;
}

export interface Counter {
  creates: KernelNode[];
  runs: number;
  disposes: number;
}

export const counter = (): Counter => ({ creates: [], runs: 0, disposes: 0 });

/** A `key` variant (default `Neg:f32`) computing y = -x that counts into `c`; `supports` when given. */
export function countingNeg(c: Counter, isa: Isa, opts: { key?: string; name?: string; supports?: (n: KernelNode) => boolean } = {}): KernelVariant {
  return {
    key: opts.key ?? 'Neg:f32', name: opts.name ?? `neg-${isa}`, isa, tolerance: 'exact',
    ...(opts.supports ? { supports: opts.supports } : {}),
    create(node) {
      c.creates.push(node);
      return {
        run([x], ctx) {
          c.runs++;
          const t = x as Tensor<'float32'>;
          const y = ctx.alloc('float32', t.dims);
          for (let i = 0; i < t.data.length; i++) y.data[i] = -t.data[i];
          return [y];
        },
        dispose() { c.disposes++; },
      };
    },
  };
}

/**
 * A variant of any key that records what `create` is handed (constants, static shapes), then runs the reference
 * variant `ref` it wraps.
 */
export function recordingVariant(ref: KernelVariant, isa: Isa, seen: KernelNode[]): KernelVariant {
  return { ...ref, name: `recording-${isa}`, isa, supports: undefined, create(node) { seen.push(node); return ref.create(node); } };
}
