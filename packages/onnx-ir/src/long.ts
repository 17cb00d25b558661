/**
 * int64 conversions between protobufjs values (Long objects, or numbers for fields that were never set) and the IR's
 * numbers and bigints. protobufjs writers accept `{ low, high }` objects and plain numbers.
 */

/** What protobufjs hands back for an int64/uint64 field. */
export type LongLike = number | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

/** The exact value as a bigint (signed unless the Long says unsigned). */
export function longToBigInt(v: LongLike): bigint {
  if (typeof v === 'number') return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned === true ? u : BigInt.asIntN(64, u);
}

/**
 * The value as a number. Exact for |v| <= 2^53; beyond that it is the nearest double (dims and offsets never get
 * there in practice).
 */
export function longToNumber(v: LongLike): number {
  if (typeof v === 'number') return v;
  const hi = v.unsigned === true ? v.high >>> 0 : v.high | 0;
  return hi * 4294967296 + (v.low >>> 0);
}

/** A bigint as the `{ low, high }` pair protobufjs writers take (two's complement, wraps to 64 bits). */
export function bigIntToLong(b: bigint, unsigned = false): { low: number; high: number; unsigned: boolean } {
  const w = BigInt.asUintN(64, b);
  return { low: Number(w & 0xffffffffn) | 0, high: Number(w >> 32n) | 0, unsigned };
}
