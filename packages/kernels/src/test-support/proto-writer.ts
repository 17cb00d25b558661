/**
 * A minimal protobuf writer (the counterpart of proto-reader.ts), enough to build single-node ONNX models in tests
 * without a protobuf runtime. Messages are built as nested byte arrays.
 */
export class ProtoWriter {
  readonly #parts: number[] = [];

  #varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.#parts.push(b);
    } while (x !== 0n);
  }

  int(no: number, v: number | bigint): this {
    this.#varint(BigInt((no << 3) | 0));
    this.#varint(BigInt(v));
    return this;
  }

  float(no: number, v: number): this {
    this.#varint(BigInt((no << 3) | 5));
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.#parts.push(...b);
    return this;
  }

  bytes(no: number, b: Uint8Array): this {
    this.#varint(BigInt((no << 3) | 2));
    this.#varint(BigInt(b.length));
    for (const x of b) this.#parts.push(x);
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }

  message(no: number, w: ProtoWriter): this {
    return this.bytes(no, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}
