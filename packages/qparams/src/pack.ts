import { QParamsError } from './qparams-error.js';

/**
 * Sub-byte packing as ONNX stores int4/uint4/float4e2m1 (two per byte) and int2/uint2 (four per byte): element i
 * goes to byte floor(i / perByte), lowest bits first. A last partial byte is padded with zero bits.
 *
 * Example: int4 [1, -2, 7] -> bytes [0xe1, 0x07] (1 = 0x1 low nibble, -2 = 0xe high nibble, 7 low nibble, pad 0).
 */
export function packSubByte(values: ArrayLike<number>, bits: 2 | 4): Uint8Array {
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(values.length / per));
  for (let i = 0; i < values.length; i++) {
    out[(i / per) | 0] |= (values[i] & mask) << ((i % per) * bits);
  }
  return out;
}

/**
 * Inverse of {@link packSubByte}: `count` elements, sign-extended when `signed` (int4: nibble 0xe -> -2).
 * Throws QParamsError when `bytes` holds fewer than ceil(count * bits / 8) bytes.
 */
export function unpackSubByte(bytes: Uint8Array, count: number, bits: 2 | 4, signed: boolean): Int8Array | Uint8Array {
  const per = 8 / bits;
  if (bytes.length < Math.ceil(count / per)) {
    throw new QParamsError({ param: 'bytes.length', value: bytes.length, expected: `at least ${Math.ceil(count / per)} bytes for ${count} ${bits}-bit elements` });
  }
  const mask = (1 << bits) - 1;
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  const shift = 32 - bits;
  for (let i = 0; i < count; i++) {
    const v = (bytes[(i / per) | 0] >> ((i % per) * bits)) & mask;
    out[i] = signed ? (v << shift) >> shift : v;
  }
  return out;
}

/** int4/uint4 (and float4e2m1 bit patterns) two per byte, low nibble first. */
export function packInt4(values: ArrayLike<number>): Uint8Array {
  return packSubByte(values, 4);
}

/** Unpacks `count` 4-bit elements; `signed` sign-extends (int4), otherwise 0..15 (uint4, float4e2m1 bits). */
export function unpackInt4(bytes: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  return unpackSubByte(bytes, count, 4, signed);
}
