import { describe, expect, it } from 'vitest';
import { LowbitError, NodeError } from '@lowbit/onnx-ir';
import { ResourceLimitError, Session, SessionOptionError, Tensor } from './index.js';
import { BOOL, I64, attr, f32Tensor, graph, i64Tensor, model, node, vi } from './test-support/graph-builder.js';

// Malformed nodes that crashed shape inference with a bare TypeError are now NodeErrors naming the node.
describe('Session.create on malformed nodes', () => {
  it('Concat with no inputs', async () => {
    const m = model(graph({ inputs: [vi('x', 1, [1, 4])], outputs: [vi('y')], nodes: [node('Concat', [], ['y'], [attr.int('axis', 0)], 'cat')] }));
    const err = await Session.create(m, { backend: 'js' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(/node "cat" \(Concat\).*needs at least one input/);
  });

  it('Conv with a 1-D weight', async () => {
    const m = model(graph({ inputs: [vi('x', 1, [1, 1, 4, 4])], outputs: [vi('y')], initializers: [f32Tensor('w', [4], [1, 2, 3, 4])], nodes: [node('Conv', ['x', 'w'], ['y'], [], 'conv')] }));
    const err = await Session.create(m, { backend: 'js' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(/node "conv" \(Conv\).*weight has shape \[4\], expected rank >= 3/);
  });

  it('a rule tripping over odd attributes is a typed error too', async () => {
    // Transpose with a perm naming axes the input does not have.
    const m = model(graph({ inputs: [vi('x', 1, [2, 3])], outputs: [vi('y')], nodes: [node('Transpose', ['x'], ['y'], [attr.ints('perm', [5, 7])], 't')] }));
    const err = await Session.create(m, { backend: 'js' }).then(async (s) => s.run({}), (e: unknown) => e).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LowbitError);
  });
});

describe('SessionOptions.memoryLimit', () => {
  const relu = model(graph({ inputs: [vi('x', 1, [1, 1000])], outputs: [vi('y')], nodes: [node('Relu', ['x'], ['y'], [], 'relu')] }));
  const feeds = { x: new Tensor('float32', new Float32Array(1000), [1, 1000]) };

  it('an allocation beyond the limit is a ResourceLimitError inside a NodeError naming the node', async () => {
    const s = await Session.create(relu, { backend: 'js', memoryLimit: 3999 });
    const err = await s.run(feeds).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(/node "relu" \(Relu\).*allocating float32\[1, 1000\]: 4000 bytes, more than the memoryLimit of 3999 bytes/);
    expect((err as Error).cause).toBeInstanceOf(ResourceLimitError);
    const ok = await Session.create(relu, { backend: 'js', memoryLimit: 4000 });
    for (let i = 0; i < 3; i++) expect((await ok.run(feeds)).y!.dims).toEqual([1, 1000]);
  });

  it('the default limit refuses a ConstantOfShape of 2^40 elements instead of aborting', async () => {
    const m = model(graph({ outputs: [vi('y')], initializers: [i64Tensor('shape', [2], [2 ** 20, 2 ** 20])], nodes: [node('ConstantOfShape', ['shape'], ['y'], [], 'big')] }));
    const err = await Session.create(m, { backend: 'js' }).then((s) => s.run({}), (e: unknown) => e).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LowbitError);
    expect((err as Error).message).toMatch(/"big"/);
  });

  it('rejects a non-positive limit', async () => {
    await expect(Session.create(relu, { backend: 'js', memoryLimit: 0 })).rejects.toBeInstanceOf(SessionOptionError);
  });
});

describe('runaway Loops are bounded', () => {
  /** Loop(M = 2^62, cond = true) whose body carries x through Identity and optionally scans it out. */
  function endless(scan: boolean) {
    const body = graph({
      name: 'body',
      inputs: [vi('i', I64, []), vi('c_in', BOOL, []), vi('v_in', 1, [1, 256])],
      outputs: [vi('c_out', BOOL, []), vi('v_out', 1, [1, 256]), ...(scan ? [vi('s_out', 1, [1, 256])] : [])],
      nodes: [node('Identity', ['c_in'], ['c_out'], [], 'keep'), node('Identity', ['v_in'], ['v_out'], [], 'carry'), ...(scan ? [node('Relu', ['v_in'], ['s_out'], [], 'scan')] : [])],
    });
    const cond = { kind: 'inline' as const, name: 'cond', dtype: BOOL, dims: [], data: new Uint8Array([1]), encoding: 'raw' as const };
    return model(graph({
      inputs: [vi('x', 1, [1, 256])],
      outputs: [vi('y', 1, [1, 256]), ...(scan ? [vi('ys')] : [])],
      initializers: [{ ...i64Tensor('M', [], [0]), data: new Uint8Array(new BigInt64Array([2n ** 62n]).buffer) }, cond],
      nodes: [node('Loop', ['M', 'cond', 'x'], ['y', ...(scan ? ['ys'] : [])], [attr.graph('body', body)], 'loop')],
    }));
  }
  const feeds = { x: new Tensor('float32', new Float32Array(256), [1, 256]) };

  it('a trip count of 2^62 stops at RunOptions.timeoutMs with a ResourceLimitError', async () => {
    const s = await Session.create(endless(false), { backend: 'js' });
    const t0 = performance.now();
    const err = await s.run(feeds, { timeoutMs: 200 }).then(() => undefined, (e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(/node "loop" \(Loop\).*run time: \d+ ms, more than the timeoutMs of 200 ms/);
    expect(((err as Error).cause as Error)).toBeInstanceOf(ResourceLimitError);
    await expect(s.run(feeds, { timeoutMs: 0 })).rejects.toBeInstanceOf(SessionOptionError);
  });

  it('a scan output that grows without bound stops at memoryLimit', async () => {
    const s = await Session.create(endless(true), { backend: 'js', memoryLimit: 1 << 20 });
    const err = await s.run(feeds).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LowbitError);
    expect((err as Error).message).toMatch(/more than the memoryLimit of 1048576 bytes/);
  });
});
