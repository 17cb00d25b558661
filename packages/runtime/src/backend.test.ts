/**
 * The kernel-backend seam seen from a Session: a preloaded KernelBackend's variants are used (counted), a variant that
 * declines its node falls to the next one and then to the reference, `isa`/LOWBIT_ISA cap the ISA and fall to the next
 * best, constants and static shapes reach `create`, `release()` disposes every kernel instance (subgraphs included)
 * but not preloaded backends, and a backend that is not ready is a diagnostic under 'auto' and an error when named.
 */
import { afterEach, describe, expect, it, vi as vitest } from 'vitest';
import { createReferenceRegistry, keyFor, Tensor, type KernelNode } from '@lowbit/kernels';
import { Session } from './session.js';
import { selectBackend } from './backend.js';
import { BackendUnavailableError } from './errors.js';
import { counter, countingNeg, fakeBackend, recordingVariant } from './test-support/fake-backend.js';
import { attr, BOOL, f32Tensor, graph, I64, model, node, vi } from './test-support/graph-builder.js';

// y = -x, one node.
const negModel = () => model(graph({ inputs: [vi('x', 1, [2])], outputs: [vi('y', 1, [2])], nodes: [node('Neg', ['x'], ['y'], [], 'neg1')] }));
const x = new Tensor('float32', [1.5, -2]);
const negated = [-1.5, 2];
const data = (t: Tensor) => Array.from(t.data as Float32Array);

afterEach(() => {
  delete process.env.LOWBIT_ISA;
  vitest.unstubAllGlobals();
});

describe('a preloaded backend', () => {
  it('fromModel({ backends }) runs its variant: counted creates and runs, session.backend and isas report it', () => {
    const c = counter();
    const b = fakeBackend({ name: 'native', isas: ['avx2'], variants: [countingNeg(c, 'avx2')] });
    const s = Session.fromModel(negModel(), { backends: [b] });
    expect(s.backend).toBe('native');
    expect(s.isas).toEqual(['scalar', 'avx2']);
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect(c.creates.length).toBe(1);
    expect(c.runs).toBe(2);
  });

  it('Session.create({ backends }) uses them as given (no loading, no init)', async () => {
    const c = counter();
    const b = fakeBackend({ name: 'wasm', isas: ['wasm-simd128'], variants: [countingNeg(c, 'wasm-simd128')] });
    const s = await Session.create(negModel(), { backends: [b], backend: 'wasm' });
    expect(s.backend).toBe('wasm');
    expect(data((await s.run({ x })).y)).toEqual(negated);
    expect(c.runs).toBe(1);
    expect(b.inits).toEqual([]);
  });

  it('the best backend names the session when several are ready (native before wasm), and gives its threads', () => {
    const s = Session.fromModel(negModel(), { backends: [fakeBackend({ name: 'wasm', isas: ['wasm-simd128'], threads: 2 }), fakeBackend({ name: 'native', isas: ['avx2'], threads: 6 })] });
    expect(s.backend).toBe('native');
    expect(s.isas).toEqual(['scalar', 'wasm-simd128', 'avx2']);
    expect(s.threads).toBe(6);
    expect(Session.fromModel(negModel()).threads).toBe(1);
  });

  it('a variant whose (key, name) is already taken (by another backend or the reference) is a diagnostic, not a crash', () => {
    const first = counter();
    const second = counter();
    const s = Session.fromModel(negModel(), {
      backends: [
        fakeBackend({ name: 'native', isas: ['avx2'], variants: [countingNeg(first, 'avx2', { name: 'fast' }), countingNeg(counter(), 'avx2', { key: 'Neg:*', name: 'scalar' })] }),
        fakeBackend({ name: 'wasm', isas: ['wasm-simd128'], variants: [countingNeg(second, 'wasm-simd128', { name: 'fast' })] }),
      ],
    });
    expect(s.diagnostics).toEqual(expect.arrayContaining([
      'native: variant "scalar" of "Neg:*" is not used: a variant of that name is already registered for the key',
      'wasm: variant "fast" of "Neg:f32" is not used: a variant of that name is already registered for the key',
    ]));
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect([first.runs, second.runs]).toEqual([1, 0]);
  });

  it('backend: js ignores preloaded backends', () => {
    const c = counter();
    const s = Session.fromModel(negModel(), { backend: 'js', backends: [fakeBackend({ variants: [countingNeg(c, 'avx2')] })] });
    expect(s.backend).toBe('js');
    expect(s.isas).toEqual(['scalar']);
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect(c.runs).toBe(0);
  });
});

