import { describe, expect, it } from 'vitest';
import { LowbitError, NodeError } from '@lowbit/onnx-ir';
import { Session } from './index.js';
import { attr, f32Tensor, graph, model, node, vi } from './test-support/graph-builder.js';

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
