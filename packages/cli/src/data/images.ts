import sharp from 'sharp';
import { Tensor } from '@lowbit/kernels';
import { DataFormatError } from './errors.js';
import { openDataFile } from './files.js';

/** Largest image file decoded (256 MiB). */
const MAX_IMAGE_BYTES = 2 ** 28;

export interface ImageOptions {
  /** Target width and height in pixels. */
  readonly width: number;
  readonly height: number;
  /** 1 (greyscale) or 3 (RGB). */
  readonly channels: 1 | 3;
  /** Per-channel mean and std applied as (pixel/255 - mean) / std. Defaults 0 and 1. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly layout: 'nchw' | 'nhwc';
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif', '.tif', '.tiff'] as const;

/**
 * Decodes an image with sharp (libvips), resizes it to width x height (stretching, no crop), converts to greyscale or
 * sRGB, and returns a float32 tensor of shape [1, C, H, W] (nchw) or [1, H, W, C] (nhwc) with values
 * (pixel / 255 - mean[c]) / std[c], computed in float32.
 */
export async function readImage(path: string, o: ImageOptions): Promise<Tensor<'float32'>> {
  const mean = perChannel(o.mean ?? [0], o.channels, 'mean', path);
  const std = perChannel(o.std ?? [1], o.channels, 'std', path);
  if (std.some((s) => s === 0)) throw new DataFormatError(`--std must not contain 0`, { path, actual: std.join(',') });
  // Only a regular file goes to the decoder (a pipe would block it, a device would feed it forever).
  await (await openDataFile(path, MAX_IMAGE_BYTES)).fh.close();
  let pixels: Buffer;
  try {
    let img = sharp(path).resize(o.width, o.height, { fit: 'fill' }).removeAlpha();
    img = o.channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    pixels = await img.raw().toBuffer();
  } catch (cause) {
    throw new DataFormatError(`${path}: cannot decode image (${(cause as Error).message})`, { path }, cause);
  }
  const { width: w, height: h, channels: c } = o;
  if (pixels.length !== w * h * c) {
    throw new DataFormatError(`${path}: decoded ${pixels.length} bytes, expected ${w * h * c}`, { path, expected: String(w * h * c), actual: String(pixels.length) });
  }
  const out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const v = Math.fround(Math.fround(Math.fround(pixels[(y * w + x) * c + ch] / 255) - mean[ch]) / std[ch]);
        const dst = o.layout === 'nchw' ? ch * h * w + y * w + x : (y * w + x) * c + ch;
        out[dst] = v;
      }
    }
  }
  return new Tensor('float32', out, o.layout === 'nchw' ? [1, c, h, w] : [1, h, w, c]);
}

function perChannel(v: readonly number[], c: number, what: string, path: string): number[] {
  if (v.length === 1) return new Array<number>(c).fill(Math.fround(v[0]));
  if (v.length !== c) throw new DataFormatError(`--${what} has ${v.length} values, the model input has ${c} channels`, { path, expected: String(c), actual: String(v.length) });
  return v.map(Math.fround);
}
