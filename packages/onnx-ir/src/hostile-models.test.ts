import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeModel } from './codec.js';
import { ExternalDataError, ModelFormatError } from './errors.js';
import { loadModel, saveModel } from './model-file.js';
import { readTensorBytes } from './tensor-store.js';
import { DataType, type Attr, type Graph, type Model, type Node, type TensorRef } from './types.js';

// A model file is untrusted input: each case below was reproduced against the loader before it was fixed.
const root = mkdtempSync(join(tmpdir(), 'lowbit-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  return d;
};

const vi = (name: string, elemType: DataType = DataType.FLOAT) => ({ name, type: { kind: 'tensor' as const, elemType, shape: [1, 4] } });
const node = (name: string, opType: string, inputs: string[], outputs: string[], attributes: Attr[] = []): Node => ({ id: name, name, opType, domain: '', inputs, outputs, attributes });
const f32 = (name: string, dims: number[], n: number): TensorRef => ({ kind: 'inline', name, dtype: DataType.FLOAT, dims, data: new Uint8Array(n * 4), encoding: 'raw' });
const graph = (p: Partial<Graph> & { nodes: Node[] }): Graph => ({ name: 'g', inputs: [vi('x')], outputs: [vi('y')], initializers: [], sparseInitializers: [], valueInfo: [], ...p });
const model = (g: Graph): Model => ({ irVersion: 8, opsetImports: [{ domain: '', version: 17 }], graph: g, functions: [], metadataProps: [] });
/** x[1,4] MatMul w -> y. */
const matmul = (w: TensorRef): Model => model(graph({ initializers: [w], nodes: [node('mm', 'MatMul', ['x', 'w'], ['y'])] }));

function write(m: Model, dir = freshDir()): string {
  const p = join(dir, 'model.onnx');
  writeFileSync(p, encodeModel(m));
  return p;
}

async function refused(m: Model | string, pattern: RegExp, cls: typeof ModelFormatError | typeof ExternalDataError = ModelFormatError): Promise<void> {
  const err = await loadModel(typeof m === 'string' ? m : write(m)).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(pattern);
}

describe('loadModel refuses tensors whose data does not match their dims', () => {
  it('short data (12 bytes for [4,4] float32) names the tensor, expected vs actual bytes', async () => {
    await refused(matmul(f32('w', [4, 4], 3)), /initializer\[0\] "w": 12 bytes of data, dims \[4, 4\] of float32 need 64 bytes/);
  });
  it('long data (160 bytes for [4,4]) is refused, not cut', async () => {
    await refused(matmul(f32('w', [4, 4], 40)), /"w": 160 bytes of data, .* need 64 bytes/);
  });
  it('a [5000,10000] tensor with 12 bytes is refused (was zero-padded to 190 MiB)', async () => {
    await refused(matmul(f32('w', [5000, 10000], 3)), /12 bytes of data, dims \[5000, 10000\] of float32 need 200000000 bytes/);
  });
  it('a Constant value with short data names the node and attribute', async () => {
    const c: Attr = { name: 'value', type: 'tensor', value: f32('c', [2, 2], 1) };
    const m = model(graph({ nodes: [node('k', 'Constant', [], ['w'], [c]), node('mm', 'MatMul', ['x', 'w'], ['y'])] }));
    await refused(m, /node "k" attribute "value": 4 bytes of data, dims \[2, 2\] of float32 need 16 bytes/);
  });
  it('unknown data type 999 and dims [-4,-4] are ModelFormatErrors naming the tensor', async () => {
    await refused(matmul({ ...f32('w', [4, 4], 16), dtype: 999 as DataType }), /"w": unknown data type 999/);
    await refused(matmul(f32('w', [-4, -4], 16)), /"w": dims \[-4, -4\] are invalid, expected non-negative integers/);
  });
  it('an element count beyond the configurable cap is refused', async () => {
    const p = write(matmul(f32('w', [4, 4], 16)));
    await expect(loadModel(p, { limits: { maxElements: 15 } })).rejects.toThrow(/16 elements, more than the limit of 15/);
    await expect(loadModel(p, { limits: { maxElements: 16 } })).resolves.toBeDefined();
  });
  it('a string tensor in a numeric slot is refused', async () => {
    const s: TensorRef = { kind: 'inline', name: 'w', dtype: DataType.STRING, dims: [1], data: new Uint8Array(0), encoding: 'typed', strings: [new Uint8Array([65])] };
    await refused(matmul(s), /\(MatMul\) input\[1\] "w" is a string tensor, expected a numeric one/);
    const declared = model(graph({ inputs: [vi('x'), vi('w', DataType.FLOAT)], initializers: [s], nodes: [node('id', 'Identity', ['x'], ['y'])] }));
    await refused(declared, /"w": holds float32 data per the graph input, but the tensor is string/);
  });
});

describe('loadModel refuses invalid graphs as the input\'s defect', () => {
  it('a node output redefining a graph input', async () => {
    const m = model(graph({ outputs: [vi('x')], initializers: [f32('w', [4, 4], 16)], nodes: [node('mm', 'MatMul', ['x', 'w'], ['x'])] }));
    await refused(m, /invalid graph: graph "g": value "x" is defined more than once \(again by node "mm"\)/);
  });
  it('a missing input, a duplicate output, a cycle', async () => {
    await refused(model(graph({ nodes: [node('mm', 'MatMul', ['x', 'nope'], ['y'])] })), /input\[1\] "nope" is not defined/);
    const dup = model(graph({ initializers: [f32('w', [4, 4], 16)], nodes: [node('a', 'MatMul', ['x', 'w'], ['y']), node('b', 'Relu', ['x'], ['y'])] }));
    await refused(dup, /value "y" is defined more than once \(again by node "b"\)/);
    const cyc = model(graph({ initializers: [f32('w', [4, 4], 16)], nodes: [node('a', 'MatMul', ['x', 'z'], ['y']), node('b', 'Add', ['y', 'x'], ['z'])] }));
    await refused(cyc, /the graph has a cycle: 2 node\(s\) cannot be ordered \("a", "b"\)/);
  });
  it('duplicate value names: an initializer twice, a graph input twice', async () => {
    await refused(model(graph({ initializers: [f32('w', [4, 4], 16), f32('w', [4, 4], 16)], nodes: [node('mm', 'MatMul', ['x', 'w'], ['y'])] })), /initializer "w" is defined twice/);
    await refused(model(graph({ inputs: [vi('x'), vi('x')], initializers: [f32('w', [4, 4], 16)], nodes: [node('mm', 'MatMul', ['x', 'w'], ['y'])] })), /graph input "x" is listed twice/);
  });

  it('subgraphs nested deeper than the limit', async () => {
    let body: Graph = graph({ inputs: [], outputs: [vi('y')], nodes: [node('i0', 'Identity', ['x'], ['y'])] });
    for (let d = 1; d <= 6; d++) {
      // One branch each (both would share the body and double the encoded size at every level).
      const a: Attr = { name: 'then_branch', type: 'graph', value: body };
      body = graph({ inputs: [], outputs: [vi(`y${d}`)], nodes: [node(`if${d}`, 'If', ['c'], [`y${d}`], [a])] });
    }
    const p = write(model(graph({ inputs: [vi('x'), vi('c', DataType.BOOL)], outputs: [vi('y6')], nodes: [...body.nodes] })));
    await expect(loadModel(p, { limits: { maxNestingDepth: 4 } })).rejects.toThrow(/subgraphs nest 5 deep, more than the limit of 4/);
    await expect(loadModel(p, { limits: { maxNestingDepth: 6 } })).resolves.toBeDefined();
  });
});

describe('external data is checked against the dims before any read', () => {
  it('a 3 GiB sparse file behind a [4,4] tensor is refused at once, without reading it', async () => {
    const dir = freshDir();
    execFileSync('truncate', ['-s', '3G', join(dir, 'big.bin')]);
    const ext: TensorRef = { kind: 'external', name: 'w', dtype: DataType.FLOAT, dims: [4, 4], location: 'big.bin', offset: 0, length: undefined, entries: [{ key: 'location', value: 'big.bin' }] };
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    const loaded = await loadModel(write(matmul(ext), dir));
    const err = await readTensorBytes(loaded.graph.initializers[0]!).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalDataError);
    expect((err as Error).message).toMatch(/"w" at "big.bin": 3221225472 bytes at offset 0, but dims \[4, 4\] need 64 bytes/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 << 20);
  });
  it('a declared length that disagrees with the dims is refused', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(128));
    const ext: TensorRef = { kind: 'external', name: 'w', dtype: DataType.FLOAT, dims: [4, 4], location: 'w.bin', offset: 0, length: 128, entries: [{ key: 'location', value: 'w.bin' }] };
    await refused(write(matmul(ext), dir), /external data length 128 bytes, dims \[4, 4\] of float32 need 64 bytes/);
  });
});

