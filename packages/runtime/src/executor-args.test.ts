/**
 * The executor's per-step kernel argument arrays: a steady-state run passes each kernel the same array as the run
 * before (no allocation), filled with this run's inputs during the call and emptied after it (no feed or result stays
 * referenced between runs), also after a kernel throws.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry, KernelError, Tensor, type KernelVariant } from '@lowbit/kernels';
import { Session } from './session.js';
import { graph, model, node, vi } from './test-support/graph-builder.js';

function recordingNeg(seen: (readonly (Tensor | null)[])[], snapshots: (Tensor | null)[][], failOn: Set<number>): KernelVariant {
  return {
    key: 'Neg:f32', name: 'recording', isa: 'scalar', tolerance: 'exact',
    create: () => ({
      run: (inputs, ctx) => {
        seen.push(inputs);
        snapshots.push([...inputs]);
        if (failOn.has(seen.length)) throw new KernelError('asked to fail');
        const x = inputs[0] as Tensor<'float32'>;
        const y = ctx.alloc('float32', x.dims);
        for (let i = 0; i < x.data.length; i++) y.data[i] = -x.data[i]!;
        return [y];
      },
    }),
  };
}

describe('executor kernel arguments', () => {
  it('reuses one argument array per step across runs, holding the inputs only during the call (also after a throw)', async () => {
    const seen: (readonly (Tensor | null)[])[] = [];
    const snapshots: (Tensor | null)[][] = [];
    const failOn = new Set<number>();
    const registry = createReferenceRegistry().register(recordingNeg(seen, snapshots, failOn));
    const m = model(graph({ inputs: [vi('x', 1, [3])], outputs: [vi('z', 1, [3])], nodes: [node('Neg', ['x'], ['y'], [], 'a'), node('Neg', ['y'], ['z'], [], 'b')] }), 14);
    const s = await Session.create(m, { registry, backend: 'js', graphOptimization: 'none' });
    const feeds = [0, 1, 2].map((k) => new Tensor('float32', [k, -1, 2.5]));
    expect(Array.from(s.runSync({ x: feeds[0]! }).z!.data as Float32Array)).toEqual([0, -1, 2.5]);
    expect(Array.from(s.runSync({ x: feeds[1]! }).z!.data as Float32Array)).toEqual([1, -1, 2.5]);
    // Two steps, two arrays; the second run got the same arrays as the first.
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[3]).toBe(seen[1]);
    // During each call the array held that run's inputs; after the runs it holds nothing.
    expect(snapshots[0]![0]).toBe(feeds[0]);
    expect(snapshots[2]![0]).toBe(feeds[1]);
    for (const a of seen) expect(a).toEqual([null]);
    // The third call (step a of run 3) throws: a typed error naming the node, and the array is emptied and reused.
    failOn.add(5);
    const err = (() => { try { s.runSync({ x: feeds[2]! }); } catch (e) { return e; } })() as { code?: string; message: string };
    expect(err.code).toBe('NODE');
    expect(err.message).toMatch(/"a".*asked to fail/);
    expect(seen[4]).toBe(seen[0]);
    expect(seen[4]).toEqual([null]);
    expect(Array.from(s.runSync({ x: feeds[2]! }).z!.data as Float32Array)).toEqual([2, -1, 2.5]);
    expect(seen[5]).toBe(seen[0]);
    expect(seen[6]).toBe(seen[1]);
  });
});
