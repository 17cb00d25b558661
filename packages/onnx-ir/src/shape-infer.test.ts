/**
 * The engine itself, on hand-checked graphs (the runtime checks every inferred dim against real run-time shapes over
 * the ONNX test corpus and real models; the rewriters check the recorded value_info against onnxruntime).
 */
import { describe, expect, it } from 'vitest';
import { ShapeConflict } from './broadcast.js';
import { inferShapes, type NodeShapeConflict } from './shape-infer.js';
import { tensorFromValues } from './tensor-values.js';
import { DataType, type Attr, type Dim, type Graph, type Node, type TensorRef } from './types.js';

let ids = 0;
const node = (opType: string, inputs: (string | null)[], outputs: string[], attributes: Attr[] = [], domain = ''): Node =>
  ({ id: `n${ids++}`, name: outputs[0] ?? opType, opType, domain, inputs, outputs, attributes });
const input = (name: string, elemType: DataType, shape: Dim[]) => ({ name, type: { kind: 'tensor' as const, elemType, shape } });
const graph = (inputs: ReturnType<typeof input>[], nodes: Node[], initializers: TensorRef[] = []): Graph =>
  ({ name: 'g', inputs, outputs: [], initializers, sparseInitializers: [], nodes, valueInfo: [] });
const opset = (v: number) => ({ opsetOf: () => v });
const ints = (name: string, value: number[]): Attr => ({ name, type: 'ints', value: value.map(BigInt) });

describe('inferShapes', () => {
  it('folds a Shape -> Gather -> Concat chain (with a Constant node) into the Reshape target', () => {
    const g = graph([input('x', DataType.FLOAT, ['N', 3, 4])], [
      node('Shape', ['x'], ['s']),
      node('Constant', [], ['zero'], [{ name: 'value', type: 'tensor', value: tensorFromValues('zero', DataType.INT64, [1], [0n]) }]),
      node('Gather', ['s', 'zero'], ['n']),
      node('Concat', ['n', 'minus1'], ['target'], [{ name: 'axis', type: 'int', value: 0n }]),
      node('Reshape', ['x', 'target'], ['y']),
    ], [tensorFromValues('minus1', DataType.INT64, [1], [-1n])]);
    const r = inferShapes(g, opset(17));
    expect(r.shapes.get('s')).toEqual([3]);
    expect(r.consts.get('s')).toBeUndefined(); // N is a symbol: the shape tensor is not foldable
    expect(r.shapes.get('target')).toEqual([2]);
    expect(r.shapes.has('y')).toBe(false); // the target's values are unknown, so is the rank
    expect(r.elemTypes.get('s')).toBe(DataType.INT64);
    expect(r.elemTypes.get('y')).toBe(DataType.FLOAT);

    const s = inferShapes({ ...g, inputs: [input('x', DataType.FLOAT, [2, 3, 4])] }, opset(17));
    expect(s.consts.get('target')).toEqual([2, -1]);
    expect(s.shapes.get('y')).toEqual([2, 12]);
  });

  it('Conv, MaxPool and Flatten on a symbolic batch; Cast and Equal set element types', () => {
    const g = graph([input('x', DataType.FLOAT, ['N', 1, 28, 28])], [
      node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [5, 5])]),
      node('MaxPool', ['c'], ['p'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
      node('Flatten', ['p'], ['f']),
      node('Cast', ['f'], ['h'], [{ name: 'to', type: 'int', value: BigInt(DataType.FLOAT16) }]),
      node('Equal', ['h', 'h'], ['e']),
    ], [tensorFromValues('w', DataType.FLOAT, [8, 1, 5, 5], new Float32Array(200))]);
    const r = inferShapes(g, opset(13));
    expect(r.shapes.get('c')).toEqual(['N', 8, 24, 24]);
    expect(r.shapes.get('p')).toEqual(['N', 8, 12, 12]);
    expect(r.shapes.get('f')).toEqual([null, 1152]); // N x 1 is not a known number
    expect([r.elemTypes.get('h'), r.elemTypes.get('e')]).toEqual([DataType.FLOAT16, DataType.BOOL]);
  });

  it('DynamicQuantizeLinear, ConvInteger, MatMulInteger, QLinearConv and QLinearMatMul take their float forms\' shapes', () => {
    const g = graph([input('x', DataType.FLOAT, ['N', 2, 6, 6])], [
      node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
      node('ConvInteger', ['xq', 'w', 'xz'], ['ci'], [ints('pads', [1, 1, 1, 1])]),
      node('QLinearConv', ['xq', 'xs', 'xz', 'w', 'xs', 'xz', 'xs', 'xz'], ['qc'], [ints('strides', [2, 2])]),
      node('Flatten', ['qc'], ['f']),
      node('MatMulInteger', ['xq', 'm'], ['mi']),
      node('QLinearMatMul', ['xq', 'xs', 'xz', 'm', 'xs', 'xz', 'xs', 'xz'], ['qm']),
    ], [tensorFromValues('w', DataType.UINT8, [4, 2, 3, 3], new Uint8Array(72)), tensorFromValues('m', DataType.UINT8, [6, 5], new Uint8Array(30))]);
    const r = inferShapes(g, opset(13));
    expect([r.shapes.get('xq'), r.shapes.get('xs'), r.shapes.get('xz')]).toEqual([['N', 2, 6, 6], [], []]);
    expect(r.shapes.get('ci')).toEqual(['N', 4, 6, 6]);
    expect(r.shapes.get('qc')).toEqual(['N', 4, 2, 2]);
    expect(r.shapes.get('mi')).toEqual(['N', 2, 6, 5]);
    expect(r.shapes.get('qm')).toEqual(['N', 2, 6, 5]);
    expect(() => inferShapes({ ...g, nodes: [g.nodes[0]!, node('ConvInteger', ['xq', 'bad'], ['c2'])], initializers: [tensorFromValues('bad', DataType.UINT8, [4, 3, 3, 3], new Uint8Array(108))] }, opset(13))).toThrow(ShapeConflict);
  });

  it('leaves outputs of ops without a rule, or of other domains, without a shape', () => {
    const g = graph([input('x', DataType.FLOAT, [2, 3])], [node('NonMaxSuppression', ['x'], ['y']), node('Foo', ['x'], ['z'], [], 'com.example')]);
    const r = inferShapes(g, opset(13));
    expect(r.shapes.has('y')).toBe(false);
    expect(r.shapes.has('z')).toBe(false);
    expect(r.elemTypes.has('z')).toBe(false);
  });

  it('a contradiction between known dims is a ShapeConflict carrying the node and input', () => {
    const g = graph([input('a', DataType.FLOAT, [2, 3]), input('b', DataType.FLOAT, [4, 5])], [node('MatMul', ['a', 'b'], ['y'])]);
    let err: unknown;
    try { inferShapes(g, opset(13)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShapeConflict);
    expect((err as NodeShapeConflict).node.opType).toBe('MatMul');
    expect((err as ShapeConflict).inputIndex).toBe(1);
    expect((err as Error).message).toBe('inner dimensions differ: 3 (input[0]) vs 4 (input[1])');
  });

  it('a malformed node is a ShapeConflict too', () => {
    const g = graph([input('x', DataType.FLOAT, [2, 3])], [node('Concat', [], ['y'])]);
    expect(() => inferShapes(g, opset(13))).toThrow(/Concat needs at least one input/);
  });
});
