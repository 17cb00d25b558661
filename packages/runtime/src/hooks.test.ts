import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { Session } from './session.js';
import { graph, model, node, vi } from './test-support/graph-builder.js';

// x -> a = x + x -> b = relu(a) -> y = b * a
const chain = () => model(graph({
  inputs: [vi('x', 1, [3])], outputs: [vi('y')],
  nodes: [node('Add', ['x', 'x'], ['a']), node('Relu', ['a'], ['b']), node('Mul', ['b', 'a'], ['y'])],
}));
const x = () => new Tensor('float32', [-1, 2, 3]);

describe('value hooks', () => {
  it('session onValue sees the feed and every produced value, in execution order, with correct contents', async () => {
    const seen: [string, number[]][] = [];
    const s = await Session.create(chain(), { onValue: (n, t) => seen.push([n, Array.from(t.data as Float32Array)]) });
    await s.run({ x: x() });
    // a = [-2,4,6], b = [0,4,6], y = b*a = [0*-2 = -0 (IEEE), 16, 36]
    expect(seen).toEqual([['x', [-1, 2, 3]], ['a', [-2, 4, 6]], ['b', [0, 4, 6]], ['y', [-0, 16, 36]]]);
  });

  it('observe restricts the names; per-run hooks add to the session hook', async () => {
    const sessionSeen: string[] = [];
    const runSeen: string[] = [];
    const s = await Session.create(chain(), { onValue: (n) => sessionSeen.push(n), observe: ['b'] });
    await s.run({ x: x() }, { onValue: (n) => runSeen.push(n), observe: ['a', 'y'] });
    expect(sessionSeen).toEqual(['b']);
    expect(runSeen).toEqual(['a', 'y']);
  });

  it('observed tensors stay valid after the run (their buffers are never recycled)', async () => {
    const kept: Tensor[] = [];
    const s = await Session.create(chain(), { onValue: (_n, t) => kept.push(t) });
    await s.run({ x: x() });
    await s.run({ x: new Tensor('float32', [5, 5, 5]) });
    expect(Array.from(kept[1].data as Float32Array)).toEqual([-2, 4, 6]);
    expect(Array.from(kept[5].data as Float32Array)).toEqual([10, 10, 10]);
  });
});

describe('observe names', () => {
  it('a name that is not a graph input or node output is a SessionOptionError (session and run option)', async () => {
    await expect(Session.create(chain(), { onValue: () => {}, observe: ['a', 'typo'] })).rejects.toThrow(/option "observe": got "typo"/);
    const s = await Session.create(chain());
    await expect(s.run({ x: x() }, { onValue: () => {}, observe: ['nope'] })).rejects.toThrow(/option "observe \(run option\)": got "nope"/);
  });
});

describe('observing initializers', () => {
  it('an initializer named in observe is reported once per run with its value', async () => {
    const { f32Tensor } = await import('./test-support/graph-builder.js');
    const m = model(graph({ inputs: [vi('x', 1, [2])], outputs: [vi('y')], initializers: [f32Tensor('w', [2], [3, 4])], nodes: [node('Mul', ['x', 'w'], ['y'])] }));
    const seen: [string, number[]][] = [];
    const s = await Session.create(m, { onValue: (n, t) => seen.push([n, Array.from(t.data as Float32Array)]), observe: ['w', 'y'] });
    await s.run({ x: new Tensor('float32', [1, 2]) });
    expect(seen).toEqual([['w', [3, 4]], ['y', [3, 8]]]);
  });
});
