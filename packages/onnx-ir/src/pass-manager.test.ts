import { describe, expect, it } from 'vitest';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { PassAbortedError, PassError, PostconditionError, PreconditionError } from './errors-pass.js';
import { createPassContext, unchanged } from './pass.js';
import type { Pass, PassLogEntry } from './pass.js';
import { PassManager } from './pass-manager.js';
import { deadCodeElimination } from './passes/dead-code-elimination.js';
import { identityElimination } from './passes/identity-elimination.js';
import type { Model } from './types.js';

const model = (): Model => mkModel(mkGraph({ inputs: ['x'], outputs: ['b'], nodes: [
  mkNode('Identity', ['x'], ['a']), mkNode('Relu', ['a'], ['b']), mkNode('Neg', ['x'], ['dead'])] }));

const noop: Pass = { name: 'noop', run: (m) => unchanged(m) };
const liar: Pass = { name: 'liar', run: (m) => ({ model: { ...m }, modified: false }) };
const boaster: Pass = { name: 'boaster', run: (m) => ({ model: m, modified: true }) };

async function failure(p: Promise<unknown>): Promise<PassError> {
  try { await p; } catch (e) { return e as PassError; }
  throw new Error('expected a failure');
}

describe('PassManager', () => {
  it('runs passes in order and reports per-pass timing and modification', async () => {
    const log: PassLogEntry[] = [];
    const pm = new PassManager([identityElimination, deadCodeElimination, noop]);
    const m = model();
    const r = await pm.run(m, createPassContext({ log: (e) => log.push(e) }));
    expect(r.modified).toBe(true);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['Relu']);
    expect(r.timings.map((t) => [t.pass, t.modified])).toEqual([['identity-elimination', true], ['dead-code-elimination', true], ['noop', false]]);
    expect(r.timings.every((t) => t.ms >= 0)).toBe(true);
    expect(log.map((e) => e.pass)).toEqual(['identity-elimination', 'dead-code-elimination', 'noop']);
    expect(log.every((e) => typeof e.ms === 'number')).toBe(true);
  });

  it('returns the same model object when no pass modified it', async () => {
    const m = model();
    const r = await new PassManager([noop, noop]).run(m, createPassContext());
    expect(r.model).toBe(m);
    expect(r.modified).toBe(false);
  });

  it('enforces the identity rule both ways, as PassError with a PostconditionError cause', async () => {
    for (const bad of [liar, boaster]) {
      const e = await failure(new PassManager([noop, bad]).run(model(), createPassContext()));
      expect(e).toBeInstanceOf(PassError);
      expect(e.passName).toBe(bad.name);
      expect(e.previousPasses).toEqual(['noop']);
      expect(e.cause).toBeInstanceOf(PostconditionError);
      expect(e.message).toMatch(/identity rule/);
    }
  });

  it('calls requires and ensures, wrapping their errors', async () => {
    const picky: Pass = { name: 'picky', requires: () => { throw new PreconditionError('needs shapes', { where: 'picky' }); }, run: (m) => unchanged(m) };
    const e = await failure(new PassManager([identityElimination, picky]).run(model(), createPassContext()));
    expect(e.passName).toBe('picky');
    expect(e.previousPasses).toEqual(['identity-elimination']);
    expect(e.cause).toBeInstanceOf(PreconditionError);
    expect(e.message).toBe('pass "picky": needs shapes');

    const seen: Model[] = [];
    const checked: Pass = { ...deadCodeElimination, name: 'checked', ensures: (m) => { seen.push(m); throw new PostconditionError('nope', { where: 'checked' }); } };
    const e2 = await failure(new PassManager([checked]).run(model(), createPassContext()));
    expect(e2.cause).toBeInstanceOf(PostconditionError);
    expect(seen[0].graph.nodes.length).toBe(2); // ensures saw the pass's result, not its input
  });

  it('wraps an exception thrown by run (sync or async)', async () => {
    const boom: Pass = { name: 'boom', run: async () => { throw new TypeError('kaput'); } };
    const e = await failure(new PassManager([boom]).run(model(), createPassContext()));
    expect(e).toMatchObject({ code: 'PASS', passName: 'boom', previousPasses: [] });
    expect(e.cause).toBeInstanceOf(TypeError);
  });

  it('verifies after each pass when asked, failing only on errors the pass introduced', async () => {
    const breaker: Pass = { name: 'breaker', run: (m) => ({ model: { ...m, graph: { ...m.graph, nodes: m.graph.nodes.slice(1) } }, modified: true }) };
    const e = await failure(new PassManager([breaker]).run(model(), createPassContext({ verify: true })));
    expect(e.cause).toBeInstanceOf(PostconditionError);
    expect((e.cause as PostconditionError).context.diagnostics?.[0].code).toBe('UNDEFINED_INPUT');
    // Without verification the same pipeline goes through.
    await expect(new PassManager([breaker]).run(model(), createPassContext())).resolves.toBeDefined();
    // Errors already present before the pass are not blamed on it.
    const broken = (await new PassManager([breaker]).run(model(), createPassContext())).model;
    await expect(new PassManager([deadCodeElimination], { verify: true }).run(broken, createPassContext())).resolves.toBeDefined();
  });

  it('fixpoint mode repeats until a round changes nothing', async () => {
    // Each run peels one trailing node; 3 nodes -> 3 modifying rounds + 1 quiet round.
    const peel: Pass = { name: 'peel', run: (m) => m.graph.nodes.length === 0 ? unchanged(m)
      : { model: { ...m, graph: { ...m.graph, nodes: m.graph.nodes.slice(0, -1) } }, modified: true } };
    const r = await new PassManager([peel], { fixpoint: true }).run(model(), createPassContext());
    expect(r.iterations).toBe(4);
    expect(r.model.graph.nodes).toEqual([]);
  });

  it('fixpoint mode fails after maxIterations rounds that all modify', async () => {
    const flip: Pass = { name: 'flip', run: (m) => ({ model: { ...m }, modified: true }) };
    const e = await failure(new PassManager([flip], { fixpoint: true, maxIterations: 3, name: 'loop' }).run(model(), createPassContext()));
    expect(e.passName).toBe('loop');
    expect(e.previousPasses).toEqual(['flip', 'flip', 'flip']);
    expect(e.message).toMatch(/no fixpoint after 3 rounds/);
    expect(() => new PassManager([], { maxIterations: 0 })).toThrow(RangeError);
  });

  it('honours an AbortSignal between passes', async () => {
    const ac = new AbortController();
    const stopper: Pass = { name: 'stopper', run: (m) => { ac.abort(new Error('user cancelled')); return unchanged(m); } };
    let ran = false;
    const after: Pass = { name: 'after', run: (m) => { ran = true; return unchanged(m); } };
    let err: unknown;
    try { await new PassManager([stopper, after]).run(model(), createPassContext({ signal: ac.signal })); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PassAbortedError);
    expect((err as PassAbortedError).context).toEqual({ passName: 'after', previousPasses: ['stopper'] });
    expect(ran).toBe(false);
  });

  it('is itself a Pass: managers nest, and inner failures are wrapped again with the outer history', async () => {
    const inner = new PassManager([identityElimination, boaster], { name: 'inner' });
    const e = await failure(new PassManager([noop, inner], { name: 'outer' }).run(model(), createPassContext()));
    expect(e.passName).toBe('inner');
    expect(e.previousPasses).toEqual(['noop']);
    expect(e.cause).toBeInstanceOf(PassError);
    expect((e.cause as PassError).passName).toBe('boaster');
    expect((e.cause as PassError).previousPasses).toEqual(['identity-elimination']);
  });
});
