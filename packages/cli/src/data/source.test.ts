import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { openCalibrationData } from './source.js';
import type { InputSpec } from './fit.js';
import { DataFormatError } from './errors.js';

const mnistInput: InputSpec = { name: 'Input3', dtype: 'float32', dims: [1, 1, 28, 28] };
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cli-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('openCalibrationData', () => {
  it('feeds MNIST IDX images to mnist-8 as [1,1,28,28] pixel/255', async () => {
    const feeds = await collect(openCalibrationData(testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz'), [mnistInput], { count: 3 }));
    expect(feeds).toHaveLength(3);
    const t = feeds[0].Input3;
    expect(t.dims).toEqual([1, 1, 28, 28]);
    const data = t.data as Float32Array;
    expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...data)).toBeLessThanOrEqual(1);
    // pixel/255 in float32: every value times 255 is an integer byte.
    expect([...data].every((v) => Math.abs(v * 255 - Math.floor(v * 255 + 0.5)) < 1e-4)).toBe(true);
  });

  it('reads an ONNX test-set folder (node test case)', async () => {
    const dir = testdataPath('onnx-node', 'test_relu');
    const spec: InputSpec = { name: 'x', dtype: 'float32', dims: [3, 4, 5] };
    const feeds = await collect(openCalibrationData(dir, [spec]));
    expect(feeds).toHaveLength(1);
    expect(feeds[0].x.dims).toEqual([3, 4, 5]);
  });

  it('decodes, resizes and normalizes a folder of images (nchw and nhwc)', async () => {
    const dir = join(tmp, 'images');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    // A 4x2 image: left half pure red (255,0,0), right half mid grey (128,128,128).
    const px = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) px.set(x < 2 ? [255, 0, 0] : [128, 128, 128], (y * 4 + x) * 3);
    await sharp(px, { raw: { width: 4, height: 2, channels: 3 } }).png().toFile(join(dir, 'a.png'));
    const spec: InputSpec = { name: 'img', dtype: 'float32', dims: [1, 3, 2, 4] };
    const [f] = await collect(openCalibrationData(dir, [spec], { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }));
    const d = f.img.data as Float32Array;
    expect(f.img.dims).toEqual([1, 3, 2, 4]);
    // Red channel at (0,0): (255/255 - 0.5)/0.5 = 1; green at (0,0): (0 - 0.5)/0.5 = -1; grey 128: (128/255-0.5)/0.5.
    expect(d[0]).toBeCloseTo(1, 6);
    expect(d[8]).toBeCloseTo(-1, 6);
    expect(d[3]).toBeCloseTo((128 / 255 - 0.5) / 0.5, 5);
    const nhwc: InputSpec = { name: 'img', dtype: 'float32', dims: [1, 2, 4, 3] };
    const [g] = await collect(openCalibrationData(dir, [nhwc], { layout: 'nhwc' }));
    expect([...(g.img.data as Float32Array).subarray(0, 3)]).toEqual([1, 0, 0]);
  });

  it('says which input a misfit sample does not fit', async () => {
    const wrong: InputSpec = { name: 'Input3', dtype: 'float32', dims: [1, 1, 32, 32] };
    await expect(collect(openCalibrationData(testdataPath('mnist', 't10k-images-idx3-ubyte.gz'), [wrong], { count: 1 }))).rejects.toThrow(/does not fit input "Input3"/);
    const missing = join(tmp, 'nope');
    await expect(collect(openCalibrationData(missing, [mnistInput]))).rejects.toBeInstanceOf(DataFormatError);
    writeFileSync(join(tmp, 'junk.bin'), 'hello');
    await expect(collect(openCalibrationData(join(tmp, 'junk.bin'), [mnistInput]))).rejects.toThrow(/unrecognized data file/);
  });
});
