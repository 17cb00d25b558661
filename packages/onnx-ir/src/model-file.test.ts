import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { ExternalDataError, ModelFormatError } from './errors.js';
import { loadModel, saveModel } from './model-file.js';
import { readTensorBytes, readTensorBytesSync } from './tensor-store.js';
import { tensorFromValues } from './tensor-values.js';
import { DataType, type ExternalTensor, type Model, type TensorRef } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'lowbit-onnx-ir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  return d;
};

/** A model Add(x, w_k) chain with the given initializers (a Constant node too, so attribute tensors are covered). */
function modelWith(inits: readonly TensorRef[], constant?: TensorRef): Model {
  const nodes = inits.map((t, i) => ({ id: `n${i}`, name: `add${i}`, opType: 'Add', domain: '', inputs: [i === 0 ? 'x' : `y${i - 1}`, t.name], outputs: [`y${i}`], attributes: [] }));
  if (constant) nodes.push({ id: `n${inits.length}`, name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['c'], attributes: [{ name: 'value', type: 'tensor', value: constant }] as never });
  return {
    irVersion: 10, opsetImports: [{ domain: '', version: 21 }], functions: [], metadataProps: [],
    graph: {
      name: 'g', inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.UINT8, shape: undefined } }],
      outputs: [{ name: inits.length ? `y${inits.length - 1}` : 'x', type: undefined }], initializers: inits, sparseInitializers: [],
      nodes, valueInfo: [],
    },
  };
}

async function allBytes(m: Model): Promise<Uint8Array[]> {
  return Promise.all(m.graph.initializers.map((t) => readTensorBytes(t)));
}

describe('saveModel / loadModel with external data', () => {
  it('round-trips tensor bytes for any threshold; big tensors go external, small stay inline', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 320 }),
      async (datas, threshold) => {
        const dir = freshDir();
        const inits = datas.map((d, i) => tensorFromValues(`w${i}`, DataType.UINT8, [d.length], d));
        const model = modelWith(inits, tensorFromValues('cv', DataType.UINT8, [3], [1, 2, 3]));
        await saveModel(model, join(dir, 'm.onnx'), { externalDataThreshold: threshold });
        const loaded = await loadModel(join(dir, 'm.onnx'));
        loaded.graph.initializers.forEach((t, i) => {
          expect(t.kind).toBe(datas[i]!.length >= threshold ? 'external' : 'inline');
          if (t.kind === 'external') expect(t.baseDir).toBe(dir);
        });
        expect(await allBytes(loaded)).toEqual(datas.map((d) => new Uint8Array(d)));
        // Re-saving elsewhere (no threshold: external stays external) streams the bytes into the new file.
        const dir2 = freshDir();
        const sources = readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))] as const);
        await saveModel(loaded, join(dir2, 'copy.onnx'), { externalDataFile: 'weights.bin' });
        // The input files are only read.
        expect(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))] as const)).toEqual(sources);
        const again = await loadModel(join(dir2, 'copy.onnx'));
        expect(await allBytes(again)).toEqual(datas.map((d) => new Uint8Array(d)));
        for (const t of again.graph.initializers) if (t.kind === 'external') expect(t.location).toBe('weights.bin');
        // Only the model and (when something is external) its data file: no temporary files left behind.
        expect(readdirSync(dir2).filter((f) => !['copy.onnx', 'weights.bin'].includes(f))).toEqual([]);
      }), { numRuns: 25 });
  });

  it('inlines external tensors when the threshold says so, and dims/dtype never touch the file', async () => {
    const dir = freshDir();
    const w = tensorFromValues('w', DataType.FLOAT, [2, 2], [1, 2, 3, 4]);
    await saveModel(modelWith([w]), join(dir, 'm.onnx'), { externalDataThreshold: 1 });
    rmSync(join(dir, 'm.onnx.data'));
    const loaded = await loadModel(join(dir, 'm.onnx'));
    const t = loaded.graph.initializers[0] as ExternalTensor;
    expect([t.kind, t.dtype, t.dims]).toEqual(['external', DataType.FLOAT, [2, 2]]);
    await expect(readTensorBytes(t)).rejects.toThrow(ExternalDataError);
    // With the data back, a high threshold inlines it.
    await saveModel(modelWith([w]), join(dir, 'm.onnx'), { externalDataThreshold: 1 });
    const dir2 = freshDir();
    await saveModel(await loadModel(join(dir, 'm.onnx')), join(dir2, 'inline.onnx'), { externalDataThreshold: 1000 });
    expect(readdirSync(dir2)).toEqual(['inline.onnx']);
    const inl = (await loadModel(join(dir2, 'inline.onnx'))).graph.initializers[0]!;
    expect(inl.kind).toBe('inline');
    expect(await readTensorBytes(inl)).toEqual(w.data);
  });

  it('is atomic: a failing save leaves existing outputs untouched and no temporary files', async () => {
    const dir = freshDir();
    const good = modelWith([tensorFromValues('w', DataType.UINT8, [4], [1, 2, 3, 4])]);
    await saveModel(good, join(dir, 'm.onnx'), { externalDataThreshold: 1 });
    const before = [readFileSync(join(dir, 'm.onnx')), readFileSync(join(dir, 'm.onnx.data'))];
    const missing: ExternalTensor = { kind: 'external', name: 'gone', dtype: DataType.UINT8, dims: [4], location: 'nope.bin', offset: 0, length: 4, entries: [{ key: 'location', value: 'nope.bin' }], baseDir: dir };
    await expect(saveModel(modelWith([tensorFromValues('a', DataType.UINT8, [1], [9]), missing]), join(dir, 'm.onnx'), { externalDataThreshold: 1 }))
      .rejects.toThrow(ExternalDataError);
    expect([readFileSync(join(dir, 'm.onnx')), readFileSync(join(dir, 'm.onnx.data'))]).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.onnx.data']);
  });

  it('loadModel reports a missing or corrupt file as ModelFormatError', async () => {
    const dir = freshDir();
    await expect(loadModel(join(dir, 'none.onnx'))).rejects.toThrow(ModelFormatError);
    writeFileSync(join(dir, 'bad.onnx'), new Uint8Array([0x0a, 0xff]));
    await expect(loadModel(join(dir, 'bad.onnx'))).rejects.toThrow(ModelFormatError);
  });
});