describe('supports(node)', () => {
  it('a declining variant falls to the next best variant, and to the reference when all decline', () => {
    const picky = counter();
    const next = counter();
    const declineNeg1 = (n: KernelNode) => n.name !== 'neg1';
    const b = fakeBackend({ isas: ['avx2', 'avx512-vnni'], variants: [countingNeg(picky, 'avx512-vnni', { supports: declineNeg1 }), countingNeg(next, 'avx2')] });
    const s = Session.fromModel(negModel(), { backends: [b] });
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect([picky.runs, next.runs]).toEqual([0, 1]);

    const none = counter();
    const s2 = Session.fromModel(negModel(), { backends: [fakeBackend({ variants: [countingNeg(none, 'avx2', { supports: () => false })] })] });
    expect(data(s2.runSync({ x }).y)).toEqual(negated); // the reference Neg
    expect(none.creates).toEqual([]);
  });
});

describe('isa / LOWBIT_ISA', () => {
  const setup = () => {
    const c = { 'avx512-vnni': counter(), avx2: counter(), 'wasm-simd128': counter() };
    const b = fakeBackend({
      isas: ['wasm-simd128', 'avx2', 'avx512', 'avx512-vnni'],
      variants: [countingNeg(c['avx512-vnni'], 'avx512-vnni'), countingNeg(c.avx2, 'avx2'), countingNeg(c['wasm-simd128'], 'wasm-simd128')],
    });
    return { c, b, used: () => Object.entries(c).filter(([, k]) => k.runs > 0).map(([isa]) => isa) };
  };

  it('without a cap the best ISA runs', () => {
    const { b, used } = setup();
    Session.fromModel(negModel(), { backends: [b] }).runSync({ x });
    expect(used()).toEqual(['avx512-vnni']);
  });

  it('isa caps at an ISA and falls to the next best one below it, not straight to scalar', () => {
    const { b, used } = setup();
    // avx512 has no Neg variant: avx2 is the best below it.
    const s = Session.fromModel(negModel(), { backends: [b], isa: 'avx512' });
    expect(data(s.runSync({ x }).y)).toEqual(negated);
    expect(used()).toEqual(['avx2']);
    expect(s.diagnostics.join('\n')).not.toMatch(/was requested/); // avx512 is available here
  });

  it('LOWBIT_ISA does the same; the isa option wins over it', () => {
    process.env.LOWBIT_ISA = 'avx-vnni';
    const one = setup();
    Session.fromModel(negModel(), { backends: [one.b] }).runSync({ x });
    expect(one.used()).toEqual(['avx2']);
    const two = setup();
    Session.fromModel(negModel(), { backends: [two.b], isa: 'wasm-simd128' }).runSync({ x });
    expect(two.used()).toEqual(['wasm-simd128']);
    const three = setup();
    Session.fromModel(negModel(), { backends: [three.b], isa: 'scalar' }).runSync({ x });
    expect(three.used()).toEqual([]);
  });

  it('reading LOWBIT_ISA does not throw where there is no process (browsers)', () => {
    vitest.stubGlobal('process', undefined);
    expect(typeof process).toBe('undefined');
    const s = Session.fromModel(negModel());
    vitest.unstubAllGlobals();
    expect(data(s.runSync({ x }).y)).toEqual(negated);
  });
});

