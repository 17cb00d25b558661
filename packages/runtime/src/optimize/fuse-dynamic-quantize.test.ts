import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Attr, Model, Node, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode, type NodeDraft } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { fuseDynamicConvQuantize, MIN_FUSED_ELEMENTS } from './fuse-dynamic-quantize.js';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, intsAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseDynamicConvQuantize.run(m, createPassContext({ options })) as PassResult;
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
const C = 3;
/** Planes of C x H x W >= MIN_FUSED_ELEMENTS (the pass fuses only outputs at least that large). */
const H = 152, W = 152;
const pads: Attr = intsAttr('pads', [1, 1, 1, 1]);

/** Weights of conv `t`: a 3x3 (pads 1) C -> C, a 1x1 C -> C, or a depthwise 3x3 (group C); w_scale, w_zero_point, bias. */
function weights(t: string, kind: 'dense' | 'pw' | 'dw', seed: number) {
  const k = kind === 'pw' ? 1 : 3;
  const cin = kind === 'dw' ? 1 : C;
  const n = C * cin * k * k;
  return [
    i8(`w${t}`, [C, cin, k, k], Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 31) % 255) - 127)), f32(`ws${t}`, [], [0.004 + seed * 0.001]),
    i8(`wz${t}`, [], [seed % 3 - 1]), f32(`b${t}`, [C], [0.25, -0.5, 0.125].map((v) => v * (seed + 1))),
  ];
}
const attrsOf = (kind: 'dense' | 'pw' | 'dw', act = 1): Attr[] =>
  [...(kind === 'pw' ? [] : [pads]), ...(kind === 'dw' ? [intAttr('group', C)] : []), ...(act ? [intAttr('activation', act)] : [])];
/** DynamicQConv in the float form (x at 0) or the quantized-input form (x_q, x_s, x_zp at 0, 5, 6). */
const conv = (t: string, x: string | [string, string, string], y: string, kind: 'dense' | 'pw' | 'dw', act = 1): NodeDraft =>
  mkNode('DynamicQConv', typeof x === 'string' ? [x, `w${t}`, `ws${t}`, `wz${t}`, `b${t}`] : [x[0], `w${t}`, `ws${t}`, `wz${t}`, `b${t}`, x[1], x[2]], [y], { name: `conv${t}`, domain: 'lowbit', attributes: attrsOf(kind, act) });

function model(nodes: NodeDraft[], outputs: string[], kinds: Record<string, 'dense' | 'pw' | 'dw'>, dims: (number | string)[] = [1, C, H, W]): Model {
  const inits = Object.entries(kinds).flatMap(([t, k], i) => weights(t, k, i));
  const m = mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, dims as number[])], outputs, initializers: inits, nodes }), { opset: 13 });
  return { ...m, opsetImports: [...m.opsetImports, { domain: 'lowbit', version: 1 }] };
}
const feeds = (seed: number) => ({ x: new Tensor('float32', Float32Array.from({ length: C * H * W }, (_, i) => Math.fround(Math.cos(i * 0.37 + seed) * 3 + 0.5)), [1, C, H, W]) });
const byName = (m: Model, name: string): Node => m.graph.nodes.find((n) => n.name === name)!;

/** a (float form) -> y1 -> b (float form) -> y2 -> DQL -> (c, d quantized-input form) -> outputs yc, yd. */
const chain = () => model([
  conv('a', 'x', 'y1', 'dense'), conv('b', 'y1', 'y2', 'dw'),
  mkNode('DynamicQuantizeLinear', ['y2'], ['q2', 's2', 'z2'], { name: 'dql' }),
  conv('c', ['q2', 's2', 'z2'], 'yc', 'pw', 0), conv('d', ['q2', 's2', 'z2'], 'yd', 'dw', 2),
], ['yc', 'yd'], { a: 'dense', b: 'dw', c: 'pw', d: 'dw' });