describe('external data stays inside the model folder', () => {
  const ext = (location: string, baseDir: string | undefined): ExternalTensor => ({
    kind: 'external', name: 'w', dtype: DataType.UINT8, dims: [1], location, offset: 0, length: 1,
    entries: [{ key: 'location', value: location }], ...(baseDir === undefined ? {} : { baseDir }),
  });

  it('rejects any location with a ".." segment, naming the tensor and the path', () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'ok.bin'), new Uint8Array([5]));
    writeFileSync(join(root, 'secret.bin'), new Uint8Array([7]));
    const seg = fc.constantFrom('..', 'sub', 'ok.bin', 'x', '.');
    fc.assert(fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.constantFrom('/', '\\'), (parts, sepChar) => {
      fc.pre(parts.includes('..'));
      const loc = parts.join(sepChar);
      let err: unknown;
      try {
        readTensorBytesSync(ext(loc, dir));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExternalDataError);
      expect((err as ExternalDataError).message).toContain('"w"');
      expect((err as ExternalDataError).context.location).toBe(loc);
    }), { numRuns: 100 });
    expect(readTensorBytesSync(ext('ok.bin', dir))).toEqual(new Uint8Array([5]));
  });

  it('rejects absolute paths, links leaving the folder, missing base folder and short files', () => {
    const dir = freshDir();
    writeFileSync(join(root, 'outside.bin'), new Uint8Array([1, 2]));
    symlinkSync(join(root, 'outside.bin'), join(dir, 'link.bin'));
    writeFileSync(join(dir, 'real.bin'), new Uint8Array([3]));
    symlinkSync(join(dir, 'real.bin'), join(dir, 'inner-link.bin'));
    for (const loc of [join(root, 'outside.bin'), '/etc/passwd', 'C:\\x.bin', 'link.bin']) {
      expect(() => readTensorBytesSync(ext(loc, dir)), loc).toThrow(ExternalDataError);
    }
    expect(readTensorBytesSync(ext('inner-link.bin', dir))).toEqual(new Uint8Array([3]));
    expect(() => readTensorBytesSync(ext('real.bin', undefined))).toThrow(/no base folder/);
    expect(() => readTensorBytesSync({ ...ext('real.bin', dir), length: 5 })).toThrow(/past the end/);
  });

  it('a model decoded with a ../ location keeps its dims but cannot read the bytes', async () => {
    const dir = freshDir();
    const m = modelWith([{ ...ext('../outside.bin', dir), entries: [{ key: 'location', value: '../outside.bin' }] }]);
    const decoded = decodeModel(encodeModel(m), { baseDir: dir });
    expect(decoded.graph.initializers[0]!.dims).toEqual([1]);
    await expect(readTensorBytes(decoded.graph.initializers[0]!)).rejects.toThrow(ExternalDataError);
    await expect(saveModel(decoded, join(dir, 'x.onnx'))).rejects.toThrow(ExternalDataError);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
    await expect(saveModel(m, join(dir, 'y.onnx'), { externalDataFile: '../escape.bin' })).rejects.toThrow(ExternalDataError);
  });
});

describe('hand-built external tensors', () => {
  it('encode their location/offset/length fields even when `entries` is empty or stale', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array([0, 0, 1, 2, 3]));
    const t: ExternalTensor = {
      kind: 'external', name: 'w', dtype: DataType.UINT8, dims: [3], location: 'w.bin', offset: 2, length: 3,
      entries: [{ key: 'location', value: 'old.bin' }, { key: 'custom', value: 'kept' }],
    };
    const back = decodeModel(encodeModel(modelWith([t])), { baseDir: dir }).graph.initializers[0] as ExternalTensor;
    expect([back.location, back.offset, back.length]).toEqual(['w.bin', 2, 3]);
    expect(back.entries).toEqual([{ key: 'location', value: 'w.bin' }, { key: 'custom', value: 'kept' }, { key: 'offset', value: '2' }, { key: 'length', value: '3' }]);
    expect(readTensorBytesSync(back)).toEqual(new Uint8Array([1, 2, 3]));
  });
});
