/**
 * A minimal protobuf wire-format reader, enough to walk ONNX ModelProto/TensorProto in tests without pulling a
 * protobuf runtime into the kernels package. Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 */
export interface Field {
  readonly no: number;
  readonly wire: 0 | 1 | 2 | 5;
  /** varint value (wire 0), as bigint to keep int64 exact. */
  readonly varint?: bigint;
  /** raw bytes for wire 1, 2 and 5. */
  readonly bytes?: Uint8Array;
}

export function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.p >= buf.length) throw new RangeError('protobuf: truncated varint');
    const b = buf[pos.p++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

/** All fields of one message, in wire order. */
export function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, varint: readVarint(buf, pos) });
    else if (wire === 1) { out.push({ no, wire, bytes: buf.subarray(pos.p, pos.p + 8) }); pos.p += 8; }
    else if (wire === 5) { out.push({ no, wire, bytes: buf.subarray(pos.p, pos.p + 4) }); pos.p += 4; }
    else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      out.push({ no, wire, bytes: buf.subarray(pos.p, pos.p + len) });
      pos.p += len;
    } else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

/** Signed 64-bit value of a varint (two's complement). */
export const asInt64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Repeated varint field values, packed or not. */
export function repeatedVarints(fields: readonly Field[], no: number): bigint[] {
  const out: bigint[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(f.varint!);
    else if (f.wire === 2) {
      const pos = { p: 0 };
      while (pos.p < f.bytes!.length) out.push(readVarint(f.bytes!, pos));
    }
  }
  return out;
}

/** Repeated fixed-width field values (float32 when width 4, float64 when width 8), packed or not. */
export function repeatedFixed(fields: readonly Field[], no: number, width: 4 | 8): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    const b = f.bytes!;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i + width <= b.length; i += width) out.push(width === 4 ? view.getFloat32(i, true) : view.getFloat64(i, true));
  }
  return out;
}

export function text(b: Uint8Array | undefined): string {
  return b ? new TextDecoder().decode(b) : '';
}
