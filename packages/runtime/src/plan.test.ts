import { afterEach, describe, expect, it } from 'vitest';
import { encodeModel, NodeError, type FunctionDef } from '@lowbit/onnx-ir';
import { createReferenceRegistry, KernelError, Tensor, type KernelVariant } from '@lowbit/kernels';
import { Session } from './session.js';
import { SessionOptionError } from './errors.js';
import { attr, graph, model, node, vi } from './test-support/graph-builder.js';

describe('loading', () => {
  it('accepts model bytes (encoded by the onnx-ir codec)', async () => {
    const m = model(graph({ inputs: [vi('x', 1, [2])], outputs: [vi('y', 1, [2])], nodes: [node('Neg', ['x'], ['y'])] }));
    const s = await Session.create(encodeModel(m));
    expect(Array.from((await s.run({ x: new Tensor('float32', [1, -2]) })).y.data as Float32Array)).toEqual([-1, 2]);
  });

  it('a missing model file is a typed error naming the path', async () => {
    const err = await Session.create('/nonexistent/model.onnx').catch((e) => e);
    expect(err.code).toBe('MODEL_FORMAT');
    expect(err.message).toMatch(/nonexistent\/model\.onnx/);
  });
});

describe('kernel binding', () => {
  it('a kernel that rejects its node fails Session.create with a NodeError naming op, domain and opset', async () => {
    const picky: KernelVariant = {
      key: 'Neg:*', name: 'picky', isa: 'scalar', tolerance: 'exact',
      create: () => { throw new KernelError('attribute "mode" must be "fast"'); },
    };
    const { KernelRegistry } = await import('@lowbit/kernels');
    const m = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Neg', ['x'], ['y'], [], 'n1')] }), 14);
    const err = await Session.create(m, { registry: new KernelRegistry().register(picky) }).catch((e) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.message).toMatch(/node "n1" \(Neg\): op Neg \(domain "ai.onnx", opset 14\): kernel "Neg:\*" \(picky\) rejects the node: attribute "mode" must be "fast"/);
    expect(err.cause).toBeInstanceOf(KernelError);
  });

  it('a dtype with no kernel is reported at create when the input dtype is declared', async () => {
    // Conv has float kernels only in the reference set; int32 input is declared on the graph input.
    const m = model(graph({ inputs: [vi('x', 6, [1, 1, 3, 3]), vi('w', 6, [1, 1, 1, 1])], outputs: [vi('y')], nodes: [node('Conv', ['x', 'w'], ['y'], [], 'c1')] }));
    await expect(Session.create(m)).rejects.toThrow(/node "c1" \(Conv\): op Conv .* is not supported for input dtypes \(int32, int32\): no kernel for "Conv:i32", "Conv:\*"/);
  });

  it('binds at run time when an input dtype is not declared, and rebinds when it changes between runs', async () => {
    const m = model(graph({ inputs: [{ name: 'x', type: undefined }], outputs: [vi('y', 0 as never)], nodes: [node('Neg', ['x'], ['y'])] }));
    const s = await Session.create(m);
    expect(Array.from((await s.run({ x: new Tensor('float32', [1.5]) })).y.data as Float32Array)).toEqual([-1.5]);
    expect(Array.from((await s.run({ x: new Tensor('int64', [3n]) })).y.data as BigInt64Array)).toEqual([-3n]);
  });

  it('LOWBIT_ISA must name a known ISA', async () => {
    process.env.LOWBIT_ISA = 'sse9';
    const m = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Neg', ['x'], ['y'])] }));
    await expect(Session.create(m)).rejects.toBeInstanceOf(SessionOptionError);
    process.env.LOWBIT_ISA = 'scalar';
    await expect(Session.create(m, { registry: createReferenceRegistry() })).resolves.toBeInstanceOf(Session);
  });
  afterEach(() => { delete process.env.LOWBIT_ISA; });
});

