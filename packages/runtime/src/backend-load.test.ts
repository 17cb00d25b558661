/**
 * loadBackends and the backends a Session loads itself: the optimized packages are replaced by fakes (vi.mock), so
 * these tests control what `createWasmBackend` / `createNativeBackend` return, whether `init` throws, and count
 * `dispose`. A session disposes the backends it loaded on `release()`, and on a failed `create`.
 */
import { beforeEach, describe, expect, it, vi as vitest } from 'vitest';
import { Tensor, type KernelBackend } from '@lowbit/kernels';
import { loadBackends } from './backend.js';
import { BackendUnavailableError } from './errors.js';
import { Session } from './session.js';
import { counter, countingNeg, fakeBackend, type FakeBackend } from './test-support/fake-backend.js';
import { graph, model, node, vi } from './test-support/graph-builder.js';

const state = vitest.hoisted(() => ({
  make: {} as Record<'wasm' | 'native', () => KernelBackend>,
}));
vitest.mock('@lowbit/kernels-native', () => ({ createNativeBackend: () => state.make.native() }));
vitest.mock('@lowbit/kernels-wasm', () => ({ createWasmBackend: () => state.make.wasm() }));

const negModel = () => model(graph({ inputs: [vi('x', 1, [2])], outputs: [vi('y', 1, [2])], nodes: [node('Neg', ['x'], ['y'])] }));
const x = new Tensor('float32', [1.5, -2]);

let made: FakeBackend[];
const neg = counter();
beforeEach(() => {
  made = [];
  Object.assign(neg, counter());
  state.make.native = () => { const b = fakeBackend({ name: 'native', isas: ['avx2'], variants: [countingNeg(neg, 'avx2')] }); made.push(b); return b; };
  state.make.wasm = () => { const b = fakeBackend({ name: 'wasm', isas: ['wasm-simd128'] }); made.push(b); return b; };
});

describe('loadBackends', () => {
  it("'auto' loads native and wasm, passing threads to init; 'js' loads nothing", async () => {
    const bs = await loadBackends('auto', { threads: 3 });
    expect(bs.map((b) => b.name)).toEqual(['native', 'wasm']);
    expect(made.map((b) => b.inits)).toEqual([[{ threads: 3 }], [{ threads: 3 }]]);
    expect(await loadBackends('js')).toEqual([]);
    expect((await loadBackends('wasm')).map((b) => b.name)).toEqual(['wasm']);
  });

  it('a package that cannot be constructed or an init that throws is a not-ready backend with the reason', async () => {
    state.make.native = () => { throw new Error('addon missing'); };
    state.make.wasm = () => ({ ...fakeBackend({ name: 'wasm' }), init: async () => { throw new Error('no SIMD'); } });
    const [native, wasm] = await loadBackends('auto');
    expect([native.ready, wasm.ready]).toEqual([false, false]);
    expect(native.diagnostics.join()).toMatch(/cannot be loaded: addon missing/);
    expect(wasm.diagnostics.join()).toMatch(/initialisation failed: no SIMD/);
  });

  it('rejects an unknown request', async () => {
    await expect(loadBackends('gpu' as never)).rejects.toThrow(/option "backend"/);
  });
});

describe('Session.create loading its own backends', () => {
  it('uses them, and release() disposes them', async () => {
    const s = await Session.create(negModel(), { threads: 2 });
    expect(s.backend).toBe('native');
    expect(Array.from((await s.run({ x })).y.data as Float32Array)).toEqual([-1.5, 2]);
    expect(neg.runs).toBe(1);
    expect(made.map((b) => b.inits)).toEqual([[{ threads: 2 }], [{ threads: 2 }]]);
    await s.release();
    expect(made.map((b) => b.disposed)).toEqual([1, 1]);
    expect(neg.disposes).toBe(1);
  });

  it('disposes them when create fails (an explicit backend that is not ready)', async () => {
    state.make.wasm = () => { const b = fakeBackend({ name: 'wasm', ready: false, diagnostics: ['engine has no SIMD'] }); made.push(b); return b; };
    await expect(Session.create(negModel(), { backend: 'wasm' })).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(made.map((b) => [b.name, b.disposed])).toEqual([['wasm', 1]]);
  });
});
