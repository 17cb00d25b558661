/** Value hooks inside control-flow bodies: If branches report the taken branch's values, Loop bodies once per trip. */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { Session } from './session.js';
import { attr, BOOL, f32Tensor, graph, I64, i64Tensor, model, node, vi } from './test-support/graph-builder.js';

// y = cond ? relu(x + outer) : x * outer
const ifModel = () => model(graph({
  inputs: [vi('cond', BOOL, []), vi('x', 1, [2])], outputs: [vi('y')],
  initializers: [f32Tensor('outer', [2], [10, -100])],
  nodes: [node('If', ['cond'], ['y'], [
    attr.graph('then_branch', graph({ name: 'then', outputs: [vi('t')], nodes: [node('Add', ['x', 'outer'], ['t_sum']), node('Relu', ['t_sum'], ['t'])] })),
    attr.graph('else_branch', graph({ name: 'else', outputs: [vi('e')], nodes: [node('Mul', ['x', 'outer'], ['e'])] })),
  ], 'if1')],
}));

describe('value hooks in control-flow bodies', () => {
  it('If: the taken branch reports its values by name, the other reports nothing', async () => {
    const seen: [string, number[]][] = [];
    const s = await Session.create(ifModel(), { onValue: (n, t) => seen.push([n, Array.from(t.data as Float32Array)]), observe: ['t_sum', 't', 'e', 'y'] });
    const x = new Tensor('float32', [1, 2]);
    await s.run({ cond: new Tensor('bool', [1], []), x });
    expect(seen).toEqual([['t_sum', [11, -98]], ['t', [11, 0]], ['y', [11, 0]]]);
    seen.length = 0;
    await s.run({ cond: new Tensor('bool', [0], []), x });
    expect(seen).toEqual([['e', [10, -200]], ['y', [10, -200]]]);
  });

  it('observe accepts body value names and still rejects unknown ones', async () => {
    await expect(Session.create(ifModel(), { onValue: () => {}, observe: ['t_sum'] })).resolves.toBeDefined();
    await expect(Session.create(ifModel(), { onValue: () => {}, observe: ['nope'] })).rejects.toThrow(/"nope"/);
  });

  it('Loop: the body reports its values once per iteration', async () => {
    // 3 trips: acc = acc * 2 (body value "doubled")
    const m = model(graph({
      inputs: [vi('acc0', 1, [1])], outputs: [vi('acc')],
      initializers: [f32Tensor('two', [1], [2]), i64Tensor('trips', [], [3])],
      nodes: [
        node('Loop', ['trips', '', 'acc0'], ['acc'], [attr.graph('body', graph({
          name: 'body', inputs: [vi('i', I64, []), vi('c', BOOL, []), vi('a', 1, [1])], outputs: [vi('c_out', BOOL, []), vi('doubled', 1, [1])],
          nodes: [node('Identity', ['c'], ['c_out']), node('Mul', ['a', 'two'], ['doubled'])],
        }))]),
      ],
    }));
    const seen: number[] = [];
    const s = await Session.create(m, { onValue: (_n, t) => seen.push((t.data as Float32Array)[0]), observe: ['doubled'] });
    await s.run({ acc0: new Tensor('float32', [1.5], [1]) });
    expect(seen).toEqual([3, 6, 12]);
  });
});
