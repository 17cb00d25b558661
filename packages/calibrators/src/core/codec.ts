import { CalibrationError } from './errors.js';

/**
 * The state byte format, shared by every built-in method (little-endian):
 *
 * ```
 * "LBCS"            4 bytes magic
 * version           u16   (STATE_FORMAT_VERSION)
 * kind              u16 byte length + UTF-8
 * spec              u32 byte length + UTF-8 JSON of the resolved spec
 * payload           method-specific sequence of u32 / f64 / f64-array (u32 count + f64s) fields
 * ```
 * A reader rejects a wrong magic, an unknown version, another kind, truncation and trailing bytes with
 * `CalibrationError`. Version 1 is the first format; a future version adds a branch in `openState`.
 */
export const STATE_MAGIC = 'LBCS';
export const STATE_FORMAT_VERSION = 1;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private n = 0;

  private reserve(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.n, v, true);
    this.n += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.n, v, true);
    this.n += 4;
    return this;
  }

  f64(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.n, v, true);
    this.n += 8;
    return this;
  }

  f64s(vs: ArrayLike<number>): this {
    this.u32(vs.length);
    this.reserve(8 * vs.length);
    for (let i = 0; i < vs.length; i++) {
      this.view.setFloat64(this.n, vs[i], true);
      this.n += 8;
    }
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export class ByteReader {
  private readonly view: DataView;
  private n = 0;

  constructor(private readonly bytes: Uint8Array, private readonly kind: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string): never {
    throw new CalibrationError(`${this.kind}: cannot decode state: ${what} at byte ${this.n}`, { kind: this.kind, offset: this.n });
  }

  private need(k: number): void {
    if (this.n + k > this.bytes.length) this.fail(`truncated (need ${k} more bytes, ${this.bytes.length - this.n} left)`);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.n, true);
    this.n += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.n, true);
    this.n += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.n, true);
    this.n += 8;
    return v;
  }

  f64s(): Float64Array {
    const len = this.u32();
    this.need(8 * len);
    const out = new Float64Array(len);
    for (let i = 0; i < len; i++) out[i] = this.view.getFloat64(this.n + 8 * i, true);
    this.n += 8 * len;
    return out;
  }

  utf8(len: number): string {
    this.need(len);
    try {
      return fromUtf8.decode(this.bytes.subarray(this.n, this.n + len));
    } catch (cause) {
      return this.fail(`invalid UTF-8 (${String(cause)})`);
    } finally {
      this.n += len;
    }
  }

  end(): void {
    if (this.n !== this.bytes.length) this.fail(`${this.bytes.length - this.n} trailing bytes`);
  }
}

/** Starts a state: header and resolved spec. */
export function beginState(kind: string, spec: unknown): ByteWriter {
  const w = new ByteWriter();
  const k = utf8.encode(kind);
  const s = utf8.encode(JSON.stringify(spec));
  w.bytes(utf8.encode(STATE_MAGIC)).u16(STATE_FORMAT_VERSION).u16(k.length).bytes(k).u32(s.length).bytes(s);
  return w;
}

/** Reads and checks the header of a state of `kind`; returns the reader (at the payload) and the parsed spec. */
export function openState(kind: string, bytes: Uint8Array): { r: ByteReader; spec: unknown } {
  if (!(bytes instanceof Uint8Array)) {
    throw new CalibrationError(`${kind}: cannot decode state: expected a Uint8Array`, { kind, expected: 'Uint8Array' });
  }
  const r = new ByteReader(bytes, kind);
  if (bytes.length < 4 || r.utf8(4) !== STATE_MAGIC) r.fail(`not a Lowbit calibration state (magic "${STATE_MAGIC}" missing)`);
  const version = r.u16();
  if (version !== STATE_FORMAT_VERSION) r.fail(`unsupported format version ${version} (this build reads ${STATE_FORMAT_VERSION})`);
  const got = r.utf8(r.u16());
  if (got !== kind) r.fail(`state is of kind "${got}", expected "${kind}"`);
  const text = r.utf8(r.u32());
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (cause) {
    return r.fail(`spec is not JSON (${String(cause)})`);
  }
  if (spec === null || typeof spec !== 'object') r.fail('spec is not an object');
  return { r, spec };
}

/** Reads the kind recorded in a state's header (to pick the calibrator that decodes it). */
export function peekKind(bytes: Uint8Array): string {
  const probe = new ByteReader(bytes, 'state');
  if (bytes.length < 4 || probe.utf8(4) !== STATE_MAGIC) probe.fail(`not a Lowbit calibration state (magic "${STATE_MAGIC}" missing)`);
  probe.u16();
  return probe.utf8(probe.u16());
}
