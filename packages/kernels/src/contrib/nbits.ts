/**
 * Bit-stream unpacking for com.microsoft MatMulNBits: `bits`-wide unsigned codes packed low bits first.
 *
 * Code `t` of a packed row starts at bit `t * bits` of the row, counting from bit 0 of byte 0 (least significant
 * bit first) and continuing into the next byte when it straddles one. For bits = 4 this is "the first value in the
 * low nibble, the second in the high nibble"; for bits = 2 four codes per byte, lowest first; for bits = 8 one
 * byte per code. Example (bits = 4): bytes [0x21, 0x43] -> codes [1, 2, 3, 4].
 */

/** Code `t` (0-based) of the packed row starting at byte `base` of `bytes`. */
export function unpackCode(bytes: ArrayLike<number>, base: number, t: number, bits: number): number {
  const bit = t * bits;
  const byte = base + (bit >> 3);
  const shift = bit & 7;
  // Two bytes always suffice for bits <= 8 (shift + bits <= 15).
  const word = bytes[byte] | (shift + bits > 8 ? bytes[byte + 1] << 8 : 0);
  return (word >> shift) & ((1 << bits) - 1);
}

/** Packs codes (each in [0, 2^bits)) low bits first into `ceil(codes.length * bits / 8)` bytes (the inverse). */
export function packCodes(codes: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  for (let t = 0; t < codes.length; t++) {
    const bit = t * bits;
    const v = (codes[t] & ((1 << bits) - 1)) << (bit & 7);
    out[bit >> 3] |= v & 0xff;
    if ((bit & 7) + bits > 8) out[(bit >> 3) + 1] |= v >> 8;
  }
  return out;
}
