import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { NodeError } from '@lowbit/onnx-ir';
import { Session } from '../session.js';
import { attr, BOOL, f32Tensor, graph, I64, model, node, vi } from '../test-support/graph-builder.js';

describe('If', () => {
  // y = cond ? x + outer : x * outer, branches read `x` and `outer` from the enclosing graph.
  const m = () => model(graph({
    inputs: [vi('cond', BOOL, []), vi('x', 1, [2])], outputs: [vi('y')],
    initializers: [f32Tensor('outer', [2], [10, 100])],
    nodes: [node('If', ['cond'], ['y'], [
      attr.graph('then_branch', graph({ name: 'then', outputs: [vi('t')], nodes: [node('Add', ['x', 'outer'], ['t'])] })),
      attr.graph('else_branch', graph({ name: 'else', outputs: [vi('e')], nodes: [node('Mul', ['x', 'outer'], ['e'])] })),
    ], 'if1')],
  }));

  it('takes the branch the condition selects, reading outer-scope values', async () => {
    const s = await Session.create(m());
    const x = new Tensor('float32', [1, 2]);
    expect(Array.from((await s.run({ cond: new Tensor('bool', [1], []), x })).y.data as Float32Array)).toEqual([11, 102]);
    expect(Array.from((await s.run({ cond: new Tensor('bool', [0], []), x })).y.data as Float32Array)).toEqual([10, 200]);
  });

  it('a failure inside a branch names the nested node path', async () => {
    const bad = model(graph({
      inputs: [vi('cond', BOOL, [])], outputs: [vi('y')],
      nodes: [node('If', ['cond'], ['y'], [
        attr.graph('then_branch', graph({ outputs: [vi('t')], nodes: [node('Unheard', [], ['t'], [], 'inner')] })),
        attr.graph('else_branch', graph({ outputs: [vi('e')], nodes: [node('Constant', [], ['e'], [attr.float('value_float', 1)])] })),
      ], 'if1')],
    }));
    const err = await Session.create(bad).catch((e) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.nodePath).toEqual(['if1', 'inner']);
    expect(err.message).toMatch(/node "inner" \(Unheard\) at if1 > inner/);
  });
});

describe('Loop', () => {
  // for i < M while cond: acc = acc + x; scan output = acc * i ... cond_out = (i < stop)
  // body inputs (i, cond_in, acc); outputs (cond_out, acc_out, scan)
  const body = graph({
    name: 'body',
    inputs: [vi('i', I64, []), vi('cond_in', BOOL, []), vi('acc', 1, [2])],
    outputs: [vi('cond_out', BOOL, []), vi('acc_out', 1, [2]), vi('scan', 1, [2])],
    nodes: [
      node('Add', ['acc', 'x'], ['acc_out']),
      node('Cast', ['i'], ['i_f'], [attr.int('to', 1)]),
      node('Mul', ['acc_out', 'i_f'], ['scan']),
      node('Less', ['i', 'stop'], ['cond_out']),
    ],
  });
  const m = () => model(graph({
    inputs: [vi('M', I64, []), vi('c', BOOL, []), vi('x', 1, [2]), vi('stop', I64, [])],
    outputs: [vi('acc_final'), vi('scans')],
    initializers: [f32Tensor('acc0', [2], [0, 0])],
    nodes: [node('Loop', ['M', 'c', 'acc0'], ['acc_final', 'scans'], [attr.graph('body', body)], 'loop1')],
  }));
  const x = new Tensor('float32', [1, 2]);
  const run = async (M: number, c: boolean, stop: number) => (await Session.create(m())).run({
    M: new Tensor('int64', [BigInt(M)], []), c: new Tensor('bool', [c ? 1 : 0], []), x, stop: new Tensor('int64', [BigInt(stop)], []),
  });

  it('stops at the max trip count; scan outputs stack per iteration', async () => {
    const out = await run(3, true, 100);
    // acc after i=0,1,2: [1,2],[2,4],[3,6]; scan = acc*i: [0,0],[2,4],[6,12]
    expect(Array.from(out.acc_final.data as Float32Array)).toEqual([3, 6]);
    expect(out.scans.dims).toEqual([3, 2]);
    expect(Array.from(out.scans.data as Float32Array)).toEqual([0, 0, 2, 4, 6, 12]);
  });

  it('stops when the body condition turns false', async () => {
    // cond_out = i < 1: runs i=0 (cond_out true), i=1 (cond_out false) -> 2 iterations
    const out = await run(10, true, 1);
    expect(Array.from(out.acc_final.data as Float32Array)).toEqual([2, 4]);
    expect(out.scans.dims).toEqual([2, 2]);
  });

  it('runs zero times when cond starts false: initial values pass through, scans are empty', async () => {
    const out = await run(10, false, 100);
    expect(Array.from(out.acc_final.data as Float32Array)).toEqual([0, 0]);
    expect(out.scans.dims).toEqual([0, 2]);
  });
});

