import { unzipSync } from 'fflate';
import { Tensor, type DType } from '@lowbit/kernels';
import { DataFormatError } from './errors.js';
import { readDataFile } from './files.js';

/** numpy dtype descr (without byte order) -> tensor dtype and element width. */
const DESCR: Readonly<Record<string, readonly [DType, number]>> = {
  f4: ['float32', 4], f8: ['float64', 8], f2: ['float16', 2],
  i1: ['int8', 1], u1: ['uint8', 1], i2: ['int16', 2], u2: ['uint16', 2],
  i4: ['int32', 4], u4: ['uint32', 4], i8: ['int64', 8], u8: ['uint64', 8], b1: ['bool', 1],
};

/**
 * Parses a `.npy` file (format versions 1.0, 2.0 and 3.0): magic `\x93NUMPY`, version, a little-endian header length
 * (uint16 for 1.0, uint32 otherwise), a Python-literal dict with `descr`, `fortran_order`, `shape`, then the data.
 * Big-endian data is byte-swapped; Fortran-ordered arrays are rejected (save with `np.ascontiguousarray`).
 */
export function parseNpy(bytes: Uint8Array, path = '<bytes>'): Tensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) {
    throw new DataFormatError(`${path}: not a .npy file (bad magic)`, { path, expected: '\\x93NUMPY' });
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-zA-Z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) throw new DataFormatError(`${path}: malformed .npy header`, { path, actual: header.trim() });
  const kind = DESCR[descr[2]];
  if (!kind) throw new DataFormatError(`${path}: unsupported numpy dtype '${descr[1]}${descr[2]}'`, { path, expected: Object.keys(DESCR).join(', '), actual: descr[2] });
  if (fortran[1] === 'True') throw new DataFormatError(`${path}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`, { path });
  const parts = shapeMatch[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const dims = parts.map((s) => (/^\d+L?$/.test(s) ? Number(s.replace('L', '')) : Number.NaN));
  const [dtype, width] = kind;
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0) || !Number.isSafeInteger(count * width)) {
    throw new DataFormatError(`${path}: .npy shape (${parts.join(', ')}) is invalid, expected non-negative integers`, { path, expected: 'non-negative integer dims', actual: `(${parts.join(', ')})` });
  }
  const start = headerStart + headerLen;
  if (bytes.length - start < count * width) {
    throw new DataFormatError(`${path}: .npy data truncated`, { path, expected: `${count * width} bytes`, actual: `${bytes.length - start} bytes` });
  }
  const body = bytes.slice(start, start + count * width);
  if (descr[1] === '>' && width > 1) {
    for (let i = 0; i < body.length; i += width) body.subarray(i, i + width).reverse();
  }
  return new Tensor(dtype, viewAs(dtype, body.buffer) as never, dims);
}

function viewAs(dtype: DType, buf: ArrayBuffer): unknown {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'float16': case 'uint16': return new Uint16Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint64': return new BigUint64Array(buf);
    default: return new Uint8Array(buf);
  }
}

/** Most bytes all arrays of one .npz may inflate to (1 GiB). */
export const MAX_NPZ_BYTES = 2 ** 30;

/**
 * Reads a `.npz` archive (zip of .npy files, stored or deflated): array name (file name without `.npy`) -> tensor.
 * The sizes the archive declares are checked against `maxBytes` before anything is inflated, and each entry inflates
 * into a buffer of its declared size, so a zip bomb costs at most `maxBytes`.
 */
export function parseNpz(bytes: Uint8Array, path = '<bytes>', maxBytes = MAX_NPZ_BYTES): Map<string, Tensor> {
  let files: Record<string, Uint8Array>;
  let declared = 0;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('.npy')) return false;
        declared += f.originalSize;
        if (declared > maxBytes) throw new DataFormatError(`${path}: the arrays inflate to more than ${maxBytes} bytes`, { path, expected: `<= ${maxBytes} bytes`, actual: `>= ${declared} bytes` });
        return true;
      },
    });
  } catch (cause) {
    if (cause instanceof DataFormatError) throw cause;
    throw new DataFormatError(`${path}: not a readable .npz (zip) archive`, { path }, cause);
  }
  const out = new Map<string, Tensor>();
  for (const name of Object.keys(files).sort()) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(files[name], `${path}:${name}`));
  }
  return out;
}

export async function readNpy(path: string): Promise<Tensor> {
  return parseNpy(await readDataFile(path), path);
}

export async function readNpz(path: string): Promise<Map<string, Tensor>> {
  return parseNpz(await readDataFile(path), path);
}