describe('model-local functions', () => {
  it('a call runs the function body with the caller attribute bound to the ref attribute', async () => {
    // ScaledAdd(a, b) = (a + b) * alpha, alpha a float attribute of the call (default 1).
    const fn: FunctionDef = {
      name: 'ScaledAdd', domain: 'local', inputs: ['a', 'b'], outputs: ['o'], attributes: [],
      attributeProtos: [attr.float('alpha', 1)], opsetImports: [{ domain: '', version: 17 }], valueInfo: [],
      nodes: [
        node('Add', ['a', 'b'], ['s']),
        node('Constant', [], ['k'], [{ name: 'value_float', type: 'ref', refAttrName: 'alpha', refType: 'float' }]),
        node('Mul', ['s', 'k'], ['o']),
      ],
    };
    const g = graph({
      inputs: [vi('x', 1, [2]), vi('z', 1, [2])], outputs: [vi('y'), vi('y1')],
      nodes: [node('ScaledAdd', ['x', 'z'], ['y'], [attr.float('alpha', 3)], 'call', 'local'), node('ScaledAdd', ['x', 'z'], ['y1'], [], 'call1', 'local')],
    });
    const m = { ...model(g, 17, [{ domain: 'local', version: 1 }]), functions: [fn] };
    const out = await (await Session.create(m)).run({ x: new Tensor('float32', [1, 2]), z: new Tensor('float32', [3, 4]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([12, 18]);
    expect(Array.from(out.y1.data as Float32Array)).toEqual([4, 6]);
  });
});

describe('external data and node order', () => {
  it('reads initializers stored as external data beside the model (path given to Session.create)', async () => {
    const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveModel } = await import('@lowbit/onnx-ir');
    const { f32Tensor } = await import('./test-support/graph-builder.js');
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-runtime-'));
    try {
      const w = Array.from({ length: 64 }, (_, i) => i / 8);
      const m = model(graph({ inputs: [vi('x', 1, [64])], outputs: [vi('y')], initializers: [f32Tensor('w', [64], w)], nodes: [node('Mul', ['x', 'w'], ['y'])] }));
      await saveModel(m, join(dir, 'm.onnx'), { externalDataThreshold: 16 });
      expect(existsSync(join(dir, 'm.onnx.data'))).toBe(true);
      const s = await Session.create(join(dir, 'm.onnx'));
      const out = await s.run({ x: new Tensor('float32', new Float32Array(64).fill(2)) });
      expect(Array.from(out.y.data as Float32Array)).toEqual(w.map((v) => 2 * v));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs nodes listed out of topological order, and rejects a cycle at create', async () => {
    const unordered = model(graph({ inputs: [vi('x', 1, [1])], outputs: [vi('y')], nodes: [node('Neg', ['a'], ['y']), node('Abs', ['x'], ['a'])] }));
    const out = await (await Session.create(unordered)).run({ x: new Tensor('float32', [-3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([-3]);
    const cyclic = model(graph({ inputs: [vi('x', 1, [1])], outputs: [vi('y')], nodes: [node('Add', ['x', 'b'], ['a']), node('Neg', ['a'], ['b']), node('Abs', ['b'], ['y'])] }));
    await expect(Session.create(cyclic)).rejects.toThrow(/has a cycle/);
  });
});

describe('Constant folding', () => {
  const folding = () => model(graph({
    inputs: [vi('x', 1, [2])], outputs: [vi('y', 1, [2])],
    nodes: [node('Constant', [], ['k'], [attr.floats('value_floats', [10, 20])], 'kc'), node('Add', ['x', 'k'], ['y'], [], 'add')],
  }));

  it('a Constant node becomes a plan constant (no step runs it) at creation', async () => {
    const { compilePlan } = await import('./plan.js');
    const { defaultBuiltins } = await import('./builtins.js');
    const plan = compilePlan(folding().graph, { registry: createReferenceRegistry(), policy: {}, opsets: new Map([['', 17]]), builtins: defaultBuiltins() });
    expect(plan.steps.map((s) => s.node.opType)).toEqual(['Add']);
    const k = plan.slotOf.get('k')!;
    expect(plan.folded.has(k)).toBe(true);
    expect(Array.from(plan.constants.find(([s]) => s === k)![1].data as Float32Array)).toEqual([10, 20]);
  });

  it('runs, fetches and value hooks still see the folded value under its name', async () => {
    const seen: [string, number[]][] = [];
    const s = await Session.create(folding(), { onValue: (n, t) => seen.push([n, Array.from(t.data as Float32Array)]) });
    const out = await s.run({ x: new Tensor('float32', [1, 2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([11, 22]);
    expect(seen).toEqual([['x', [1, 2]], ['k', [10, 20]], ['y', [11, 22]]]);
    const observed: string[] = [];
    const s2 = await Session.create(folding(), { onValue: (n) => observed.push(n), observe: ['k'] });
    const fetched = await s2.run({ x: new Tensor('float32', [1, 2]) }, { fetches: ['k'] });
    expect(Array.from(fetched.k.data as Float32Array)).toEqual([10, 20]);
    expect(observed).toEqual(['k']);
  });
});
