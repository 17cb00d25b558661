/**
 * The runtime's `fuse-quantized-lookup` on a real static QDQ model (ppocr-mobile-v2-cls, quantized here): every
 * DequantizeLinear -> HardSwish chain (Add, Clip, Mul, Div) -> QuantizeLinear between two quantized convolutions
 * becomes one lowbit.QLookup, and the fused model's values are bit-identical to the unfused model's, run literally
 * ('none') and with 'basic', on the js (reference) and native backends.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { createPassContext, DataType, PassManager } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { fuseLookupGate, fuseQuantizedLookup, fuseQuantizedPair, loadBackends, optimizationPasses, Session, Tensor } from '@lowbit/runtime';
import type { Feeds } from '@lowbit/calibrators';
import { quantizeStatic } from './quantize-static.js';

const dims = [1, 3, 48, 192];
const image = (seed: number) => Float32Array.from({ length: 3 * 48 * 192 }, (_, j) => Math.sin(seed * 7919 + j) * Math.cos(j / 97 + seed));
const count = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op).length;
const bytes = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));

describe('fuse-quantized-lookup on ppocr-mobile-v2-cls static QDQ', () => {
  it('fires on every HardSwish chain between quantized convolutions; values bit-identical to the unfused model (none, basic; js and native)', async () => {
    const data = (): Iterable<Feeds> => Array.from({ length: 3 }, (_, s) => ({ x: { dtype: 'float32', dims, data: image(s) } }));
    const m = await quantizeStatic(testdataPath('models', 'ppocr-mobile-v2-cls.onnx'), join(mkdtempSync(join(tmpdir(), 'lowbit-lut-')), 'q.onnx'), data, { perChannel: true });
    const r = fuseQuantizedLookup.run(m, createPassContext({ options: {} })) as PassResult;
    const tableType = (n: Model['graph']['nodes'][number]) => r.model.graph.initializers.find((t) => t.name === n.inputs[1])!.dtype;
    const lookups = r.model.graph.nodes.filter((n) => n.opType === 'QLookup');
    const toBytes = lookups.filter((n) => tableType(n) === DataType.UINT8).length;
    const toFloat = lookups.filter((n) => tableType(n) === DataType.FLOAT).length;
    expect(toBytes).toBe(9); // DequantizeLinear -> HardSwish -> QuantizeLinear, between two QLinearConvs
    expect(toFloat).toBeGreaterThanOrEqual(9); // DequantizeLinear -> HardSwish read by the squeeze-excite block (float)
    expect(toBytes + toFloat).toBe(lookups.length);
    expect(count(r.model, 'QuantizeLinear')).toBe(count(m, 'QuantizeLinear') - toBytes);
    expect(count(r.model, 'DequantizeLinear')).toBeLessThan(count(m, 'DequantizeLinear'));
    expect(count(r.model, 'Clip')).toBeLessThanOrEqual(count(m, 'Clip') - 18);
    // With all of 'all': the float lookups of the squeeze-excite blocks (activation and gate) fuse further
    // (fuse-lookup-gate), the one before the head's MaxPool becomes its rank table (sink-maxpool-lookup).
    expect(Session.fromModel(m, { backend: 'js' }).optimization.opsAfter['lowbit.QLookup']).toBe(toBytes + 1);
    const feeds = { x: new Tensor('float32', image(42), dims) };
    // Every fused output (an 8-bit value) and the graph output, compared byte for byte.
    const fetches = [...r.model.graph.nodes.filter((n) => n.opType === 'QLookup').map((n) => n.outputs[0]!), ...m.graph.outputs.map((o) => o.name)];
    const [native] = await loadBackends('native', { threads: 1 });
    const backends = native?.ready ? (['js', 'native'] as const) : (['js'] as const);
    for (const backend of backends) {
      const opts = { backend, ...(backend === 'native' ? { backends: [native!] } : {}) };
      const a = Session.fromModel(m, { ...opts, graphOptimization: 'none' }).runSync(feeds, { fetches });
      const b = Session.fromModel(r.model, { ...opts, graphOptimization: 'none' }).runSync(feeds, { fetches });
      for (const k of fetches) expect(bytes(b[k]), `${backend} ${k}`).toEqual(bytes(a[k]));
      const c = Session.fromModel(m, { ...opts, graphOptimization: 'basic' }).runSync(feeds);
      const d = Session.fromModel(r.model, { ...opts, graphOptimization: 'basic' }).runSync(feeds);
      for (const k of Object.keys(c)) expect(bytes(d[k]), `${backend} basic ${k}`).toEqual(bytes(c[k]));
    }
    native?.dispose?.();
  }, 300_000);

  it('sink-maxpool-lookup (in all): the MaxPool of the last HardSwish pools bytes; values bit-identical to the pipeline without it (js and native)', async () => {
    const data = (): Iterable<Feeds> => Array.from({ length: 3 }, (_, s) => ({ x: { dtype: 'float32', dims, data: image(s) } }));
    const m = await quantizeStatic(testdataPath('models', 'ppocr-mobile-v2-cls.onnx'), join(mkdtempSync(join(tmpdir(), 'lowbit-maxpool-')), 'q.onnx'), data, { perChannel: true });
    const pipeline = async (withSink: boolean) => (await new PassManager(optimizationPasses('all').filter((p) => withSink || p.name !== 'sink-maxpool-lookup'), { name: 't' }).run(m, createPassContext({}))).model;
    const [fused, unfused] = [await pipeline(true), await pipeline(false)];
    const poolIn = (g: Model) => g.graph.nodes.find((n) => n.opType === 'MaxPool')!.inputs[0]!;
    const tableOf = (g: Model, v: string) => g.graph.initializers.find((t) => t.name === g.graph.nodes.find((n) => n.outputs[0] === v)!.inputs[1])!.dtype;
    expect(tableOf(unfused, poolIn(unfused))).toBe(DataType.FLOAT);
    expect(tableOf(fused, poolIn(fused))).toBe(DataType.UINT8); // the ranks: the pool reads bytes
    // The pooled ranks' float lookup then feeds the head's GlobalAveragePool, which fuse-lookup-gate takes too.
    expect(count(fused, 'QLookupGlobalAveragePool')).toBe(count(unfused, 'QLookupGlobalAveragePool') + 1);
    expect(count(fused, 'GlobalAveragePool')).toBe(0);
    const [native] = await loadBackends('native', { threads: 1 });
    const backends = native?.ready ? (['js', 'native'] as const) : (['js'] as const);
    for (const backend of backends) {
      const opts = { backend, graphOptimization: 'none' as const, ...(backend === 'native' ? { backends: [native!] } : {}) };
      for (const seed of [7, 8]) {
        const feeds = { x: new Tensor('float32', image(seed), dims) };
        const a = Session.fromModel(unfused, opts).runSync(feeds);
        const b = Session.fromModel(fused, opts).runSync(feeds);
        for (const k of Object.keys(a)) expect(bytes(b[k]), `${backend} ${k}`).toEqual(bytes(a[k]));
      }
    }
    native?.dispose?.();
  }, 300_000);

  it('fuse-quantized-pair (in all): every residual Add between quantized values is one byte-pair lookup; values bit-identical to the pipeline without it (js and native)', async () => {
    const data = (): Iterable<Feeds> => Array.from({ length: 3 }, (_, s) => ({ x: { dtype: 'float32', dims, data: image(s) } }));
    const m = await quantizeStatic(testdataPath('models', 'ppocr-mobile-v2-cls.onnx'), join(mkdtempSync(join(tmpdir(), 'lowbit-pair-')), 'q.onnx'), data, { perChannel: true });
    const pipeline = async (withPair: boolean) => (await new PassManager(optimizationPasses('all').filter((p) => withPair || p.name !== fuseQuantizedPair.name), { name: 't' }).run(m, createPassContext({}))).model;
    const [fused, unfused] = [await pipeline(true), await pipeline(false)];
    const adds = unfused.graph.nodes.filter((n) => n.opType === 'Add' && n.domain === '' && unfused.graph.nodes.some((q) => q.opType === 'QuantizeLinear' && q.inputs[0] === n.outputs[0])).length;
    expect(adds).toBeGreaterThanOrEqual(7);
    expect(count(fused, 'QLookup2')).toBe(adds);
    expect(count(fused, 'DequantizeLinear')).toBeLessThan(count(unfused, 'DequantizeLinear'));
    const [native] = await loadBackends('native', { threads: 1 });
    const backends = native?.ready ? (['js', 'native'] as const) : (['js'] as const);
    for (const backend of backends) {
      const opts = { backend, graphOptimization: 'none' as const, ...(backend === 'native' ? { backends: [native!] } : {}) };
      for (const seed of [7, 9]) {
        const feeds = { x: new Tensor('float32', image(seed), dims) };
        const a = Session.fromModel(unfused, opts).runSync(feeds);
        const b = Session.fromModel(fused, opts).runSync(feeds);
        for (const k of Object.keys(a)) expect(bytes(b[k]), `${backend} ${k}`).toEqual(bytes(a[k]));
      }
    }
    native?.dispose?.();
  }, 300_000);

  it('fuse-lookup-gate (in all): every squeeze-excite block keeps its activation in bytes (no float Mul, squeeze QuantizeLinear or gate lookup left); values identical to the pipeline without the pass (js and native)', async () => {
    const data = (): Iterable<Feeds> => Array.from({ length: 3 }, (_, s) => ({ x: { dtype: 'float32', dims, data: image(s) } }));
    const m = await quantizeStatic(testdataPath('models', 'ppocr-mobile-v2-cls.onnx'), join(mkdtempSync(join(tmpdir(), 'lowbit-gate-')), 'q.onnx'), data, { perChannel: true });
    const passes = (withGate: boolean) => optimizationPasses('all').filter((p) => withGate || p.name !== fuseLookupGate.name);
    const pipeline = async (withGate: boolean) => (await new PassManager(passes(withGate), { name: 't' }).run(m, createPassContext({}))).model;
    const [fused, unfused] = [await pipeline(true), await pipeline(false)];
    expect(count(fused, 'QLookupMulQuantize')).toBe(count(unfused, 'Mul'));
    expect(count(fused, 'QLookupMulQuantize')).toBeGreaterThanOrEqual(7);
    // Every GlobalAveragePool reads a byte source: the squeeze-excite ones and the head's (after sink-maxpool-lookup).
    expect(count(fused, 'QLookupGlobalAveragePool')).toBe(count(unfused, 'GlobalAveragePool'));
    expect(count(fused, 'Mul')).toBe(0);
    expect(count(fused, 'GlobalAveragePool')).toBe(0);
    // The excite's QuantizeLinear and the squeeze's (folded into the pool) are gone.
    expect(count(fused, 'QuantizeLinear')).toBe(count(unfused, 'QuantizeLinear') - 2 * count(fused, 'QLookupMulQuantize'));
    // Gates come in as bytes through their HardSigmoid table; the float activations' lookups are dead.
    expect(fused.graph.nodes.filter((n) => n.opType === 'QLookupMulQuantize' && n.inputs.length === 6).length).toBe(count(fused, 'QLookupMulQuantize'));
    expect(fused.graph.nodes.length).toBeLessThanOrEqual(unfused.graph.nodes.length - 4 * count(fused, 'QLookupMulQuantize'));
    const feeds = { x: new Tensor('float32', image(7), dims) };
    const [native] = await loadBackends('native', { threads: 1 });
    const backends = native?.ready ? (['js', 'native'] as const) : (['js'] as const);
    for (const backend of backends) {
      const opts = { backend, graphOptimization: 'none' as const, ...(backend === 'native' ? { backends: [native!] } : {}) };
      const a = Session.fromModel(unfused, opts).runSync(feeds);
      const b = Session.fromModel(fused, opts).runSync(feeds);
      for (const k of Object.keys(a)) expect(bytes(b[k]), `${backend} ${k}`).toEqual(bytes(a[k]));
    }
    native?.dispose?.();
  }, 300_000);
});
