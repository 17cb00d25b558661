/**
 * Calibration samples from what the user dropped: IDX image files (`*-idx3-ubyte`, optionally `.gz`, as MNIST ships
 * them), PNG/JPEG images (decoded and resized with an OffscreenCanvas), or, with no files, a generated set of
 * uniform random samples. Every sample becomes one float32 feed of the model's input shape (batch 1).
 */
import type { CalibrationSource } from './protocol.js';

export interface InputSpec {
  readonly name: string;
  /** Shape with the batch dimension set to 1 and unknown dimensions resolved (NCHW images: 28 x 28 fallback). */
  readonly dims: readonly number[];
}

export interface Feed { readonly [name: string]: { readonly dtype: 'float32'; readonly dims: readonly number[]; readonly data: Float32Array } }

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Images of an IDX file (magic 0x00000803): count, rows, cols, then u8 pixels row-major. */
export function parseIdxImages(bytes: Uint8Array): { count: number; rows: number; cols: number; data: Uint8Array } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0);
  if (magic !== 0x803) throw new Error(`not an IDX image file: magic 0x${magic.toString(16)}, expected 0x803`);
  const count = v.getUint32(4), rows = v.getUint32(8), cols = v.getUint32(12);
  if (bytes.length < 16 + count * rows * cols) throw new Error(`IDX file truncated: ${count} x ${rows} x ${cols} needs ${16 + count * rows * cols} bytes, got ${bytes.length}`);
  return { count, rows, cols, data: bytes.subarray(16) };
}

/** Layout of an image input: channels, height, width and whether channels come last. */
function layout(dims: readonly number[]): { c: number; h: number; w: number; last: boolean } {
  if (dims.length === 4 && (dims[3] === 1 || dims[3] === 3) && dims[1] !== 1 && dims[1] !== 3) return { c: dims[3]!, h: dims[1]!, w: dims[2]!, last: true };
  if (dims.length === 4) return { c: dims[1]!, h: dims[2]!, w: dims[3]!, last: false };
  if (dims.length === 3) return { c: dims[0]!, h: dims[1]!, w: dims[2]!, last: false };
  const n = dims.reduce((a, d) => a * d, 1);
  return { c: 1, h: 1, w: n, last: false };
}

/** Fills a float32 sample from an RGBA (or gray) raster of exactly h x w pixels. */
function toSample(px: Uint8Array | Uint8ClampedArray, stride: 1 | 4, spec: InputSpec, scale: number): Float32Array {
  const { c, h, w, last } = layout(spec.dims);
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * stride;
      for (let k = 0; k < c; k++) {
        const byte = stride === 1 ? px[p]! : c === 1 ? (px[p]! + px[p + 1]! + px[p + 2]!) / 3 : px[p + k]!;
        out[last ? (y * w + x) * c + k : k * h * w + y * w + x] = (byte / 255) * scale;
      }
    }
  }
  return out;
}

async function decodeImage(bytes: Uint8Array, spec: InputSpec, scale: number): Promise<Float32Array> {
  const { h, w } = layout(spec.dims);
  const bmp = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext('2d')!;
  g.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  return toSample(g.getImageData(0, 0, w, h).data, 4, spec, scale);
}

/** Calibration samples for `spec` from `src` (at most `src.limit`). */
export async function calibrationSamples(src: CalibrationSource, spec: InputSpec, onLog: (s: string) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const { h, w } = layout(spec.dims);
  for (const f of src.files) {
    if (out.length >= src.limit) break;
    const lower = f.name.toLowerCase();
    if (lower.includes('idx') || lower.endsWith('ubyte') || lower.endsWith('ubyte.gz')) {
      const raw = lower.endsWith('.gz') ? await gunzip(f.bytes) : f.bytes;
      const idx = parseIdxImages(raw);
      if (idx.rows !== h || idx.cols !== w) throw new Error(`${f.name}: images are ${idx.rows} x ${idx.cols}, the model's input ${spec.name} wants ${h} x ${w}`);
      const n = Math.min(idx.count, src.limit - out.length);
      for (let i = 0; i < n; i++) out.push(toSample(idx.data.subarray(i * h * w, (i + 1) * h * w), 1, spec, src.scale));
      onLog(`${f.name}: ${n} of ${idx.count} images`);
    } else {
      out.push(await decodeImage(f.bytes, spec, src.scale));
    }
  }
  if (out.length === 0) {
    const size = spec.dims.reduce((a, d) => a * d, 1);
    for (let i = 0; i < Math.min(src.generated, src.limit); i++) out.push(Float32Array.from({ length: size }, () => Math.random() * src.scale));
    onLog(`no calibration files: ${out.length} generated samples, uniform in [0, ${src.scale}]`);
  }
  return out;
}
