/**
 * Fused and unfused on the ONNX conformance cases: every case of ../shared/testdata/onnx-node and
 * onnx-node-v1.13-quant whose graph the 'all' pipeline changes runs at 'none' and at 'all' on its own test data; the
 * results must agree (floats within rtol 1e-5 / atol 1e-6, integers within 1 quantization step for fused QDQ, exactly
 * otherwise). The conformance suite itself (conformance.test.ts) runs sessions at the default level 'all' against the
 * expected outputs.
 */
import { describe, expect, it } from 'vitest';
import { DataType, tensorFromValues, type Attr } from '@lowbit/onnx-ir';
import { listNodeTestCases, mkGraph, mkModel, mkNode, readTestCase, testdataPath } from '@lowbit/testing';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { tensorFromRef } from '../values.js';
import { Session } from '../session.js';
import { optimizeForSession } from './pipeline.js';

describe('conformance cases, fused vs unfused', () => {
  it('every case the optimiser changes gives the same results at none and all', () => {
    const registry = createReferenceRegistry();
    const changed: string[] = [];
    const problems: string[] = [];
    for (const folder of ['onnx-node', 'onnx-node-v1.13-quant']) {
      for (const dir of listNodeTestCases(testdataPath(folder))) {
        const tc = readTestCase(dir);
        if (!tc.supported || tc.sets.length === 0) continue;
        let opt;
        try {
          opt = optimizeForSession(tc.model, { level: 'all' });
        } catch (e) {
          problems.push(`${tc.name}: optimisation threw ${(e as Error).message}`);
          continue;
        }
        if (opt.model === tc.model) continue;
        changed.push(tc.name);
        let none: Session, all: Session;
        try {
          none = Session.fromModel(tc.model, { backend: 'js', registry, graphOptimization: 'none' });
        } catch {
          continue; // an op the runtime does not support at all: nothing to compare
        }
        all = Session.fromModel(tc.model, { backend: 'js', registry, graphOptimization: 'all' });
        for (const set of tc.sets) {
          const feeds: Record<string, Tensor> = {};
          for (const t of set.inputs) feeds[t.name] = tensorFromRef(t);
          let a: Record<string, Tensor>;
          try {
            a = none.runSync(feeds);
          } catch {
            continue;
          }
          const b = all.runSync(feeds);
          for (const [name, ta] of Object.entries(a)) {
            const x = ta.data as ArrayLike<number>, y = b[name].data as ArrayLike<number>;
            const float = ta.dtype.startsWith('float');
            for (let i = 0; i < x.length; i++) {
              const d = Math.abs(Number(x[i]) - Number(y[i]));
              const ok = Object.is(Number(x[i]), Number(y[i])) || (float ? d <= 1e-6 + 1e-5 * Math.abs(Number(x[i])) : d <= 1);
              if (!ok) { problems.push(`${tc.name} ${name}[${i}]: ${x[i]} vs ${y[i]}`); break; }
            }
          }
        }
      }
    }
    console.log(`conformance cases changed by the optimiser: ${changed.length} (${changed.slice(0, 12).join(', ')}${changed.length > 12 ? ', ...' : ''})`);
    expect(problems).toEqual([]);
    expect(changed.length).toBeGreaterThan(0);
  }, 600_000);
});

/**
 * An attention block as exporters write it (heads split off by Reshape + Transpose, Q K^T, Softmax, P V, heads merged
 * back): the transposes feeding the MatMuls fold into lowbit.PermutedMatMul at 'all'; results equal 'none' bit for bit
 * on the reference kernels and on the native backend (same kernels fused and unfused).
 */
