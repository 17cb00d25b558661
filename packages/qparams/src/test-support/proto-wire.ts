/**
 * A minimal protobuf wire-format reader for the tests (qparams may not depend on onnx-ir). It walks a message and
 * yields (field number, wire type, value): varints as bigint, fixed32/fixed64 as their little-endian bytes,
 * length-delimited fields as a subarray.
 */
export type WireValue =
  | { readonly field: number; readonly wire: 0; readonly varint: bigint }
  | { readonly field: number; readonly wire: 1 | 5; readonly bytes: Uint8Array }
  | { readonly field: number; readonly wire: 2; readonly bytes: Uint8Array };

export function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.p >= buf.length) throw new Error('proto-wire: truncated varint');
    const b = buf[pos.p++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

export function* fields(buf: Uint8Array): Generator<WireValue> {
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, varint: readVarint(buf, pos) };
    else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      yield { field, wire, bytes: buf.subarray(pos.p, pos.p + len) };
      pos.p += len;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      yield { field, wire, bytes: buf.subarray(pos.p, pos.p + len) };
      pos.p += len;
    } else throw new Error(`proto-wire: unsupported wire type ${wire}`);
  }
}

/** A varint read as a signed 64-bit integer, returned as a number. */
export function int64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** Repeated varint field values, packed (wire 2) or not (wire 0). */
export function varints(f: WireValue): bigint[] {
  if (f.wire === 0) return [f.varint];
  if (f.wire !== 2) throw new Error('proto-wire: expected a varint field');
  const out: bigint[] = [];
  const pos = { p: 0 };
  while (pos.p < f.bytes.length) out.push(readVarint(f.bytes, pos));
  return out;
}

export function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
