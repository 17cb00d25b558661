import type { FileHandle } from 'node:fs/promises';
import { createGunzip, gunzipSync, type Gunzip } from 'node:zlib';
import { DataFormatError } from './errors.js';
import { openDataFile } from './files.js';

/** An array read from an IDX file (the MNIST distribution format). */
export interface IdxArray {
  readonly dims: readonly number[];
  /** Element type as stored: ubyte, byte, short, int, float, double. */
  readonly type: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
} as const;

/** Inflated data read at most, unless the caller asks for fewer samples (1 GiB). */
export const MAX_IDX_BYTES = 2 ** 30;

interface IdxHeader {
  readonly type: IdxArray['type'];
  readonly width: number;
  readonly dims: readonly number[];
  /** Byte offset of the first element. */
  readonly start: number;
}

/** The header, or undefined when `raw` does not hold all of it yet. */
function parseHeader(raw: Uint8Array, path: string, final: boolean): IdxHeader | undefined {
  if (raw.length < 4) {
    if (!final) return undefined;
    throw new DataFormatError(`${path}: not an IDX file (bad magic)`, { path, expected: '00 00 TT NN', actual: hex(raw) });
  }
  if (raw[0] !== 0 || raw[1] !== 0) throw new DataFormatError(`${path}: not an IDX file (bad magic)`, { path, expected: '00 00 TT NN', actual: hex(raw.subarray(0, 4)) });
  const kind = TYPES[raw[2] as keyof typeof TYPES];
  if (!kind) throw new DataFormatError(`${path}: unknown IDX element type 0x${raw[2].toString(16)}`, { path, expected: 'one of 08 09 0b 0c 0d 0e', actual: raw[2].toString(16) });
  const ndims = raw[3];
  const start = 4 + 4 * ndims;
  if (raw.length < start) {
    if (!final) return undefined;
    throw new DataFormatError(`${path}: IDX header truncated`, { path });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { type: kind[0], width: kind[1], dims, start };
}

/** Samples taken (leading axis), clamped to `maxSamples`, and the bytes they need; refuses more than `maxBytes`. */
function plan(h: IdxHeader, path: string, maxSamples: number, maxBytes: number): { dims: number[]; bytes: number } {
  const dims = [...h.dims];
  if (dims.length > 0 && dims[0]! > maxSamples) dims[0] = maxSamples;
  const bytes = dims.reduce((a, b) => a * b, 1) * h.width;
  if (bytes > maxBytes) {
    throw new DataFormatError(`${path}: IDX dims [${dims.join(', ')}] need ${bytes} bytes, more than the limit of ${maxBytes}; ask for fewer samples (--calib-count)`, { path, expected: `<= ${maxBytes} bytes`, actual: `${bytes} bytes` });
  }
  return { dims, bytes };
}

export interface IdxReadOptions {
  /** Read at most this many samples (leading-axis entries); the rest of the file is never inflated. */
  readonly maxSamples?: number;
  /** Most element bytes read (default MAX_IDX_BYTES). */
  readonly maxBytes?: number;
}

const isGzip = (b: Uint8Array): boolean => b[0] === 0x1f && b[1] === 0x8b;

function gzipError(path: string, err: unknown): DataFormatError {
  return new DataFormatError(`${path}: corrupt or truncated gzip data (${(err as Error).message})`, { path }, err);
}

/**
 * Parses IDX bytes: magic `00 00 TT NN` (TT element type, NN number of dims), then NN big-endian uint32 dims, then the
 * elements big-endian. Gzipped input (`1f 8b`) is inflated first, refusing to inflate more than `maxBytes` (plus the
 * header); readIdx streams instead and stops at the samples asked for.
 */
export function parseIdx(bytes: Uint8Array, path = '<bytes>', o: IdxReadOptions = {}): IdxArray {
  const maxBytes = o.maxBytes ?? MAX_IDX_BYTES;
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = new Uint8Array(gunzipSync(bytes, { maxOutputLength: maxBytes + 4 + 4 * 255 }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DataFormatError(`${path}: gzip data inflates to more than ${maxBytes} bytes`, { path, expected: `<= ${maxBytes} bytes` });
      }
      throw gzipError(path, err);
    }
  }
  return fromRaw(raw, path, o, false);
}

/** The array in `raw` (inflated bytes); `partial` when `raw` may stop after the samples asked for. */
function fromRaw(raw: Uint8Array, path: string, o: IdxReadOptions, partial: boolean): IdxArray {
  const h = parseHeader(raw, path, true)!;
  const p = plan(h, path, o.maxSamples ?? Number.POSITIVE_INFINITY, o.maxBytes ?? MAX_IDX_BYTES);
  const taken = p.dims.length > 0 && p.dims[0] !== h.dims[0];
  const have = raw.length - h.start;
  if (have < p.bytes || (!partial && !taken && have !== p.bytes)) {
    throw new DataFormatError(`${path}: IDX data has ${have} bytes, dims [${p.dims.join(', ')}] need ${p.bytes}`, { path, expected: String(p.bytes), actual: String(have) });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { dims: p.dims, type: h.type, data: readElements(view, h.start, p.bytes / h.width, h.type) };
}

function readElements(view: DataView, start: number, count: number, type: IdxArray['type']): IdxArray['data'] {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + start, view.byteOffset + start + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + start, view.byteOffset + start + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, false);
      return out;
    }
  }
}

/**
 * Reads an IDX file (gzipped or not) as a stream and stops as soon as the header and the samples asked for are in:
 * a large or hostile file costs what `maxSamples` needs, never its whole inflated size. Only regular files are read.
 */
export async function readIdx(path: string, o: IdxReadOptions = {}): Promise<IdxArray> {
  const { fh, size } = await openDataFile(path);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let need = Number.POSITIVE_INFINITY;
  let complete = false;
  const source = fh.createReadStream({ start: 0, end: Math.max(0, size - 1), highWaterMark: 64 << 10 });
  let gz: Gunzip | undefined;
  try {
    const first = await peek(fh, 2);
    const stream: AsyncIterable<Uint8Array> = isGzip(first) ? source.pipe((gz = createGunzip({ chunkSize: 64 << 10 }))) : source;
    if (gz) source.on('error', (e) => gz!.destroy(e));
    for await (const c of stream) {
      chunks.push(c);
      total += c.length;
      if (need === Number.POSITIVE_INFINITY) {
        const h = parseHeader(concat(chunks, total), path, false);
        if (h) need = h.start + plan(h, path, o.maxSamples ?? Number.POSITIVE_INFINITY, o.maxBytes ?? MAX_IDX_BYTES).bytes;
      }
      if (total >= need) {
        complete = true;
        break;
      }
    }
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    throw gz ? gzipError(path, err) : new DataFormatError(`${path}: cannot read (${(err as Error).message})`, { path }, err);
  } finally {
    gz?.destroy();
    source.destroy();
    await fh.close().catch(() => undefined);
  }
  return fromRaw(concat(chunks, total), path, o, complete);
}

async function peek(fh: FileHandle, n: number): Promise<Uint8Array> {
  const b = new Uint8Array(n);
  const { bytesRead } = await fh.read(b, 0, n, 0);
  return b.subarray(0, bytesRead);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}