describe('constants and static shapes reach create', () => {
  it('initializers and Constant outputs are in KernelNode.constants; overridable initializers and feeds are not', () => {
    // mm = MatMul(x, W); c = Constant; s = Add(mm, c); y = Add(s, bias) where bias is an initializer that is also a
    // graph input (a default the caller may override), so it is not constant.
    const m = model(graph({
      inputs: [vi('x', 1, ['N', 3]), vi('bias', 1, [2])], outputs: [vi('y')],
      initializers: [f32Tensor('W', [3, 2], [1, 0, 0, 1, 1, 1]), f32Tensor('bias', [2], [0.5, 0.5])],
      nodes: [
        node('MatMul', ['x', 'W'], ['mm'], [], 'mm'),
        node('Constant', [], ['c'], [attr.tensor('value', f32Tensor('cv', [2], [10, 20]))], 'const'),
        node('Add', ['mm', 'c'], ['s'], [], 'add_c'),
        node('Add', ['s', 'bias'], ['y'], [], 'add_bias'),
      ],
    }));
    const ref = createReferenceRegistry();
    const seen: KernelNode[] = [];
    const mmNode: KernelNode = { name: 'mm', opType: 'MatMul', domain: '', opset: 17, attrs: new Map(), inputTypes: ['float32', 'float32'], outputCount: 1 };
    const addNode: KernelNode = { ...mmNode, opType: 'Add' };
    const b = fakeBackend({ variants: [recordingVariant(ref.resolve(keyFor(mmNode)), 'avx2', seen), recordingVariant(ref.resolve(keyFor(addNode)), 'avx2', seen)] });
    const s = Session.fromModel(m, { backends: [b] });
    const byName = new Map(seen.map((n) => [n.name, n]));
    expect([...byName.keys()].sort()).toEqual(['add_bias', 'add_c', 'mm']);

    const mm = byName.get('mm')!;
    expect([...mm.constants!.keys()]).toEqual([1]);
    expect(data(mm.constants!.get(1)!)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(mm.inputShapes).toEqual([[null, 3], [3, 2]]);

    const addC = byName.get('add_c')!;
    expect([...addC.constants!.keys()]).toEqual([1]);
    expect(data(addC.constants!.get(1)!)).toEqual([10, 20]);
    expect(addC.inputShapes).toEqual([[null, 2], [2]]);

    expect([...byName.get('add_bias')!.constants!.keys()]).toEqual([]);
    // x = [[1, 2, 3]]: mm = [1 + 3, 2 + 3] = [4, 5]; + [10, 20] + [0.5, 0.5]
    expect(data(s.runSync({ x: new Tensor('float32', [1, 2, 3], [1, 3]) }).y)).toEqual([14.5, 25.5]);
  });
});

describe('constants read by subgraphs', () => {
  it('an If branch and a Loop body get the enclosing graph\'s initializers and Constant outputs as constants', () => {
    // W: main-graph initializer read by the then-branch MatMul; c: main-graph Constant read by the Loop body's Add;
    // a branch-local initializer (Wl) is a constant too; the Loop-carried value is not.
    const body = graph({
      name: 'body', inputs: [vi('i', I64, []), vi('cin', BOOL, []), vi('acc', 1, [1, 2])],
      outputs: [vi('cout', BOOL, []), vi('acc_out', 1, [1, 2])],
      nodes: [node('Identity', ['cin'], ['cout']), node('Add', ['acc', 'c'], ['acc_out'], [], 'loop_add')],
    });
    const m = model(graph({
      inputs: [vi('cond', BOOL, []), vi('x', 1, [1, 2]), vi('M', I64, [])], outputs: [vi('y'), vi('z')],
      initializers: [f32Tensor('W', [2, 2], [1, 2, 3, 4])],
      nodes: [
        node('Constant', [], ['c'], [attr.tensor('value', f32Tensor('cv', [1, 2], [10, 20]))], 'const'),
        node('If', ['cond'], ['y'], [
          attr.graph('then_branch', graph({ name: 'then', outputs: [vi('t')], nodes: [node('MatMul', ['x', 'W'], ['t'], [], 'then_mm')] })),
          attr.graph('else_branch', graph({ name: 'else', outputs: [vi('e')], initializers: [f32Tensor('Wl', [2, 2], [0, 1, 1, 0])], nodes: [node('MatMul', ['x', 'Wl'], ['e'], [], 'else_mm')] })),
        ], 'if1'),
        node('Loop', ['M', 'cond', 'x'], ['z'], [attr.graph('body', body)], 'loop1'),
      ],
    }));
    const ref = createReferenceRegistry();
    const seen: KernelNode[] = [];
    const f32Node: KernelNode = { name: 'n', opType: 'MatMul', domain: '', opset: 17, attrs: new Map(), inputTypes: ['float32', 'float32'], outputCount: 1 };
    const b = fakeBackend({ variants: [recordingVariant(ref.resolve('MatMul:f32'), 'avx2', seen), recordingVariant(ref.resolve(keyFor({ ...f32Node, opType: 'Add' })), 'avx2', seen)] });
    const s = Session.fromModel(m, { backends: [b] });
    const byName = new Map(seen.map((n) => [n.name, n]));
    expect(data(byName.get('then_mm')!.constants!.get(1)!)).toEqual([1, 2, 3, 4]);
    expect(byName.get('then_mm')!.inputShapes![1]).toEqual([2, 2]);
    expect(data(byName.get('else_mm')!.constants!.get(1)!)).toEqual([0, 1, 1, 0]);
    expect([...byName.get('loop_add')!.constants!.entries()].map(([i, t]) => [i, data(t)])).toEqual([[1, [10, 20]]]);
    // x = [1, 1]: then = [1 + 3, 2 + 4]; loop twice: x + 2 * [10, 20]
    const out = s.runSync({ cond: new Tensor('bool', [1], []), x: new Tensor('float32', [1, 1], [1, 2]), M: new Tensor('int64', [2n], []) });
    expect(data(out.y)).toEqual([4, 6]);
    expect(data(out.z)).toEqual([21, 41]);
  });
});

describe('release()', () => {
  it('disposes every kernel instance once, in the main graph and inside If and Loop bodies; preloaded backends stay', async () => {
    const c = counter();
    const b = fakeBackend({ variants: [countingNeg(c, 'avx2')] });
    // If: then = Neg(x), else = Neg(Neg(x)); Loop body: acc = Neg(acc). Plus one Neg in the main graph.
    const body = graph({
      name: 'body', inputs: [vi('i', I64, []), vi('cin', BOOL, []), vi('acc', 1, [2])],
      outputs: [vi('cout', BOOL, []), vi('acc_out', 1, [2])],
      nodes: [node('Identity', ['cin'], ['cout']), node('Neg', ['acc'], ['acc_out'], [], 'loop_neg')],
    });
    const m = model(graph({
      inputs: [vi('cond', BOOL, []), vi('x', 1, [2]), vi('M', I64, [])], outputs: [vi('y'), vi('z'), vi('w')],
      nodes: [
        node('If', ['cond'], ['y'], [
          attr.graph('then_branch', graph({ name: 'then', outputs: [vi('t')], nodes: [node('Neg', ['x'], ['t'], [], 'then_neg')] })),
          attr.graph('else_branch', graph({ name: 'else', outputs: [vi('e')], nodes: [node('Neg', ['x'], ['e1'], [], 'else_neg1'), node('Neg', ['e1'], ['e'], [], 'else_neg2')] })),
        ], 'if1'),
        node('Loop', ['M', 'cond', 'x'], ['z'], [attr.graph('body', body)], 'loop1'),
        node('Neg', ['x'], ['w'], [], 'main_neg'),
      ],
    }));
    const s = Session.fromModel(m, { backends: [b] });
    const out = s.runSync({ cond: new Tensor('bool', [1], []), x, M: new Tensor('int64', [3n], []) });
    expect(data(out.y)).toEqual(negated);
    expect(data(out.z)).toEqual(negated); // negated three times
    expect(data(out.w)).toEqual(negated);
    const created = c.creates.map((n) => n.name).sort();
    expect(created).toEqual(['else_neg1', 'else_neg2', 'loop_neg', 'main_neg', 'then_neg']);
    await s.release();
    expect(c.disposes).toBe(created.length);
    expect(b.disposed).toBe(0);
    await s.release(); // idempotent
    expect(c.disposes).toBe(created.length);
  });

  it('a released session refuses to run', async () => {
    const s = Session.fromModel(negModel());
    await s.release();
    expect(() => s.runSync({ x })).toThrow(/released/);
  });
});

describe('backends that are not ready', () => {
  const broken = () => fakeBackend({ name: 'native', ready: false, diagnostics: ['no addon for linux-riscv64'] });

  it("under 'auto' they are a diagnostic and the js kernels run", () => {
    const s = Session.fromModel(negModel(), { backends: [broken()] });
    expect(s.backend).toBe('js');
    expect(s.isas).toEqual(['scalar']);
    expect(s.diagnostics.join('\n')).toMatch(/backend native is not available: no addon for linux-riscv64/);
    expect(data(s.runSync({ x }).y)).toEqual(negated);
  });

  it('named explicitly they are a BackendUnavailableError saying why', async () => {
    const err = (() => { try { Session.fromModel(negModel(), { backend: 'native', backends: [broken()] }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/backend "native" is not available: no addon for linux-riscv64 \(available: js\)/);
    await expect(Session.create(negModel(), { backend: 'native', backends: [broken()] })).rejects.toBeInstanceOf(BackendUnavailableError);
    // a ready wasm backend does not satisfy a request for native
    expect(() => selectBackend('native', undefined, [fakeBackend({ name: 'wasm', isas: ['wasm-simd128'] })])).toThrow(/not loaded.*available: js, wasm/);
  });

  it('their variants are never registered, even if they list some', () => {
    const c = counter();
    const half: ReturnType<typeof fakeBackend> = { ...fakeBackend({ variants: [countingNeg(c, 'avx2')] }), ready: false };
    const s = Session.fromModel(negModel(), { backends: [half] });
    s.runSync({ x });
    expect(c.runs).toBe(0);
  });
});
