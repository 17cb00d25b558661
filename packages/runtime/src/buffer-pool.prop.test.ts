import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry, freshRunContext, keyFor, Tensor, type KernelNode, type KernelVariant } from '@lowbit/kernels';
import type { Node } from '@lowbit/onnx-ir';
import { BufferPool } from './buffer-pool.js';
import { Session } from './session.js';
import { fakeBackend } from './test-support/fake-backend.js';
import { graph, i64Tensor, model, node, vi } from './test-support/graph-builder.js';
import { testArena } from './test-support/test-arena.js';

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

  it('property: with an arena (from the options or from the backend) results equal the unpooled evaluation, come back in JS memory, and release() returns every arena view', () => {
    fc.assert(fc.property(arbDag, fc.array(fc.float({ noNaN: true, min: -4, max: 4 }), { minLength: 4, maxLength: 4 }), fc.boolean(), fc.nat(6), (spec, xs, viaBackend, room) => {
      const m = buildModel(spec);
      // room: a few 16-byte blocks only, so some allocations fall back to JS memory
      const arena = testArena(16 * (room + 1));
      const s = Session.fromModel(m, viaBackend ? { backends: [fakeBackend({ arena })] } : { arena });
      const x = new Tensor('float32', xs);
      const want = naive(m, x);
      for (let round = 0; round < 2; round++) {
        const got = s.runSync({ x });
        for (const [name, t] of Object.entries(got)) {
          expect(Array.from(t.data as Float32Array)).toEqual(Array.from(want.get(name)!.data as Float32Array));
          expect((t.data as Float32Array).buffer).not.toBe(arena.buffer);
        }
      }
      expect(arena.allocs).toBe(s.poolStats.arena);
      void s.release();
      expect(arena.live.size).toBe(0);
      expect(arena.frees).toBe(arena.allocs);
    }), { numRuns: 100 });
  });

  it('property: ownership is per allocation: allocations never overlap a live one or an escaped one, sharing a buffer never frees a neighbour, reuse is zeroed unless zeroReused is off (then it is the buffer as it was), scratch nobody holds is reused after endRun, escape copies arena memory out, an escaped buffer comes back only through giveBack (once), clear forgets the free lists', () => {
    type Op =
      | { k: 'alloc'; dt: number; n: number; dirty: boolean } | { k: 'retain'; i: number } | { k: 'release'; i: number }
      | { k: 'escape'; i: number } | { k: 'sub'; i: number } | { k: 'endRun' } | { k: 'giveBack'; i: number } | { k: 'clear' };
    const arbOp: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ k: fc.constant('alloc' as const), dt: fc.nat(2), n: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(4096)), dirty: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ k: fc.constant('retain' as const), i: fc.nat() }) },
      { weight: 4, arbitrary: fc.record({ k: fc.constant('release' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('escape' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('sub' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ k: 'endRun' as const }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('giveBack' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ k: 'clear' as const }) },
    );
    const DTYPES = ['float32', 'uint8', 'int64'] as const;
    fc.assert(fc.property(fc.array(arbOp, { maxLength: 60 }), fc.boolean(), fc.nat(40), (ops, useArena, room) => {
      const arena = useArena ? testArena(16 * (room + 1)) : undefined;
      const pool = new BufferPool(arena);
      // The model: every allocation handed out, its reference count and state. `gone`: forgotten by the pool (escaped
      // JS memory, JS scratch at endRun, JS memory clear dropped), never to be handed out again unless it escaped and
      // is given back (`escaped`); `dropped`: arena memory clear gave back to the arena (which may hand it out anew).
      // `last`: the allocation's bytes as last written (a free JS buffer may come back as a view of another dtype or
      // length over its start, holding those bytes)
      // `whole`: the view handed out last spans its JS buffer (else escape copies it out; `copied`: it did this run)
      interface Rec { t: Tensor; refs: number; state: 'live' | 'free' | 'gone' | 'dropped'; arena: boolean; escaped: boolean; last: Uint8Array; whole: boolean; copied: boolean }
      const recs: Rec[] = [];
      const views: { t: Tensor; rec: Rec }[] = [];
      const bytes = (t: Tensor) => t.data as unknown as ArrayBufferView;
      const overlaps = (a: Tensor, b: Tensor) => {
        const x = bytes(a);
        const y = bytes(b);
        return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
      };
      for (const op of ops) {
        if (op.k === 'alloc') {
          pool.zeroReused = !op.dirty;
          const before = pool.stats;
          const t = pool.alloc(DTYPES[op.dt], [op.n]);
          pool.zeroReused = true;
          const inArena = arena !== undefined && bytes(t).buffer === arena.buffer;
          // a reused arena view is the same view; a reused JS allocation the same buffer (at its start)
          const again = recs.find((r) => r.state === 'free' && (r.t.data === t.data || (!r.arena && !inArena && bytes(r.t).buffer === bytes(t).buffer)));
          if (again && !again.arena) expect(bytes(t).byteOffset).toBe(0);
          const after = pool.stats;
          // zeroed unless zeroReused was off: then a reused buffer holds what was written there, and a new JS buffer
          // of 4 KiB or more is taken without zero fill (any contents)
          const unfilled = !again && op.dirty && !inArena && bytes(t).byteLength >= 4096;
          const got = new Uint8Array(bytes(t).buffer, bytes(t).byteOffset, bytes(t).byteLength);
          if (again && op.dirty) expect(Array.from(got)).toEqual(Array.from(again.last.subarray(0, got.length)));
          else if (!unfilled) expect(got.every((v) => v === 0)).toBe(true);
          expect(after.allocatedDirty - before.allocatedDirty).toBe(unfilled ? 1 : 0);
          expect(after.reusedDirty - before.reusedDirty).toBe(again && op.dirty ? 1 : 0);
          expect(after.reused - before.reused).toBe(again ? 1 : 0);
          for (const r of recs) if (r.state !== 'free' && r.state !== 'dropped') expect(overlaps(t, r.t)).toBe(false);
          const rec: Rec = again ?? { t, refs: 0, state: 'live', arena: inArena, escaped: false, last: new Uint8Array(0), whole: true, copied: false };
          rec.state = 'live';
          rec.refs = 0;
          rec.whole = inArena || bytes(t).byteLength === bytes(t).buffer.byteLength;
          rec.copied = false;
          if (!again) recs.push(rec);
          (t.data as { fill(v: unknown): void }).fill(DTYPES[op.dt] === 'int64' ? 7n : 7);
          // the bytes of the whole allocation now (a JS allocation: its buffer; an arena view: the view)
          const whole = inArena ? bytes(t) : new Uint8Array(bytes(t).buffer);
          rec.last = new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength).slice();
          views.push({ t, rec });
          continue;
        }
        if (op.k === 'endRun') {
          pool.endRun();
          for (const r of recs) if (r.state === 'live') r.state = r.arena || r.refs === 0 || r.copied ? 'free' : 'gone';
          continue;
        }
        if (op.k === 'clear') {
          pool.clear();
          for (const r of recs) if (r.state === 'free') r.state = r.arena ? 'dropped' : 'gone';
          for (const w of views) expect(pool.owns(w.t)).toBe(w.rec.state === 'live');
          continue;
        }
        if (op.k === 'giveBack') {
          // any allocation the pool does not hold: only an escaped one (not given back yet) is taken
          const out = recs.filter((r) => r.state === 'gone' || r.state === 'dropped');
          if (out.length === 0) continue;
          const r = out[op.i % out.length];
          expect(pool.giveBack(r.t)).toBe(r.escaped);
          if (r.escaped) {
            r.escaped = false;
            r.state = 'free';
            expect(pool.giveBack(r.t)).toBe(false);
          }
          for (const w of views) expect(pool.owns(w.t)).toBe(w.rec.state === 'live');
          continue;
        }
        const live = views.filter((v) => v.rec.state === 'live');
        if (live.length === 0) continue;
        const v = live[op.i % live.length];
        if (op.k === 'retain') {
          pool.retain(v.t);
          v.rec.refs++;
        } else if (op.k === 'release') {
          if (v.rec.refs === 0) continue;
          pool.release(v.t);
          v.rec.refs--;
          if (v.rec.refs === 0) v.rec.state = 'free';
        } else if (op.k === 'sub') {
          // a view of the second half of the allocation (a different array object on the same buffer)
          const d = v.t.data as unknown as { subarray(a: number, b?: number): never; length: number };
          const half = Math.floor(d.length / 2);
          const sub = new Tensor(v.t.dtype, d.subarray(half), [d.length - half]);
          pool.retain(sub);
          v.rec.refs++;
          views.push({ t: sub, rec: v.rec });
        } else {
          const kept = pool.escape(v.t);
          if (v.rec.arena || !v.rec.whole) {
            // a copy in an array of its own
            expect(bytes(kept).buffer).not.toBe(bytes(v.t).buffer);
            expect(bytes(kept).byteLength).toBe(bytes(kept).buffer.byteLength);
            expect(Array.from(kept.data as ArrayLike<unknown>)).toEqual(Array.from(v.t.data as ArrayLike<unknown>));
            if (!v.rec.arena) v.rec.copied = true;
          } else {
            expect(kept).toBe(v.t);
            v.rec.state = 'gone';
            v.rec.escaped = true;
          }
        }
        // the pool tracks exactly the live allocations (its views, whole or partial)
        for (const w of views) expect(pool.owns(w.t)).toBe(w.rec.state === 'live');
      }
      pool.endRun();
      pool.clear();
      if (arena) expect(arena.live.size).toBe(0);
    }), { numRuns: 300 });
  });

  it('two allocations in one arena buffer: releasing or escaping one leaves the other owned; a refused dtype falls back to JS memory', () => {
    const arena = testArena(256);
    arena.refuse.add('int64');
    const pool = new BufferPool(arena);
    const a = pool.alloc('float32', [4]);
    const b = pool.alloc('float32', [4]);
    expect(a.data.buffer).toBe(arena.buffer);
    expect(b.data.buffer).toBe(arena.buffer);
    pool.retain(a);
    pool.retain(b);
    pool.release(a);
    expect(pool.owns(a)).toBe(false);
    expect(pool.owns(b)).toBe(true);
    expect(pool.inArena(b)).toBe(true);
    pool.escape(b);
    expect(pool.owns(b)).toBe(true); // arena memory never leaves: escape copied it
    const big = pool.alloc('int64', [2]);
    expect(big.data.buffer).not.toBe(arena.buffer);
    expect(pool.stats).toEqual({ allocated: 3, allocatedDirty: 0, reused: 0, arena: 2, reusedDirty: 0, bytes: 16, arenaBytes: 32 });
  });

  it('an arena that returns the wrong view is a typed error', () => {
    const pool = new BufferPool({ alloc: () => new Float32Array(1) as never, free: () => {} });
    expect(() => pool.alloc('float32', [3])).toThrow(/option "arena".*Float32Array of 1/);
    expect(() => pool.alloc('uint8', [1])).toThrow(/option "arena"/);
  });

  it('value hooks receive arena tensors copied into JS memory', () => {
    const arena = testArena();
    const seen: Tensor[] = [];
    const m = model(graph({ inputs: [vi('x', 1, [2])], outputs: [vi('z')], nodes: [node('Neg', ['x'], ['y']), node('Relu', ['y'], ['z'])] }));
    const s = Session.fromModel(m, { arena, onValue: (_n, t) => seen.push(t) });
    const out = s.runSync({ x: new Tensor('float32', [1, -2]) });
    expect(Array.from(out.z.data as Float32Array)).toEqual([0, 2]);
    expect(seen.map((t) => Array.from(t.data as Float32Array))).toEqual([[1, -2], [-1, 2], [0, 2]]);
    for (const t of seen) expect((t.data as Float32Array).buffer).not.toBe(arena.buffer);
    expect(s.poolStats.arena).toBeGreaterThan(0);
  });

  it('a long chain reuses buffers instead of allocating one per node', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => node('Relu', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`]));
    const s = Session.fromModel(model(graph({ inputs: [vi('x', 1, [8])], outputs: [vi('v19')], nodes })));
    s.runSync({ x: new Tensor('float32', new Float32Array(8).fill(1)) });
    // each value dies right after its consumer allocates: two buffers alternate.
    expect(s.poolStats.allocated).toBeLessThanOrEqual(3);
    expect(s.poolStats.reused).toBeGreaterThanOrEqual(17);
  });

  it('a variant declaring writesAllOutputs gets reused buffers unzeroed, the reference kernels zeroed ones; results stay right', () => {
    // Neg (declares writesAllOutputs, records what its buffers held) alternating with the reference Abs, over runs.
    const seen: number[][] = [];
    const neg: KernelVariant = {
      key: 'Neg:f32', name: 'neg-dirty', isa: 'avx2', tolerance: 'exact', writesAllOutputs: true,
      create: () => ({
        run([x], ctx) {
          const y = ctx.alloc('float32', x!.dims);
          seen.push(Array.from(y.data));
          for (let i = 0; i < y.data.length; i++) y.data[i] = -(x!.data as Float32Array)[i];
          return [y];
        },
      }),
    };
    const nodes = Array.from({ length: 8 }, (_, i) => node(i % 2 ? 'Abs' : 'Neg', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`]));
    const s = Session.fromModel(model(graph({ inputs: [vi('x', 1, [4])], outputs: [vi('v7')], nodes })), { backends: [fakeBackend({ variants: [neg] })] });
    for (let r = 0; r < 3; r++) {
      const out = s.runSync({ x: new Tensor('float32', [1, -2, 3, -4]) });
      expect(Array.from(out.v7.data as Float32Array)).toEqual([1, 2, 3, 4]);
    }
    expect(s.poolStats.reusedDirty).toBeGreaterThan(0);
    expect(s.poolStats.reused).toBeGreaterThan(s.poolStats.reusedDirty); // the reference Abs got zeroed reuses
    expect(seen.some((v) => v.some((e) => e !== 0))).toBe(true); // Neg really saw a dirty buffer
    expect(s.poolStats.bytes).toBeGreaterThan(0);
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

  it('reuses free JS buffers across dtypes and sizes: the same shape first, else the most recently freed one that holds the request with at most half of it to spare', () => {
    const pool = new BufferPool();
    const buf = (t: Tensor) => (t.data as Float32Array).buffer;
    const take = (t: Tensor) => pool.retain(t);
    const free = (t: Tensor) => pool.release(t);
    const f = pool.alloc('float32', [1000]); // 4000 bytes
    const g = pool.alloc('float32', [600]); // 2400 bytes
    const h = pool.alloc('uint8', [3000]);
    [f, g, h].forEach(take);
    free(f);
    free(h);
    // no free uint8[2000]: the most recent fit of 2000..4000 bytes is h's buffer (freed after f's)
    const a = pool.alloc('uint8', [2000]);
    expect(buf(a)).toBe(buf(h));
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect(a.data.length).toBe(2000);
    take(a);
    // a float32[500] (2000 bytes) fits f's buffer (4000 bytes, half to spare), zero-filled
    new Float32Array(buf(f)).fill(3);
    const b = pool.alloc('float32', [500]);
    expect(buf(b)).toBe(buf(f));
    expect(Array.from(b.data).every((v) => v === 0)).toBe(true);
    take(b);
    free(g);
    free(b);
    // 1000 bytes: neither free buffer (2400, 4000) has at most half to spare: a new one
    const c = pool.alloc('uint8', [1000]);
    expect([buf(f), buf(g)]).not.toContain(buf(c));
    // the same shape beats a more recent fit: g (float32[600]) was freed before f's float32[500] view
    const d = pool.alloc('float32', [600]);
    expect(d.data).toBe(g.data);
    expect(pool.stats.allocated).toBe(4);
    // a result in a buffer reused for a shorter view escapes as a copy of its own; the buffer stays pooled and endRun
    // takes it back (the run's transit reference notwithstanding)
    take(d);
    const e = pool.alloc('uint8', [3000]);
    expect(buf(e)).toBe(buf(f));
    take(e);
    const out = pool.escape(e);
    expect(buf(out)).not.toBe(buf(e));
    expect((out.data as Uint8Array).buffer.byteLength).toBe(3000);
    expect(pool.owns(e)).toBe(true);
    pool.endRun();
    expect(buf(pool.alloc('uint8', [3000]))).toBe(buf(f));
  });
});
