/**
 * The runtime on the native backend (@lowbit/kernels-native): the ONNX node-test cases of the ops it has kernels for
 * pass with `backend: 'native'`, and hand-built models whose weights are initializers run on the native variants
 * (checked by counting which variants sessions create) with the same results as the js backend: bit-exact for
 * MatMulInteger, within the declared float tolerance for MatMul/Gemm. When the addon is absent the tests check that
 * the backend says why and that `backend: 'native'` is refused with that reason.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, type KernelBackend, type KernelVariant } from '@lowbit/kernels';
import type { DataType, InlineTensor } from '@lowbit/onnx-ir';
import { testdataPath } from '@lowbit/testing';
import { loadBackends } from './backend.js';
import { listCases, runCase } from './test-support/conformance/runner.js';
import { CONFORMANCE_EXCLUSIONS } from './test-support/conformance/exclusions.js';
import { Session } from './session.js';
import { F32, attr, graph, model, node, vi } from './test-support/graph-builder.js';
import { seededUniform } from './test-support/seeded.js';

const [native] = await loadBackends('native', { threads: 2 });
const U8 = 2 as DataType;
const I8 = 3 as DataType;
const I32 = 6 as DataType;

/** The backend with every variant's `create` counted by variant name. */
function counting(b: KernelBackend, created: string[]): KernelBackend {
  const wrap = (v: KernelVariant): KernelVariant => ({ ...v, create: (n) => (created.push(`${v.key}/${v.name}`), v.create(n)) });
  return { name: b.name, ready: b.ready, isas: b.isas, threads: b.threads, diagnostics: b.diagnostics, init: () => b.init(), variants: () => b.variants().map(wrap) };
}

const bytes = (name: string, dtype: DataType, dims: number[], data: Uint8Array | Int8Array): InlineTensor => ({ kind: 'inline', name, dtype, dims, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), encoding: 'raw' });

describe('runtime on the native backend', () => {
  if (!native.ready) {
    it('reports why the native backend is unavailable and refuses backend "native"', () => {
      console.log(`native backend unavailable: ${native.diagnostics.join('; ')}`);
      expect(native.diagnostics.length).toBeGreaterThan(0);
      expect(() => Session.fromModel(model(graph({ outputs: [vi('y')], nodes: [] })), { backend: 'native', backends: [native] })).toThrow(/native/);
    });
    return;
  }

  it('passes the ONNX node tests of the ops it has kernels for (MatMul, Gemm, Conv, the integer and Q/DQ ops) with backend "native"', () => {
    const ops = /^test_(matmul|matmulinteger|gemm|conv|convinteger|qlinearconv|qlinearmatmul|quantizelinear|dequantizelinear)/;
    let n = 0;
    for (const folder of ['onnx-node', 'onnx-node-v1.13-quant']) {
      const root = testdataPath(folder);
      for (const name of listCases(root).filter((c) => ops.test(c))) {
        const r = runCase(root, name, { backends: [native] });
        if (!CONFORMANCE_EXCLUSIONS.has(name)) expect(`${name}: ${r.status} ${r.message ?? ''}`).toBe(`${name}: pass `);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('MatMulInteger with an int8 initializer runs on the best native variant, bit-identical to the js backend', () => {
    const [M, K, N] = [37, 200, 70];
    const a = Uint8Array.from({ length: M * K }, (_, i) => (i * 7919) % 256);
    const b = Int8Array.from({ length: K * N }, (_, i) => ((i * 104729) % 256) - 128);
    const zb = Int8Array.from({ length: N }, (_, j) => (j % 9) - 4);
    const g = graph({
      inputs: [vi('a', U8, [M, K]), vi('za', U8, [])],
      outputs: [vi('y', I32)],
      nodes: [node('MatMulInteger', ['a', 'b', 'za', 'zb'], ['y'])],
      initializers: [bytes('b', I8, [K, N], b), bytes('zb', I8, [N], zb)],
    });
    const created: string[] = [];
    const feeds = { a: new Tensor('uint8', a, [M, K]), za: new Tensor('uint8', Uint8Array.of(131), []) };
    const ours = Session.fromModel(model(g, 13), { backend: 'native', backends: [counting(native, created)] }).runSync(feeds);
    const js = Session.fromModel(model(g, 13), { backend: 'js' }).runSync(feeds);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatch(/^MatMulInteger:u8xi8->i32\/native-/);
    const best = native.variants().filter((v) => v.key === 'MatMulInteger:u8xi8->i32').map((v) => v.name);
    console.log(`MatMulInteger ran on ${created[0]} (available: ${best.join(', ')})`);
    expect(Array.from(ours.y.data as Int32Array)).toEqual(Array.from(js.y.data as Int32Array));
  });

  it('MatMul and Gemm with float initializers run natively, within tolerance of the js backend', () => {
    const [M, K, N] = [9, 64, 40];
    const w = seededUniform(3, K * N, -1, 1);
    const bias = seededUniform(4, N, -1, 1);
    const f = (name: string, dims: number[], v: Float32Array): InlineTensor => ({ kind: 'inline', name, dtype: F32, dims, data: new Uint8Array(v.buffer), encoding: 'raw' });
    const g = graph({
      inputs: [vi('x', F32, [M, K])],
      outputs: [vi('y', F32), vi('z', F32)],
      nodes: [node('MatMul', ['x', 'w'], ['y']), node('Gemm', ['x', 'w', 'c'], ['z'], [attr.float('beta', 0.5)])],
      initializers: [f('w', [K, N], w), f('c', [N], bias)],
    });
    const created: string[] = [];
    const feeds = { x: new Tensor('float32', seededUniform(5, M * K, -2, 2), [M, K]) };
    const ours = Session.fromModel(model(g, 13), { backend: 'native', backends: [counting(native, created)] }).runSync(feeds);
    const js = Session.fromModel(model(g, 13), { backend: 'js' }).runSync(feeds);
    expect(created.map((c) => c.split('/')[0]).sort()).toEqual(['Gemm:f32', 'MatMul:f32']);
    for (const k of ['y', 'z'] as const) {
      const o = ours[k].data as Float32Array;
      const r = js[k].data as Float32Array;
      for (let i = 0; i < r.length; i++) expect(Math.abs(o[i] - r[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(r[i]));
    }
  });
});