describe('Scan', () => {
  it('opset 9+: running sum over axis 0 with a reverse scan input', async () => {
    // state s (shape [2]); scan input rows r; body: s' = s + r, out = s'
    const body = graph({
      inputs: [vi('s', 1, [2]), vi('r', 1, [2])], outputs: [vi('s2', 1, [2]), vi('o', 1, [2])],
      nodes: [node('Add', ['s', 'r'], ['s2']), node('Identity', ['s2'], ['o'])],
    });
    const m = model(graph({
      inputs: [vi('init', 1, [2]), vi('xs', 1, [3, 2])], outputs: [vi('final'), vi('ys')],
      nodes: [node('Scan', ['init', 'xs'], ['final', 'ys'], [attr.graph('body', body), attr.int('num_scan_inputs', 1), attr.ints('scan_input_directions', [1])])],
    }), 11);
    const out = await (await Session.create(m)).run({ init: new Tensor('float32', [0, 0]), xs: new Tensor('float32', [1, 2, 3, 4, 5, 6], [3, 2]) });
    // reverse rows: [5,6], [3,4], [1,2] -> running sums [5,6], [8,10], [9,12]
    expect(Array.from(out.final.data as Float32Array)).toEqual([9, 12]);
    expect(Array.from(out.ys.data as Float32Array)).toEqual([5, 6, 8, 10, 9, 12]);
  });
});

describe('RUNTIME_OPS', () => {
  it('lists the ops the runtime runs without a kernel', async () => {
    const { RUNTIME_OPS } = await import('../index.js');
    for (const op of ['Constant', 'Identity', 'If', 'Loop', 'Scan', 'SequenceAt', 'SequenceMap', 'OptionalHasElement']) expect(RUNTIME_OPS).toContain(op);
    expect(RUNTIME_OPS).not.toContain('Conv');
  });
});

describe('errors inside bodies', () => {
  it('a kernel failure inside a Loop body at run time names the loop and the inner node', async () => {
    // body: y = MatMul(acc, w) where w's shape is only known at run time; [1,2] x [3,1] fails in iteration 0.
    const body = graph({
      inputs: [vi('i', I64, []), vi('cin', BOOL, []), vi('acc', 1)],
      outputs: [vi('cout', BOOL, []), vi('acc2', 1)],
      nodes: [node('Identity', ['cin'], ['cout']), node('MatMul', ['acc', 'w'], ['acc2'], [], 'inner_mm')],
    });
    const m = model(graph({
      inputs: [vi('M', I64, []), vi('a0', 1), vi('w', 1)], outputs: [vi('out')],
      nodes: [node('Loop', ['M', null, 'a0'], ['out'], [attr.graph('body', body)], 'loop1')],
    }));
    const s = await Session.create(m);
    const err = await s.run({ M: new Tensor('int64', [2n], []), a0: new Tensor('float32', [1, 2], [1, 2]), w: new Tensor('float32', [1, 2, 3], [3, 1]) }).catch((e) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.nodePath).toEqual(['loop1', 'inner_mm']);
    expect(err.message).toMatch(/node "inner_mm" \(MatMul\) at loop1 > inner_mm: kernel MatMul:f32/);
  });
});
