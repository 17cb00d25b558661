/**
 * The runtime on the wasm backend (@lowbit/kernels-wasm): `backend: 'wasm'` loads it and resolves its variants; an
 * integer model (DynamicQuantizeLinear -> MatMulInteger with constant int8 weights) gives exactly the js backend's
 * results; mnist-8 (float) agrees with the js backend to float32 rounding and picks the same classes.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { DataType } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode, readMnist, testdataPath, vi } from '@lowbit/testing';
import { Session } from './session.js';
import { loadBackends } from './backend.js';

const mnist = readMnist('test', 40);

describe('backend: wasm', () => {
  it('Session.create with backend wasm selects it, reports wasm-simd128 and resolves wasm variants', async () => {
    const s = await Session.create(testdataPath('models', 'mnist-8.onnx'), { backend: 'wasm' });
    expect(s.backend).toBe('wasm');
    expect(s.isas).toContain('wasm-simd128');
    expect(s.diagnostics.some((d) => d.startsWith('wasm: loaded'))).toBe(true);
  });

  it('mnist-8: wasm agrees with js to float32 rounding and picks the same class on 40 images', async () => {
    const js = await Session.create(testdataPath('models', 'mnist-8.onnx'), { backend: 'js' });
    const wasm = await Session.create(testdataPath('models', 'mnist-8.onnx'), { backend: 'wasm' });
    const argmax = (y: Float32Array) => y.reduce((b, v, i) => (v > y[b] ? i : b), 0);
    for (let k = 0; k < mnist.count; k++) {
      const feed = { Input3: new Tensor('float32', mnist.images[k]!, [1, 1, 28, 28]) };
      const a = js.runSync(feed).Plus214_Output_0.data as Float32Array;
      const b = wasm.runSync(feed).Plus214_Output_0.data as Float32Array;
      for (let j = 0; j < 10; j++) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(a[j])));
      expect(argmax(b)).toBe(argmax(a));
    }
  });

  it('an integer model (DynamicQuantizeLinear + MatMulInteger, int8 weights) gives exactly the js results', async () => {
    const K = 784;
    const N = 24;
    let s = 7;
    const w = new Int8Array(K * N).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) - 128);
    const model = mkModel(mkGraph({
      inputs: [vi('x', DataType.FLOAT, [1, K])],
      outputs: [vi('y', DataType.INT32, [1, N])],
      initializers: [
        { kind: 'inline', name: 'w', dtype: DataType.INT8, dims: [K, N], data: new Uint8Array(w.buffer), encoding: 'raw' },
        { kind: 'inline', name: 'wz', dtype: DataType.INT8, dims: [N], data: Uint8Array.from({ length: N }, (_, j) => (j * 5) & 0xff), encoding: 'raw' },
      ],
      nodes: [
        mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
        mkNode('MatMulInteger', ['xq', 'w', 'xz', 'wz'], ['y']),
      ],
    }), { opset: 13 });
    const backends = await loadBackends('wasm');
    const wasm = Session.fromModel(model, { backend: 'wasm', backends });
    const js = Session.fromModel(model, { backend: 'js' });
    expect(wasm.backend).toBe('wasm');
    for (let k = 0; k < 10; k++) {
      const x = new Tensor('float32', mnist.images[k]!.map((v, i) => v * 3 - (i % 7)), [1, K]);
      expect(Array.from(wasm.runSync({ x }).y.data as Int32Array)).toEqual(Array.from(js.runSync({ x }).y.data as Int32Array));
    }
    for (const b of backends) b.dispose?.();
  });

  it('tensors in the wasm arena (shared memory): ppocr and ultraface give the same bits as with the arena off, every value seen by hooks included; results are plain JS memory', async () => {
    const { createWasmBackend } = await import('@lowbit/kernels-wasm');
    for (const [name, input, dims] of [['ppocr-mobile-v2-cls', 'x', [1, 3, 48, 192]], ['ultraface-rfb-320', 'input', [1, 3, 240, 320]]] as const) {
      const x = new Tensor('float32', Float32Array.from({ length: dims.reduce((a: number, b: number) => a * b, 1) }, (_, j) => Math.sin(j * 0.37)), dims);
      const runBoth = async (arena: boolean) => {
        const b = createWasmBackend({ arena });
        await b.init();
        expect(b.arena !== undefined, name).toBe(arena);
        const seen = new Map<string, Tensor>();
        const s = await Session.create(testdataPath('models', `${name}.onnx`), { backend: 'wasm', backends: [b], onValue: (n, t) => seen.set(n, t) });
        s.runSync({ [input]: x }); // the second run reuses the pooled (arena) buffers
        const out = s.runSync({ [input]: x });
        if (arena) expect(s.poolStats.arena, name).toBeGreaterThan(0);
        else expect(s.poolStats.arena, name).toBe(0);
        return { seen, out };
      };
      const on = await runBoth(true);
      const off = await runBoth(false);
      expect(on.seen.size).toBe(off.seen.size);
      for (const [n, t] of off.seen) expect(Array.from(on.seen.get(n)!.data as Float32Array), `${name} ${n}`).toEqual(Array.from(t.data as Float32Array));
      for (const [n, t] of Object.entries(off.out)) {
        expect(Array.from(on.out[n].data as Float32Array), `${name} ${n}`).toEqual(Array.from(t.data as Float32Array));
        expect((on.out[n].data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer);
      }
    }
  }, 60_000);

  it('quantized ops write their outputs in the arena: QuantizeLinear -> QLinearMatMul -> DequantizeLinear gives the js bits with the arena on and off', async () => {
    const { createWasmBackend } = await import('@lowbit/kernels-wasm');
    const K = 40;
    const N = 12;
    const f = (name: string, v: number) => ({ kind: 'inline' as const, name, dtype: DataType.FLOAT, dims: [], data: new Uint8Array(Float32Array.of(v).buffer), encoding: 'raw' as const });
    const u8 = (name: string, v: number) => ({ kind: 'inline' as const, name, dtype: DataType.UINT8, dims: [], data: Uint8Array.of(v), encoding: 'raw' as const });
    const w = Int8Array.from({ length: K * N }, (_, i) => ((i * 37) % 255) - 127);
    const model = mkModel(mkGraph({
      inputs: [vi('x', DataType.FLOAT, [6, K])],
      outputs: [vi('y', DataType.FLOAT, [6, N])],
      initializers: [
        f('xs', 0.05), u8('xz', 128), f('ws', 0.01), { kind: 'inline', name: 'wz', dtype: DataType.INT8, dims: [], data: Uint8Array.of(0), encoding: 'raw' },
        { kind: 'inline', name: 'w', dtype: DataType.INT8, dims: [K, N], data: new Uint8Array(w.buffer), encoding: 'raw' }, f('ys', 0.2), u8('yz', 120),
      ],
      nodes: [
        mkNode('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']),
        mkNode('QLinearMatMul', ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['yq']),
        mkNode('DequantizeLinear', ['yq', 'ys', 'yz'], ['y']),
      ],
    }), { opset: 13 });
    const x = new Tensor('float32', Float32Array.from({ length: 6 * K }, (_, i) => Math.sin(i) * 5), [6, K]);
    const js = Array.from(Session.fromModel(model, { backend: 'js', graphOptimization: 'basic' }).runSync({ x }).y.data as Float32Array);
    for (const arena of [true, false]) {
      const b = createWasmBackend({ arena });
      await b.init();
      const s = Session.fromModel(model, { backend: 'wasm', backends: [b], graphOptimization: 'basic' });
      s.runSync({ x });
      expect(Array.from(s.runSync({ x }).y.data as Float32Array), `arena ${arena}`).toEqual(js);
      expect(s.poolStats.arena > 0, `arena ${arena}`).toBe(arena);
    }
  });
});
