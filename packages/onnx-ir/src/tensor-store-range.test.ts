import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExternalDataError } from './errors.js';
import { loadModel, saveModel } from './model-file.js';
import { createTensorStore, readTensorBytes, readTensorRangeSync, type TensorStore } from './tensor-store.js';
import { DataType, type InlineTensor, type Model } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255);
const a: InlineTensor = { kind: 'inline', name: 'a', dtype: DataType.UINT8, dims: [8], data: Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9]), encoding: 'raw' };
const b: InlineTensor = { kind: 'inline', name: 'b', dtype: DataType.UINT8, dims: [64], data: bytes, encoding: 'raw' };
const m: Model = {
  irVersion: 10, opsetImports: [{ domain: '', version: 21 }], functions: [], metadataProps: [],
  graph: { name: 'g', inputs: [], outputs: [], initializers: [a, b], sparseInitializers: [], nodes: [], valueInfo: [] },
};

describe('readTensorRangeSync', () => {
  it('reads only the asked bytes of an external tensor (relative to the tensor), checks bounds, and slices inline data', async () => {
    await saveModel(m, join(dir, 'm.onnx'), { externalDataThreshold: 0 });
    const ext = (await loadModel(join(dir, 'm.onnx'))).graph.initializers[1];
    expect(ext.kind).toBe('external');
    const seen: [number, number][] = [];
    const base = createTensorStore();
    const store: TensorStore = { ...base, readRangeSync: (t, s, l) => { seen.push([s, l]); return base.readRangeSync!(t, s, l); } };
    expect(Array.from(readTensorRangeSync(ext, 10, 5, store))).toEqual(Array.from(bytes.subarray(10, 15)));
    expect(seen).toEqual([[10, 5]]);
    expect(Array.from(readTensorRangeSync(ext, 0, 64))).toEqual(Array.from(await readTensorBytes(ext)));
    expect(() => readTensorRangeSync(ext, 60, 8)).toThrow(ExternalDataError);
    expect(() => readTensorRangeSync(ext, -1, 2)).toThrow(/outside the tensor's 64 bytes/);
    // A store without readRangeSync: the whole tensor is read and sliced.
    const plain: TensorStore = { resolve: base.resolve, read: base.read, readSync: base.readSync };
    expect(Array.from(readTensorRangeSync(ext, 3, 4, plain))).toEqual(Array.from(bytes.subarray(3, 7)));
    expect(Array.from(readTensorRangeSync(b, 62, 2))).toEqual([bytes[62], bytes[63]]);
    expect(() => readTensorRangeSync(b, 63, 2)).toThrow(ExternalDataError);
  });
});
