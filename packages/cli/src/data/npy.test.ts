import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseNpy, parseNpz } from './npy.js';
import { DataFormatError } from './errors.js';

/** Builds a version-1.0 .npy file by the format's rules: magic, version, uint16 header length, padded dict, data. */
function npy(descr: string, shape: number[], body: Uint8Array, fortran = false): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = new TextEncoder().encode(dict + ' '.repeat(pad % 64) + '\n');
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(header, 10);
  out.set(body, 10 + header.length);
  return out;
}

describe('parseNpy', () => {
  it('reads little-endian float32 with its shape', () => {
    const t = parseNpy(npy('<f4', [2, 2], new Uint8Array(Float32Array.from([1, -2.5, 3, 0.125]).buffer)));
    expect(t.dtype).toBe('float32');
    expect(t.dims).toEqual([2, 2]);
    expect([...(t.data as Float32Array)]).toEqual([1, -2.5, 3, 0.125]);
  });

  it('byte-swaps big-endian data', () => {
    // >i4 of 1 is 00 00 00 01; of -2 is ff ff ff fe.
    const t = parseNpy(npy('>i4', [2], Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe])));
    expect(t.dtype).toBe('int32');
    expect([...(t.data as Int32Array)]).toEqual([1, -2]);
  });

  it('rejects Fortran order, unknown dtypes and truncation', () => {
    expect(() => parseNpy(npy('<f4', [1], new Uint8Array(4), true))).toThrow(/Fortran/);
    expect(() => parseNpy(npy('<c8', [1], new Uint8Array(8)))).toThrow(DataFormatError);
    expect(() => parseNpy(npy('<f8', [4], new Uint8Array(8)))).toThrow(/truncated/);
    expect(() => parseNpy(new Uint8Array(20))).toThrow(/not a .npy/);
  });
});

describe('parseNpz', () => {
  it('reads every array of a zip archive by name (stored and deflated)', () => {
    const a = npy('|u1', [3], Uint8Array.from([7, 8, 9]));
    const b = npy('<i8', [1], new Uint8Array(BigInt64Array.from([-5n]).buffer));
    for (const level of [0, 6] as const) {
      const arrays = parseNpz(zipSync({ 'x.npy': a, 'y.npy': b }, { level }));
      expect([...arrays.keys()]).toEqual(['x', 'y']);
      expect([...(arrays.get('x')!.data as Uint8Array)]).toEqual([7, 8, 9]);
      expect([...(arrays.get('y')!.data as BigInt64Array)]).toEqual([-5n]);
    }
  });

  it('rejects bytes that are not a zip archive', () => {
    expect(() => parseNpz(Uint8Array.from([1, 2, 3]))).toThrow(DataFormatError);
  });
});
