import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry, freshRunContext, keyFor, Tensor, type KernelNode } from '@lowbit/kernels';
import type { Node } from '@lowbit/onnx-ir';
import { BufferPool } from './buffer-pool.js';
import { Session } from './session.js';
import { graph, i64Tensor, model, node, vi } from './test-support/graph-builder.js';

// A random DAG over [4] float tensors: each node reads one or two earlier values. Reshape makes views that share
// storage with their input, so reference counting by buffer is exercised.
const OPS = ['Relu', 'Neg', 'Add', 'Mul', 'Reshape', 'Sigmoid'] as const;
const arbDag = fc.array(fc.record({ op: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat() }), { minLength: 1, maxLength: 14 });

function buildModel(spec: { op: (typeof OPS)[number]; a: number; b: number }[]) {
  const names = ['x'];
  const nodes: Node[] = spec.map((s, i) => {
    const a = names[s.a % names.length];
    const b = names[s.b % names.length];
    const out = `v${i}`;
    names.push(out);
    if (s.op === 'Add' || s.op === 'Mul') return node(s.op, [a, b], [out]);
    if (s.op === 'Reshape') return node('Reshape', [a, 'shape4'], [out]);
    return node(s.op, [a], [out]);
  });
  // Outputs: the last value and one random earlier value (kept alive to the end).
  const outs = [...new Set([names[names.length - 1], names[Math.floor(names.length / 2)]])];
  return model(graph({ inputs: [vi('x', 1, [4])], outputs: outs.map((o) => vi(o)), initializers: [i64Tensor('shape4', [1], [4])], nodes }));
}

/** Evaluates the graph node by node with fresh buffers (no pool, no liveness): the reference. */
function naive(m: ReturnType<typeof buildModel>, x: Tensor): Map<string, Tensor> {
  const reg = createReferenceRegistry();
  const vals = new Map<string, Tensor>([['x', x], ['shape4', new Tensor('int64', [4n])]]);
  for (const n of m.graph.nodes) {
    const ins = n.inputs.map((i) => vals.get(i!)!);
    const kn: KernelNode = { name: n.name, opType: n.opType, domain: '', opset: 17, attrs: new Map(), inputTypes: ins.map((t) => t.dtype), outputCount: 1 };
    vals.set(n.outputs[0]!, reg.resolve(keyFor(kn)).create(kn).run(ins, freshRunContext)[0]!);
  }
  return vals;
}

describe('buffer pool', () => {
  it('property: pooled runs (twice, reusing buffers across runs) equal the unpooled evaluation', () => {
    fc.assert(fc.property(arbDag, fc.array(fc.float({ noNaN: true, min: -4, max: 4 }), { minLength: 4, maxLength: 4 }), (spec, xs) => {
      const m = buildModel(spec);
      const s = Session.fromModel(m);
      const x = new Tensor('float32', xs);
      const want = naive(m, x);
      for (let round = 0; round < 2; round++) {
        const got = s.runSync({ x });
        for (const [name, t] of Object.entries(got)) expect(Array.from(t.data as Float32Array)).toEqual(Array.from(want.get(name)!.data as Float32Array));
      }
      expect(Array.from(x.data as Float32Array)).toEqual(xs.map(Math.fround));
    }), { numRuns: 150 });
  });

  it('a long chain reuses buffers instead of allocating one per node', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => node('Relu', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`]));
    const s = Session.fromModel(model(graph({ inputs: [vi('x', 1, [8])], outputs: [vi('v19')], nodes })));
    s.runSync({ x: new Tensor('float32', new Float32Array(8).fill(1)) });
    // each value dies right after its consumer allocates: two buffers alternate.
    expect(s.poolStats.allocated).toBeLessThanOrEqual(3);
    expect(s.poolStats.reused).toBeGreaterThanOrEqual(17);
  });

  it('recycles only when the last reference goes, and hands reused buffers back zeroed', () => {
    const pool = new BufferPool();
    const a = pool.alloc('float32', [4]);
    a.data.fill(7);
    const view = a.reshape([2, 2]);
    pool.retain(a);
    pool.retain(view);
    pool.release(a);
    const b = pool.alloc('float32', [4]);
    expect(b.data).not.toBe(a.data);
    pool.release(view);
    const c = pool.alloc('float32', [4]);
    expect(c.data).toBe(a.data);
    expect(Array.from(c.data)).toEqual([0, 0, 0, 0]);
    pool.escape(c);
    pool.retain(c);
    pool.release(c);
    expect(pool.alloc('float32', [4]).data).not.toBe(c.data);
  });
});
