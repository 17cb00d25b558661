/**
 * The native static int8 convolutions' bound path on a real model: ultraface-rfb-320 quantized static (QDQ,
 * per-channel) and run on the native backend; after the first run every dense and depthwise QLinearConv whose inputs
 * are the node's constants runs with its operands bound in the addon (no per-call conversion), none runs the reference,
 * and the outputs for the same input stay those of the first (unbound) run. Bit-exactness against the reference is
 * kernels-native's conv-bound.equiv.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { Session, Tensor, loadBackends, type KernelBackend } from '@lowbit/runtime';
import { quantizeStatic } from './quantize-static.js';

type KernelVariant = ReturnType<KernelBackend['variants']>[number];
type KernelInstance = ReturnType<KernelVariant['create']>;

const [native] = await loadBackends('native', { threads: 1 });
const dims = [1, 3, 240, 320];
const n = dims.reduce((a, b) => a * b, 1);
const seeded = (seed: number) => Float32Array.from({ length: n }, (_, i) => (((i * 2654435761 + seed * 40503) >>> 0) % 2001) / 1000 - 1);

/** The backend with every QLinearConv instance kept (to read its `boundRuns`). */
function keeping(b: KernelBackend, made: { key: string; name: string; inst: KernelInstance }[]): KernelBackend {
  const wrap = (v: KernelVariant): KernelVariant =>
    v.key.startsWith('QLinearConv:') ? { ...v, create: (nd) => { const inst = v.create(nd); made.push({ key: v.key, name: v.name, inst }); return inst; } } : v;
  return { name: b.name, ready: b.ready, isas: b.isas, threads: b.threads, diagnostics: b.diagnostics, init: () => b.init(), variants: () => b.variants().map(wrap) };
}

describe('native QLinearConv bound operands on ultraface-rfb-320 (static QDQ)', () => {
  if (!native?.ready) {
    it('has no native backend here', () => expect(native?.ready ?? false).toBe(false));
    return;
  }
  it('binds every dense and depthwise QLinearConv after the first run; later runs take the bound path with the same outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-bound-'));
    const out = join(dir, 'uf.qdq.onnx');
    const calib = [0, 1].map((i) => ({ input: { dtype: 'float32' as const, data: seeded(i), dims } }));
    await quantizeStatic(readFileSync(testdataPath('models', 'ultraface-rfb-320.onnx')), out, calib, { perChannel: true });
    const made: { key: string; name: string; inst: KernelInstance }[] = [];
    const s = await Session.create(readFileSync(out), { backend: 'native', backends: [keeping(native, made)], threads: 1 });
    const feeds = (seed: number) => ({ input: new Tensor('float32', seeded(seed), dims) });
    const first = await s.run(feeds(7));
    const bound = () => made.reduce((a, m) => a + ((m.inst as { boundRuns?: number }).boundRuns ?? 0), 0);
    expect(bound()).toBe(0);
    const dense = made.filter((m) => !m.name.startsWith('native-dw-'));
    const dw = made.filter((m) => m.name.startsWith('native-dw-'));
    expect(dense.length).toBeGreaterThan(20);
    expect(dw.length).toBeGreaterThan(10);
    const again = await s.run(feeds(7));
    await s.run(feeds(8));
    for (const m of made) expect(`${m.key}/${m.name}: ${(m.inst as { boundRuns?: number }).boundRuns}`).toBe(`${m.key}/${m.name}: 2`);
    for (const k of Object.keys(first)) expect(Array.from(again[k]!.data as Float32Array)).toEqual(Array.from(first[k]!.data as Float32Array));
    for (const m of made) expect((m.inst as { referenceRuns?: number }).referenceRuns).toBe(0);
  }, 120_000);
});
