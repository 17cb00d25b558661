import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CalibrationError } from '@lowbit/calibrators';
import { DataType, ModelFormatError, NodeError, encodeModel, type Model, type Node, type TensorRef } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/runtime';
import { quantizeDynamic, quantizeStatic } from './index.js';

// The API (not only the CLI) holds every input form (bytes, IR) to the loader's checks, and fails without output.
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-q-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const vi = (name: string, shape: number[]) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape } });
const f32 = (name: string, dims: number[], values: number[]): TensorRef => ({ kind: 'inline', name, dtype: DataType.FLOAT, dims, data: new Uint8Array(new Float32Array(values).buffer), encoding: 'raw' });
const mm: Node = { id: 'mm', name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: [] };
function model(w: TensorRef, nodes: Node[] = [mm]): Model {
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: { name: 'g', inputs: [vi('x', [1, 4])], outputs: [vi('y', [1, 4])], initializers: [w], sparseInitializers: [], nodes, valueInfo: [] },
  };
}
const weights = f32('w', [4, 4], Array.from({ length: 16 }, (_, i) => i / 16 - 0.5));

describe('quantize refuses defective input in every form', () => {
  it('short tensor data in bytes or IR: ModelFormatError naming the tensor, no output', async () => {
    const bad = model(f32('w', [4, 4], [1, 2, 3]));
    for (const input of [encodeModel(bad), bad]) {
      const out = join(tmp, 'short.onnx');
      const err = await quantizeDynamic(input, out).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(/"w": 12 bytes of data, dims \[4, 4\] of float32 need 64 bytes/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an invalid graph is the input\'s ModelFormatError, not "internal: the quantized model is invalid"', async () => {
    const dup = model(weights, [mm, { ...mm, id: 'b', name: 'b', opType: 'Relu', inputs: ['x'] }]);
    await expect(quantizeDynamic(dup, join(tmp, 'dup.onnx'))).rejects.toThrow(/^invalid graph: graph "g": value "y" is defined more than once/);
    await expect(quantizeDynamic(dup, join(tmp, 'dup.onnx'))).rejects.toBeInstanceOf(ModelFormatError);
  });

  it('a Conv with a 1-D weight (with a bias) is a NodeError, not a RangeError', async () => {
    const conv: Node = { id: 'c', name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: [] };
    const m = { ...model(f32('w', [4], [1, 2, 3, 4]), [conv]) };
    const withBias: Model = { ...m, graph: { ...m.graph, initializers: [...m.graph.initializers, f32('b', [1], [0])] } };
    await expect(quantizeDynamic(withBias, join(tmp, 'conv.onnx'))).rejects.toBeInstanceOf(NodeError);
  });

  it('all-NaN calibration data is a CalibrationError and leaves no output', async () => {
    const out = join(tmp, 'nan.onnx');
    const data = [0, 1, 2].map(() => ({ x: new Tensor('float32', new Float32Array(4).fill(Number.NaN), [1, 4]) }));
    const err = await quantizeStatic(model(weights), out, data).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as Error).message).toMatch(/input "x" holds no finite value in 3 sample\(s\)/);
    expect(existsSync(out)).toBe(false);
    // One finite value is enough: the data is usable.
    data[1]!.x.data[2] = 0.5;
    await expect(quantizeStatic(model(weights), out, data)).resolves.toBeDefined();
  });
});
