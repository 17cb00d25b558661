/**
 * Results the caller holds are the caller's: no later run of the session writes into them or hands out a tensor that
 * shares their memory, whether the loop hands other results back (`Session.recycle`) or not. The pool reuses its
 * free buffers run after run (and the outputs here have the sizes of its intermediates, so a result mistaken for a
 * free buffer would be overwritten by the next run's MatMul or Relu); the property drives runs, recycles and drops in
 * any order and checks every held result against a copy taken when it was returned. On the native backend when it
 * loads (its variants take pooled buffers without zero fill), and on the js backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, type KernelBackend } from '@lowbit/kernels';
import { loadBackends } from './backend.js';
import { Session } from './session.js';
import { f32Tensor, graph, model, node, vi } from './test-support/graph-builder.js';
import { seededUniform } from './test-support/seeded.js';

const [native] = await loadBackends('native', { threads: 1 });

// x[16, 64] -> h = MatMul(x, W[64, 256]) -> y1 = Relu(h), y2 = Add(h, b): two 16 KiB outputs and an intermediate of the
// same size (so the free list of that size is in use every run).
const M = 16;
const K = 64;
const N = 256;
const w = seededUniform(1, K * N, -1, 1);
const b = seededUniform(2, N, -1, 1);
const mm = model(graph({
  inputs: [vi('x', undefined, [M, K])],
  outputs: [vi('y1', undefined, [M, N]), vi('y2', undefined, [M, N])],
  initializers: [f32Tensor('W', [K, N], Array.from(w)), f32Tensor('b', [N], Array.from(b))],
  nodes: [node('MatMul', ['x', 'W'], ['h']), node('Relu', ['h'], ['y1']), node('Add', ['h', 'b'], ['y2'])],
}));
const feed = (k: number) => ({ x: new Tensor('float32', seededUniform(100 + k, M * K, -1, 1), [M, K]) });

type Op = { k: 'run'; input: number } | { k: 'recycle'; i: number } | { k: 'drop'; i: number };
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('run' as const), input: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('recycle' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), i: fc.nat() }) },
);

interface Held { readonly results: Record<string, Tensor>; readonly copies: Record<string, number[]> }

function backendsFor(kind: 'native' | 'js'): { backend: 'native' | 'js'; backends?: KernelBackend[] } {
  return kind === 'native' ? { backend: 'native', backends: [native] } : { backend: 'js' };
}

describe.each(native.ready ? (['native', 'js'] as const) : (['js'] as const))('held results (%s backend)', (kind) => {
  it('a plain run loop: every result keeps its values and its own memory while later runs reuse the pool', () => {
    const s = Session.fromModel(mm, backendsFor(kind));
    const held: Held[] = [];
    for (let r = 0; r < 12; r++) {
      const results = s.runSync(feed(r % 4));
      held.push({ results, copies: Object.fromEntries(Object.entries(results).map(([k, t]) => [k, Array.from(t.data as Float32Array)])) });
      for (const h of held) for (const [k, t] of Object.entries(h.results)) expect(Array.from(t.data as Float32Array)).toEqual(h.copies[k]);
    }
    const buffers = held.flatMap((h) => Object.values(h.results).map((t) => (t.data as Float32Array).buffer));
    expect(new Set(buffers).size).toBe(buffers.length);
    // the pool did reuse its buffers: only the outputs were new in the runs after the first
    expect(s.poolStats.reused).toBeGreaterThan(0);
  });

  it('property: any sequence of runs, recycles and drops leaves every held result as it was returned, sharing memory with nothing else handed out', () => {
    fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 25 }), (ops) => {
      const s = Session.fromModel(mm, backendsFor(kind));
      const held: Held[] = [];
      let recycled = 0;
      for (const op of ops) {
        if (op.k === 'run') {
          const results = s.runSync(feed(op.input));
          held.push({ results, copies: Object.fromEntries(Object.entries(results).map(([k, t]) => [k, Array.from(t.data as Float32Array)])) });
        } else if (held.length > 0) {
          const [h] = held.splice(op.i % held.length, 1);
          if (op.k === 'recycle') recycled += s.recycle(h!.results);
        }
        for (const h of held) for (const [k, t] of Object.entries(h.results)) expect(Array.from(t.data as Float32Array)).toEqual(h.copies[k]);
        const buffers = held.flatMap((h) => Object.values(h.results).map((t) => (t.data as Float32Array).buffer));
        expect(new Set(buffers).size).toBe(buffers.length);
      }
      // recycled results were taken (two outputs each), and a run after a recycle reused them
      expect(recycled % 2).toBe(0);
    }), { numRuns: 60 });
  });
});
