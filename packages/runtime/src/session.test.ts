import { describe, expect, it } from 'vitest';
import { LowbitError } from '@lowbit/qparams';
import { NodeError } from '@lowbit/onnx-ir';
import { KernelRegistry, Tensor, type KernelVariant } from '@lowbit/kernels';
import { Session } from './session.js';
import { loadBackends } from './backend.js';
import { TensorSequence } from './values.js';
import { BackendUnavailableError, FeedError, SessionOptionError } from './errors.js';
import { attr, f32Tensor, graph, I64, model, node, vi } from './test-support/graph-builder.js';

// y = relu(x + b), b an initializer. Expected values worked out by hand in each test.
const addRelu = () => model(graph({
  inputs: [vi('x', 1, ['N', 3])],
  outputs: [vi('y', 1, ['N', 3])],
  initializers: [f32Tensor('b', [3], [1, -2, 0.5])],
  nodes: [node('Add', ['x', 'b'], ['s'], [], 'add1'), node('Relu', ['s'], ['y'], [], 'relu1')],
}));

describe('Session basics', () => {
  it('runs a two-node graph and mirrors onnxruntime-node metadata', async () => {
    const s = await Session.create(addRelu(), { backend: 'js' });
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['y']);
    expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: ['N', 3] }]);
    const out = await s.run({ x: new Tensor('float32', [0, 1, 2, -3, 4, -5], [2, 3]) });
    // [0+1, 1-2, 2+0.5, -3+1, 4-2, -5+0.5] -> relu
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, 0, 2.5, 0, 2, 0]);
    expect(out.y.dims).toEqual([2, 3]);
  });

  it('handles a dynamic batch dimension: the same session runs batch 1 and batch 4', async () => {
    const s = await Session.create(addRelu());
    const a = await s.run({ x: new Tensor('float32', [1, 1, 1], [1, 3]) });
    expect(Array.from(a.y.data as Float32Array)).toEqual([2, 0, 1.5]);
    const b = await s.run({ x: new Tensor('float32', new Float32Array(12).fill(3), [4, 3]) });
    expect(b.y.dims).toEqual([4, 3]);
    expect(Array.from(b.y.data as Float32Array).slice(0, 3)).toEqual([4, 1, 3.5]);
  });

  it('rejects bad feeds with a FeedError naming the input, expected vs actual', async () => {
    const s = await Session.create(addRelu());
    const good = new Tensor('float32', [0, 0, 0], [1, 3]);
    await expect(s.run({})).rejects.toThrow(/input "x": is missing/);
    await expect(s.run({ x: good, z: good })).rejects.toThrow(/input "z": is not an input of the model/);
    await expect(s.run({ x: new Tensor('int32', [0, 0, 0], [1, 3]) })).rejects.toThrow(/input "x": dtype int32, expected float32/);
    await expect(s.run({ x: new Tensor('float32', [0, 0, 0], [3]) })).rejects.toThrow(/rank 1 .*expected rank 2 \[N, 3\]/);
    const err = await s.run({ x: new Tensor('float32', [0, 0, 0, 0], [1, 4]) }).catch((e) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect(err).toBeInstanceOf(LowbitError);
    expect(err.code).toBe('FEED');
    expect(err.context).toMatchObject({ input: 'x', expected: '3', actual: '4', axis: 1 });
  });

  it('reports an unsupported op at create time, naming op, domain, opset and node', async () => {
    const m = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('FancyOp', ['x'], ['y'], [], 'fancy1')] }), 13);
    const err = await Session.create(m).catch((e) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.message).toMatch(/node "fancy1" \(FancyOp\).*op FancyOp \(domain "ai.onnx", opset 13\) is not supported/);
  });

  it('reports a domain the model does not import, and an opset newer than supported', async () => {
    const m1 = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Relu', ['x'], ['y'], [], 'r', 'com.example')] }));
    await expect(Session.create(m1)).rejects.toThrow(/node "r" \(Relu\): domain "com.example" is not imported/);
    const m2 = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Relu', ['x'], ['y'], [], 'r')] }), 99);
    await expect(Session.create(m2)).rejects.toThrow(/opset 99 is newer than the runtime supports/);
    // also for ops the runtime runs itself
    const m3 = model(graph({ outputs: [vi('c')], nodes: [node('Constant', [], ['c'], [attr.float('value_float', 1)], 'k')] }), 29);
    await expect(Session.create(m3)).rejects.toThrow(/node "k" \(Constant\): op Constant \(domain "ai.onnx", opset 29\): opset 29 is newer/);
  });

  it('reports a node reading an undefined value at create time', async () => {
    const m = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Add', ['x', 'ghost'], ['y'], [], 'a')] }));
    await expect(Session.create(m)).rejects.toThrow(/node "a" \(Add\): input\[1\] "ghost", which is not a graph input/);
  });

  it('wraps a kernel failure during run in a NodeError with the node name and op', async () => {
    // MatMul of [1,3] x [2,2] only fails once the shapes are known, at run time.
    const m = model(graph({
      inputs: [vi('a', 1, [1, 'K']), vi('b', 1, ['K2', 2])], outputs: [vi('y')],
      nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm')],
    }));
    const s = await Session.create(m);
    const err = await s.run({ a: new Tensor('float32', [1, 2, 3], [1, 3]), b: new Tensor('float32', [1, 2, 3, 4], [2, 2]) }).catch((e) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.nodeName).toBe('mm');
    expect(err.opType).toBe('MatMul');
    expect(err.message).toMatch(/node "mm" \(MatMul\): kernel MatMul:f32/);
  });

  it('uses a caller-supplied registry', async () => {
    const calls: string[] = [];
    const negate: KernelVariant = {
      key: 'Neg:*', name: 'test', isa: 'scalar', tolerance: 'exact',
      create: () => ({ run: ([x], ctx) => { calls.push('neg'); const o = ctx.alloc('float32', x!.dims); (x!.data as Float32Array).forEach((v, i) => { o.data[i] = -v; }); return [o]; } }),
    };
    const m = model(graph({ inputs: [vi('x')], outputs: [vi('y')], nodes: [node('Neg', ['x'], ['y'])] }));
    const s = await Session.create(m, { registry: new KernelRegistry().register(negate) });
    const out = await s.run({ x: new Tensor('float32', [1, -2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([-1, 2]);
    expect(calls).toEqual(['neg']);
  });
});

describe('backends and options', () => {
  it('an explicit backend that cannot load is a typed error; auto takes the best one that loads, with diagnostics', async () => {
    // Which optimized backends load depends on the machine (the native addon needs a compiler at install time):
    // ask them, then check the session agrees.
    const [native, wasm] = await loadBackends('auto');
    try {
      if (native.ready) expect((await Session.create(addRelu(), { backend: 'native' })).backend).toBe('native');
      else await expect(Session.create(addRelu(), { backend: 'native' })).rejects.toThrow(/backend "native" is not available/);
      if (wasm.ready) expect((await Session.create(addRelu(), { backend: 'wasm' })).backend).toBe('wasm');
      const s = await Session.create(addRelu(), { backend: 'auto' });
      expect(s.backend).toBe(native.ready ? 'native' : wasm.ready ? 'wasm' : 'js');
      if (!native.ready) expect(s.diagnostics.join('\n')).toMatch(/backend native is not available/);
      // fromModel does not load backends: an explicit wasm without preloaded backends is a typed error.
      expect(() => Session.fromModel(addRelu(), { backend: 'wasm' })).toThrow(BackendUnavailableError);
      // ... and with them preloaded it uses them.
      if (wasm.ready) expect(Session.fromModel(addRelu(), { backend: 'wasm', backends: [wasm] }).backend).toBe('wasm');
    } finally {
      native.dispose?.();
      wasm.dispose?.();
    }
  });

  it('rejects an unknown isa and bad threads', async () => {
    await expect(Session.create(addRelu(), { isa: 'sse9' as never })).rejects.toBeInstanceOf(SessionOptionError);
    await expect(Session.create(addRelu(), { threads: -1 })).rejects.toThrow(/option "threads"/);
  });
});

describe('Constant and Identity', () => {
  it('builds every Constant attribute form', async () => {
    const forms = [
      attr.tensor('value', f32Tensor('c', [2], [1.5, 2.5])), attr.float('value_float', 0.25), attr.floats('value_floats', [1, 2, 3]),
      attr.int('value_int', 7), attr.ints('value_ints', [4, 5]), attr.string('value_string', 'hi'),
      { name: 'value_strings', type: 'strings', value: ['a', 'b'] } as const,
    ];
    const outputs = forms.map((_, i) => vi(`c${i}`, 0 as never));
    const m = model(graph({ outputs, nodes: forms.map((a, i) => node('Constant', [], [`c${i}`], [a])) }));
    const out = await (await Session.create(m)).run({});
    expect(Array.from(out.c0.data as Float32Array)).toEqual([1.5, 2.5]);
    expect(out.c1.dims).toEqual([]);
    expect(out.c1.data[0]).toBe(0.25);
    expect(out.c2.dims).toEqual([3]);
    expect(out.c3.dtype).toBe('int64');
    expect(out.c3.data[0]).toBe(7n);
    expect(Array.from(out.c4.data as BigInt64Array)).toEqual([4n, 5n]);
    expect(out.c5.data).toEqual(['hi']);
    expect(out.c6.data).toEqual(['a', 'b']);
  });

  it('Constant with two value attributes is a NodeError at create', async () => {
    const m = model(graph({ outputs: [vi('c')], nodes: [node('Constant', [], ['c'], [attr.float('value_float', 1), attr.int('value_int', 1)], 'k')] }));
    await expect(Session.create(m)).rejects.toThrow(/node "k" \(Constant\): needs exactly one/);
  });

  it('Identity passes the tensor through', async () => {
    const m = model(graph({ inputs: [vi('x', I64)], outputs: [vi('y', I64)], nodes: [node('Identity', ['x'], ['y'])] }));
    const x = new Tensor('int64', [1n, 2n]);
    const out = await (await Session.create(m)).run({ x });
    expect(out.y.data).toEqual(x.data);
  });
});

describe('results', () => {
  it('a result that is an initializer (through Identity) is a copy: changing it does not change the next run', async () => {
    const m = model(graph({ outputs: [vi('y')], initializers: [f32Tensor('w', [2], [1, 2])], nodes: [node('Identity', ['w'], ['y'])] }));
    const s = await Session.create(m);
    const first = await s.run({});
    (first.y.data as Float32Array)[0] = 99;
    expect(Array.from((await s.run({})).y.data as Float32Array)).toEqual([1, 2]);
  });

  it('results of one run are not overwritten by the next run (their buffers left the pool)', async () => {
    const s = await Session.create(addRelu());
    const a = await s.run({ x: new Tensor('float32', [1, 1, 1], [1, 3]) });
    await s.run({ x: new Tensor('float32', [5, 5, 5], [1, 3]) });
    expect(Array.from(a.y.data as Float32Array)).toEqual([2, 0, 1.5]);
  });
});

describe('feeds from onnxruntime', () => {
  it('accepts onnxruntime-style tensors ({ type, data, dims }) and checks them like any feed', async () => {
    const ort = await import('onnxruntime-node');
    const s = await Session.create(addRelu());
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([0, 1, 2]), [1, 3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, 0, 2.5]);
    await expect(s.run({ x: new ort.Tensor('int32', new Int32Array([0, 1, 2]), [1, 3]) })).rejects.toThrow(/input "x": dtype int32, expected float32/);
  });
});

describe('more session behaviour', () => {
  it('an input with an initializer default is optional: left out it uses the default, fed it overrides', async () => {
    const m = model(graph({
      inputs: [vi('x', 1, [2]), vi('scale', 1, [2])], outputs: [vi('y')],
      initializers: [f32Tensor('scale', [2], [10, 100])], nodes: [node('Mul', ['x', 'scale'], ['y'])],
    }));
    const s = await Session.create(m);
    expect(s.inputNames).toEqual(['x']);
    const x = new Tensor('float32', [1, 2]);
    expect(Array.from((await s.run({ x })).y.data as Float32Array)).toEqual([10, 200]);
    expect(Array.from((await s.run({ x, scale: new Tensor('float32', [3, 3]) })).y.data as Float32Array)).toEqual([3, 6]);
  });

  it('a sequence output needs runValues; run() says so with a typed error', async () => {
    const m = model(graph({
      inputs: [vi('a', 1, [1]), vi('b', 1, [1])], outputs: [{ name: 's', type: { kind: 'sequence', elem: { kind: 'tensor', elemType: 1 as never, shape: [1] } } }],
      nodes: [node('SequenceConstruct', ['a', 'b'], ['s'])],
    }));
    const s = await Session.create(m);
    const feeds = { a: new Tensor('float32', [1]), b: new Tensor('float32', [2]) };
    await expect(s.run(feeds)).rejects.toThrow(/use runValues for sequences/);
    const v = s.runValues(feeds).s;
    expect(v).toBeInstanceOf(TensorSequence);
    expect((v as TensorSequence).items.map((t) => t.data[0])).toEqual([1, 2]);
  });

  it('a forced ISA the backend cannot run is a diagnostic, not an error', async () => {
    const loaded = await loadBackends('auto');
    const have = new Set(loaded.filter((b) => b.ready).flatMap((b) => b.isas));
    for (const b of loaded) b.dispose?.();
    // An ISA none of this machine's backends runs (NEON on x86, AVX2 on arm64).
    const missing = (['neon-dot', 'avx2'] as const).find((i) => !have.has(i))!;
    const s = await Session.create(addRelu(), { isa: missing });
    expect(s.diagnostics.join('\n')).toMatch(new RegExp(`isa ${missing} was requested but this machine's loaded backends run`));
    expect(Array.from((await s.run({ x: new Tensor('float32', [0, 0, 0], [1, 3]) })).y.data as Float32Array)).toEqual([1, 0, 0.5]);
  });
});

describe('fetches', () => {
  // x -> a = x + b -> y = relu(a); z = neg(x) (an unrelated branch)
  const m = () => model(graph({
    inputs: [vi('x', 1, [3])], outputs: [vi('y'), vi('z')], initializers: [f32Tensor('b', [3], [1, -2, 0.5])],
    nodes: [node('Add', ['x', 'b'], ['a']), node('Relu', ['a'], ['y']), node('Neg', ['x'], ['z'])],
  }));
  const x = () => new Tensor('float32', [0, 1, -4]);

  it('returns exactly the fetched values, intermediates and initializers included, running only what they need', async () => {
    const seen: string[] = [];
    const s = await Session.create(m(), { onValue: (n) => seen.push(n) });
    const out = await s.run({ x: x() }, { fetches: ['a', 'b'] });
    expect(Object.keys(out)).toEqual(['a', 'b']);
    // a = x + b = [1, -1, -3.5]
    expect(Array.from(out.a.data as Float32Array)).toEqual([1, -1, -3.5]);
    expect(Array.from(out.b.data as Float32Array)).toEqual([1, -2, 0.5]);
    expect(seen).toEqual(['x', 'a']); // Relu and Neg did not run
    const full = await s.run({ x: x() });
    expect(Object.keys(full)).toEqual(['y', 'z']);
    expect(Array.from(full.z.data as Float32Array)).toEqual([-0, -1, 4]);
  });

  it('an unknown fetch name is a SessionOptionError', async () => {
    const s = await Session.create(m());
    await expect(s.run({ x: x() }, { fetches: ['nope'] })).rejects.toThrow(/option "fetches": got "nope"/);
  });
});