describe('fuse-dynamic-conv-quantize', () => {
  it('a convolution read only by quantizing readers outputs the quantized tensor: fresh names for a float-form reader, the DynamicQuantizeLinear\'s own for a shared one; bit-identical on js and native', async () => {
    const m = chain();
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const [a, b, c, d] = ['conva', 'convb', 'convc', 'convd'].map((n) => byName(r.model, n));
    expect([a.opType, b.opType, c.opType, d.opType]).toEqual(['DynamicQConvQuantize', 'DynamicQConvQuantize', 'DynamicQConv', 'DynamicQConv']);
    // b reads a's fresh outputs in the quantized-input form, and produces the DynamicQuantizeLinear's names
    expect(a.outputs).toHaveLength(3);
    expect(b.inputs).toEqual([a.outputs[0], 'wb', 'wsb', 'wzb', 'bb', a.outputs[1], a.outputs[2]]);
    expect(b.outputs).toEqual(['q2', 's2', 'z2']);
    expect(r.model.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear')).toEqual([]);
    expect(c.inputs).toEqual(['q2', 'wc', 'wsc', 'wzc', 'bc', 's2', 'z2']);
    for (const seed of [0, 1]) {
      const [want, got] = [runLevels(m, feeds(seed), ['none'])[0]!, runLevels(r.model, feeds(seed), ['none'])[0]!];
      for (const k of ['yc', 'yd']) expect(bits(got[k]!)).toEqual(bits(want[k]!));
    }
    const [native] = await loadBackends('native', { threads: 2 });
    if (native?.ready) {
      const created: string[] = [];
      const counting = { ...native, variants: () => native.variants().map((v) => ({ ...v, create: (n: never) => (created.push(`${v.key}/${v.name}`), v.create(n)) })) };
      const want = runLevels(m, feeds(2), ['none'])[0]!;
      for (let rep = 0; rep < 2; rep++) {
        const got = Session.fromModel(r.model, { backend: 'native', backends: [counting as never], graphOptimization: 'none' }).runSync(feeds(2));
        for (const k of ['yc', 'yd']) expect(bits(got[k]!)).toEqual(bits(want[k]!));
      }
      expect(created.filter((k) => k.startsWith('lowbit.DynamicQConvQuantize:f32/native-'))).toHaveLength(2);
      expect(created.filter((k) => k.startsWith('lowbit.DynamicQConvQuantize:u8/native-'))).toHaveLength(2);
      native.dispose?.();
    }
  });

  it('the pipeline at `all` fuses it (and keeps the results bit-identical to `none`); a kept or graph-output float tensor, or any other reader, stops it', () => {
    const m = chain();
    const [none, all] = runLevels(m, feeds(3), ['none', 'all']);
    for (const k of ['yc', 'yd']) expect(bits(all![k]!)).toEqual(bits(none![k]!));
    expect(Session.fromModel(m, { backend: 'js' }).optimization.opsAfter['lowbit.DynamicQConvQuantize']).toBe(2);
    // kept: y1 stays observable, a stays a DynamicQConv (b still fuses: y2 is not kept)
    const kept = run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'y1' } }).model;
    expect(byName(kept, 'conva').opType).toBe('DynamicQConv');
    expect(byName(kept, 'convb').opType).toBe('DynamicQConvQuantize');
    const keptRun = Session.fromModel(m, { backend: 'js', keep: ['y1'] }).runSync(feeds(3), { fetches: ['y1', 'yc'] });
    expect(bits(keptRun.yc!)).toEqual(bits(none!.yc!));
    expect(keptRun.y1!.dtype).toBe('float32');
    // a graph output
    const out = model(chain().graph.nodes as never, ['yc', 'yd', 'y1'], { a: 'dense', b: 'dw', c: 'pw', d: 'dw' });
    expect(byName(run(out).model, 'conva').opType).toBe('DynamicQConv');
    // another reader of y1 (a Relu), or y1 read as a weight-side input: no fusion of a
    const other = model([...chain().graph.nodes as never, mkNode('Relu', ['y1'], ['r'], { name: 'relu' })], ['yc', 'yd', 'r'], { a: 'dense', b: 'dw', c: 'pw', d: 'dw' });
    expect(byName(run(other).model, 'conva').opType).toBe('DynamicQConv');
    // outputs under MIN_FUSED_ELEMENTS, or of dims that do not infer to numbers (a symbolic input dim): nothing
    expect(C * H * W).toBeGreaterThanOrEqual(MIN_FUSED_ELEMENTS);
    const kinds = { a: 'dense', b: 'dw', c: 'pw', d: 'dw' } as const;
    expect(run(model(chain().graph.nodes as never, ['yc', 'yd'], kinds, [1, C, 100, 100])).modified).toBe(false);
    expect(run(model(chain().graph.nodes as never, ['yc', 'yd'], kinds, ['n', C, H, W])).modified).toBe(false);
    // a rank guard without the fused kernel: nothing
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('lowbit.DynamicQConvQuantize') ? undefined : 1) } }).modified).toBe(false);
    // nothing to fuse: the same model back
    const lone = model([conv('a', 'x', 'y1', 'dense')], ['y1'], { a: 'dense' });
    const r = run(lone);
    expect(r.modified).toBe(false);
    expect(r.model).toBe(lone);
  });

  it('property: fused and unfused chains of random depth, kinds and activations are bit-identical (js)', () => {
    const kinds = ['dense', 'pw', 'dw'] as const;
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...kinds), fc.constantFrom(0, 1, 2, 4)), { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 50 }), (layers, seed) => {
      const nodes: NodeDraft[] = [];
      const ks: Record<string, 'dense' | 'pw' | 'dw'> = {};
      let x = 'x';
      layers.forEach(([kind, act], i) => {
        const t = `l${i}`;
        ks[t] = kind;
        const attrs = act === 2 ? [...attrsOf(kind, 2), { name: 'activation_min', type: 'float' as const, value: -0.5 }, { name: 'activation_max', type: 'float' as const, value: 1.5 }] : attrsOf(kind, act);
        nodes.push(mkNode('DynamicQConv', [x, `w${t}`, `ws${t}`, `wz${t}`, `b${t}`], [`y${i}`], { name: `conv${t}`, domain: 'lowbit', attributes: attrs }));
        x = `y${i}`;
      });
      const m = model(nodes, [x], ks);
      const r = run(m);
      expect(r.model.graph.nodes.filter((n) => n.opType === 'DynamicQConvQuantize')).toHaveLength(layers.length - 1);
      const [want, got] = [runLevels(m, feeds(seed), ['none'])[0]!, runLevels(r.model, feeds(seed), ['none'])[0]!];
      expect(bits(got[x]!)).toEqual(bits(want[x]!));
    }), { numRuns: 25 });
  });
});
