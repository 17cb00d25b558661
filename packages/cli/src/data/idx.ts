import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataFormatError } from './errors.js';

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

/**
 * Parses IDX bytes: magic `00 00 TT NN` (TT element type, NN number of dims), then NN big-endian uint32 dims, then the
 * elements big-endian. Gzipped input (`1f 8b`) is inflated first.
 */
export function parseIdx(bytes: Uint8Array, path = '<bytes>'): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new DataFormatError(`${path}: not an IDX file (bad magic)`, { path, expected: '00 00 TT NN', actual: hex(raw.subarray(0, 4)) });
  }
  const code = raw[2] as keyof typeof TYPES;
  const kind = TYPES[code];
  if (!kind) throw new DataFormatError(`${path}: unknown IDX element type 0x${raw[2].toString(16)}`, { path, expected: 'one of 08 09 0b 0c 0d 0e', actual: raw[2].toString(16) });
  const ndims = raw[3];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4 + 4 * ndims) throw new DataFormatError(`${path}: IDX header truncated`, { path });
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const [type, width] = kind;
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndims;
  if (raw.length - start !== count * width) {
    throw new DataFormatError(`${path}: IDX data has ${raw.length - start} bytes, dims [${dims.join(', ')}] need ${count * width}`, { path, expected: String(count * width), actual: String(raw.length - start) });
  }
  return { dims, type, data: readElements(view, start, count, type) };
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

export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), path);
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}
