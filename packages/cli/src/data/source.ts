import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Tensor } from '@lowbit/kernels';
import { DataFormatError } from './errors.js';
import { fitToInput, samplesOf, type InputSpec } from './fit.js';
import { openDataFile } from './files.js';
import { readIdx } from './idx.js';
import { IMAGE_EXTENSIONS, readImage } from './images.js';
import { readNpy, readNpz } from './npy.js';
import { readTestSet } from './test-sets.js';

export type Feeds = Record<string, Tensor>;

/** How image folders become tensors (the `--resize --mean --std --layout` flags of every data-reading command). */
export interface ImagePreprocessing {
  /** For image folders: resize target; defaults to the model input's static H and W. */
  readonly resize?: readonly [number, number];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly layout?: 'nchw' | 'nhwc';
}

export interface SourceOptions extends ImagePreprocessing {
  /** At most this many samples (feeds). */
  readonly count?: number;
}

/**
 * Opens calibration or input data and yields one feed per sample, shaped to the model's inputs:
 * - a folder of ONNX test sets (`test_data_set_*` with `input_N.pb`), or a single test-set folder;
 * - a folder of `.npy` files (one sample each, single-input models) or `.npz` files (array names = input names);
 * - a `.npy` / `.npz` file whose leading axis enumerates samples;
 * - an IDX file (MNIST style, gzipped or not): leading axis = samples, bytes become pixel/255 normalized;
 * - a folder of images (png, jpeg, webp, ...), decoded with sharp and normalized as (pixel/255 - mean)/std.
 */
export async function* openCalibrationData(path: string, inputs: readonly InputSpec[], o: SourceOptions = {}): AsyncGenerator<Feeds> {
  if (inputs.length === 0) throw new DataFormatError(`the model has no inputs to feed`, { path });
  const limit = o.count ?? Number.POSITIVE_INFINITY;
  let n = 0;
  for await (const feeds of rawFeeds(path, inputs, o)) {
    if (n >= limit) return;
    n++;
    yield feeds;
  }
  if (n === 0) throw new DataFormatError(`${path}: no samples found`, { path });
}

async function* rawFeeds(path: string, inputs: readonly InputSpec[], o: SourceOptions): AsyncGenerator<Feeds> {
  const info = await stat(path).catch((cause) => {
    throw new DataFormatError(`${path}: no such file or folder`, { path }, cause);
  });
  if (info.isDirectory()) {
    const names = (await readdir(path)).sort(naturalOrder);
    const sets = names.filter((n) => n.startsWith('test_data_set_'));
    if (sets.length > 0) {
      for (const s of sets) yield await readTestSet(join(path, s), inputs);
      return;
    }
    if (names.some((n) => /^input_\d+\.pb$/.test(n))) {
      yield await readTestSet(path, inputs);
      return;
    }
    const images = names.filter((n) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase()));
    const arrays = names.filter((n) => n.endsWith('.npy') || n.endsWith('.npz'));
    if (arrays.length > 0) {
      for (const a of arrays) {
        const file = join(path, a);
        if (a.endsWith('.npz')) yield npzFeeds(await readNpz(file), inputs, file);
        else yield single(inputs, fitToInput(await readNpy(file), only(inputs, file), file));
      }
      return;
    }
    if (images.length > 0) {
      const input = only(inputs, path);
      const layout = o.layout ?? 'nchw';
      const dims = input.dims;
      const channels = layout === 'nchw' ? dims[1] : dims[3];
      const c = channels === 1 || channels === 3 ? channels : 3;
      const [w, h] = o.resize ?? staticHw(input, layout, path);
      for (const img of images) {
        const file = join(path, img);
        const t = await readImage(file, { width: w, height: h, channels: c, mean: o.mean, std: o.std, layout });
        yield single(inputs, fitToInput(t, input, file));
      }
      return;
    }
    throw new DataFormatError(`${path}: no test_data_set_*, .npy, .npz or image files in this folder`, { path });
  }
  if (path.endsWith('.npy')) {
    const input = only(inputs, path);
    for (const s of samplesOf(await readNpy(path))) yield single(inputs, fitToInput(s, input, path));
    return;
  }
  if (path.endsWith('.npz')) {
    const arrays = await readNpz(path);
    const per = inputs.map((i) => [...samplesOf(arrayFor(arrays, i, path))]);
    for (let k = 0; k < per[0].length; k++) {
      yield Object.fromEntries(inputs.map((inp, j) => [inp.name, fitToInput(per[j][k], inp, path)]));
    }
    return;
  }
  if (!info.isFile()) throw new DataFormatError(`${path}: not a regular file or folder (a device, pipe or socket cannot be read as data)`, { path });
  const head = await readHead(path);
  if (head.length >= 2 && ((head[0] === 0 && head[1] === 0) || (head[0] === 0x1f && head[1] === 0x8b))) {
    // Stream and stop at the samples asked for: a large gzip is never inflated in full.
    const idx = await readIdx(path, o.count === undefined ? {} : { maxSamples: o.count });
    const input = only(inputs, path);
    const floats = Float32Array.from(idx.data as ArrayLike<number>, (v) => (idx.type === 'uint8' ? Math.fround(v / 255) : v));
    const all = new Tensor('float32', floats, idx.dims);
    for (const s of samplesOf(all)) yield single(inputs, fitToInput(normalize(s, o), input, path));
    return;
  }
  throw new DataFormatError(`${path}: unrecognized data file (expected .npy, .npz, an IDX file, or a folder)`, { path });
}

async function readHead(path: string): Promise<Uint8Array> {
  const { fh } = await openDataFile(path);
  try {
    const b = new Uint8Array(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function normalize(t: Tensor, o: SourceOptions): Tensor {
  if (!o.mean && !o.std) return t;
  const m = Math.fround(o.mean?.[0] ?? 0);
  const s = Math.fround(o.std?.[0] ?? 1);
  if (s === 0) throw new DataFormatError('--std must not contain 0 (every value would become NaN or ±Infinity)', { path: '--std', actual: '0' });
  return new Tensor('float32', (t.data as Float32Array).map((v) => Math.fround(Math.fround(v - m) / s)), t.dims);
}

function npzFeeds(arrays: Map<string, Tensor>, inputs: readonly InputSpec[], path: string): Feeds {
  return Object.fromEntries(inputs.map((i) => [i.name, fitToInput(arrayFor(arrays, i, path), i, path)]));
}

function arrayFor(arrays: Map<string, Tensor>, input: InputSpec, path: string): Tensor {
  const t = arrays.get(input.name) ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
  if (!t) throw new DataFormatError(`${path}: no array named "${input.name}"`, { path, expected: input.name, actual: [...arrays.keys()].join(', ') });
  return t;
}

function single(inputs: readonly InputSpec[], t: Tensor): Feeds {
  return { [inputs[0].name]: t };
}

function only(inputs: readonly InputSpec[], path: string): InputSpec {
  if (inputs.length !== 1) {
    throw new DataFormatError(`${path}: this data holds one array per sample but the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); use .npz files or test sets`, { path, expected: '1 input', actual: `${inputs.length} inputs` });
  }
  return inputs[0];
}

function staticHw(input: InputSpec, layout: 'nchw' | 'nhwc', path: string): [number, number] {
  const [h, w] = layout === 'nchw' ? [input.dims[2], input.dims[3]] : [input.dims[1], input.dims[2]];
  if (typeof h !== 'number' || typeof w !== 'number') {
    throw new DataFormatError(`${path}: input "${input.name}" has dynamic height/width; pass --resize WxH`, { path });
  }
  return [w, h];
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