describe('attention block, fused vs unfused', () => {
  const S = 6, H = 2, D = 4;
  const ints = (name: string, v: number[]): Attr => ({ type: 'ints', name, value: v.map(BigInt) });
  const shape = (name: string, v: number[]) => tensorFromValues(name, DataType.INT64, [v.length], v.map(BigInt));
  const nodes = [
    ...['q', 'k', 'v'].flatMap((t) => [
      mkNode('Reshape', [t, 'heads'], [`${t}.r`], { name: `${t}_reshape` }),
      mkNode('Transpose', [`${t}.r`], [`${t}.t`], { name: `${t}_transpose`, attributes: [ints('perm', t === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3])] }),
    ]),
    mkNode('MatMul', ['q.t', 'k.t'], ['scores'], { name: 'qk' }),
    mkNode('Softmax', ['scores'], ['probs'], { name: 'softmax', attributes: [{ type: 'int', name: 'axis', value: -1n }] }),
    mkNode('MatMul', ['probs', 'v.t'], ['ctx'], { name: 'pv' }),
    mkNode('Transpose', ['ctx'], ['ctx.t'], { name: 'ctx_transpose', attributes: [ints('perm', [0, 2, 1, 3])] }),
    mkNode('Reshape', ['ctx.t', 'merged'], ['y'], { name: 'merge' }),
  ];
  const vi = (name: string) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [1, S, H * D] } });
  const build = (ns: typeof nodes) => mkModel(mkGraph({ inputs: [vi('q'), vi('k'), vi('v')], outputs: ['y'], initializers: [shape('heads', [1, S, H, D]), shape('merged', [1, S, H * D])], nodes: ns }), { opset: 13 });
  const model = build(nodes);
  const feeds = Object.fromEntries(['q', 'k', 'v'].map((t, j) => [t, new Tensor('float32', Float32Array.from({ length: S * H * D }, (_, i) => Math.sin(i * 0.9 + j) * 2), [1, S, H * D])]));
  const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

  it('dynamic int8 V (DynamicQuantizeLinear -> DequantizeLinear -> MatMul): the V transpose moves below the quantizer; exact', async () => {
    const qnodes = nodes.flatMap((n) => (n.name === 'pv'
      ? [mkNode('DynamicQuantizeLinear', ['v.t'], ['v.q', 'v.s', 'v.z'], { name: 'v_dql' }), mkNode('DequantizeLinear', ['v.q', 'v.s', 'v.z'], ['v.dq'], { name: 'v_dq' }), mkNode('MatMul', ['probs', 'v.dq'], ['ctx'], { name: 'pv' })]
      : [n]));
    const qmodel = build(qnodes);
    const opt = optimizeForSession(qmodel, { level: 'all' });
    expect(opt.model.graph.nodes.find((n) => n.opType === 'DynamicQuantizeLinear')?.inputs[0]).toBe('v.r');
    const [none, all] = (['none', 'all'] as const).map((l) => Session.fromModel(qmodel, { backend: 'js', registry: createReferenceRegistry(), graphOptimization: l }).runSync(feeds));
    expect(bits(all.y)).toEqual(bits(none.y));
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const [n0, n1] = (['none', 'all'] as const).map((l) => Session.fromModel(qmodel, { backend: 'native', backends: [native], graphOptimization: l }).runSync(feeds));
    expect(bits(n1.y)).toEqual(bits(n0.y));
    native.dispose?.();
  });

  it('folds Q, K and V transposes and matches the unfused graph exactly (reference and native)', async () => {
    const opt = optimizeForSession(model, { level: 'all' });
    expect(opt.report.opsAfter['lowbit.PermutedMatMul']).toBe(2);
    expect(opt.report.opsAfter.Transpose).toBe(1); // the merge transpose reads a MatMul output: not folded
    const [none, all] = (['none', 'all'] as const).map((l) => Session.fromModel(model, { backend: 'js', registry: createReferenceRegistry(), graphOptimization: l }).runSync(feeds));
    expect(bits(all.y)).toEqual(bits(none.y));
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const [n0, n1] = (['none', 'all'] as const).map((l) => Session.fromModel(model, { backend: 'native', backends: [native], graphOptimization: l }).runSync(feeds));
    expect(bits(n1.y)).toEqual(bits(n0.y));
    native.dispose?.();
  });
});

/**
 * The static-QDQ GELU of a quantized transformer MLP (erf form, QuantizeLinear, DequantizeLinear): at 'all' it becomes
 * lowbit.QGeluErf -> DequantizeLinear; results equal 'none' bit for bit on the reference kernels and on the native
 * backend.
 */
describe('quantized GELU block, fused vs unfused', () => {
  const f = (name: string, v: number) => tensorFromValues(name, DataType.FLOAT, [], [v]);
  const nodes = [
    mkNode('Div', ['x', 'sqrt2'], ['s'], { name: 'div' }),
    mkNode('Erf', ['s'], ['e'], { name: 'erf' }),
    mkNode('Add', ['e', 'one'], ['a'], { name: 'add' }),
    mkNode('Mul', ['x', 'half'], ['h'], { name: 'half' }),
    mkNode('Mul', ['h', 'a'], ['g'], { name: 'gate' }),
    mkNode('QuantizeLinear', ['g', 'gs', 'gz'], ['gq'], { name: 'q' }),
    mkNode('DequantizeLinear', ['gq', 'gs', 'gz'], ['y'], { name: 'dq' }),
  ];
  const inits = [f('sqrt2', Math.SQRT2), f('one', 1), f('half', 0.5), f('gs', 0.0125), tensorFromValues('gz', DataType.UINT8, [], [37])];
  const model = mkModel(mkGraph({ inputs: [{ name: 'x', type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [3, 1031] } }], outputs: ['y'], initializers: inits, nodes }), { opset: 13 });
  const feeds = { x: new Tensor('float32', Float32Array.from({ length: 3 * 1031 }, (_, i) => Math.sin(i * 0.61) * 4), [3, 1031]) };
  const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

  it('fuses to lowbit.QGeluErf and matches the unfused graph exactly (reference and native)', async () => {
    const opt = optimizeForSession(model, { level: 'all' });
    expect(opt.report.opsAfter).toEqual({ 'lowbit.QGeluErf': 1, DequantizeLinear: 1 });
    const [none, all] = (['none', 'all'] as const).map((l) => Session.fromModel(model, { backend: 'js', registry: createReferenceRegistry(), graphOptimization: l }).runSync(feeds));
    expect(bits(all.y)).toEqual(bits(none.y));
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const [n0, n1] = (['none', 'all'] as const).map((l) => Session.fromModel(model, { backend: 'native', backends: [native], graphOptimization: l }));
    expect(n1.optimization.opsAfter).toEqual({ 'lowbit.QGeluErf': 1, DequantizeLinear: 1 });
    expect(bits(n1.runSync(feeds).y)).toEqual(bits(n0.runSync(feeds).y));
    native.dispose?.();
  });
});