describe('only regular files are read as models', () => {
  it('/dev/zero is refused up front', async () => {
    await refused('/dev/zero', /"\/dev\/zero" is not a regular file/);
  });
  it('a named pipe is refused without blocking', async () => {
    const fifo = join(freshDir(), 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /is not a regular file/);
  });
  it('a file above the size cap is refused before it is read', async () => {
    const p = write(matmul(f32('w', [4, 4], 16)));
    await expect(loadModel(p, { maxFileBytes: 10 })).rejects.toThrow(/bytes, more than the limit of 10/);
  });
});

describe('saveModel output safety', () => {
  it('removes stale temporary files of a killed save, keeps young ones and foreign files', async () => {
    const dir = freshDir();
    const stale = join(dir, '.out.onnx.lowbit-0123456789ab.tmp');
    const young = join(dir, '.out.onnx.lowbit-ba9876543210.tmp');
    const foreign = join(dir, '.out.onnx.something.tmp');
    for (const f of [stale, young, foreign]) writeFileSync(f, 'x');
    const old = new Date(Date.now() - 3600_000);
    utimesSync(stale, old, old);
    utimesSync(foreign, old, old);
    await saveModel(matmul(f32('w', [4, 4], 16)), join(dir, 'out.onnx'));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('lowbit-') && f !== '.out.onnx.lowbit-ba9876543210.tmp')).toEqual([]);
  });
  it('refuses to replace a named pipe or a folder at the output path', async () => {
    const dir = freshDir();
    execFileSync('mkfifo', [join(dir, 'pipe.onnx')]);
    mkdirSync(join(dir, 'folder.onnx'));
    const m = matmul(f32('w', [4, 4], 16));
    await expect(saveModel(m, join(dir, 'pipe.onnx'))).rejects.toThrow(/exists and is not a regular file/);
    await expect(saveModel(m, join(dir, 'folder.onnx'))).rejects.toThrow(/exists and is not a regular file/);
  });
});
