/**
 * The saved-statistics file written by `calibrateStatic` and read by `quantizeStatic({ statistics })`.
 *
 * Layout (all integers little-endian):
 * ```
 * magic      4 bytes  "LBQS"
 * version    u16      STATISTICS_FORMAT_VERSION (1)
 * headerLen  u32      then headerLen bytes of UTF-8 JSON (canonical: sorted keys):
 *                     { tool, method, calibration, settings, modelSha256, batches }, plus, only when they
 *                     apply (so a complete statistics file never has them): `stage: "ranges"` (a first-pass
 *                     min/max file from `calibrateStatic({ rangePass: true })`) and `shard: { count, indices }`
 *                     (the shards of `count` a partial file covers; see sharding.ts and merge-statistics.ts)
 * count      u32      then `count` entries in ascending key order (UTF-16 code unit order):
 *   keyLen   u16      keyLen bytes of UTF-8 key (a tensor name, or `<tensor>#observed`)
 *   stateLen u32      stateLen bytes: an encoded @lowbit/calibrators state ("LBCS" ...)
 * sha256     32 bytes SHA-256 of every byte before it (truncation and corruption are detected)
 * ```
 * Decoding checks magic, version, lengths, the checksum and the header's field types; anything else is a
 * QuantizeError (option `statistics`) saying what was expected and what was found.
 */
import { sha256, toHex } from './sha256.js';
import { OBSERVED_SUFFIX } from './calibration.js';
import { canonicalJson } from './canonical-json.js';
import { QuantizeError } from './errors.js';
import type { CalibrationMethod, StaticQuantizeOptions } from './types.js';

export const STATISTICS_MAGIC = 'LBQS';
export const STATISTICS_FORMAT_VERSION = 1;

/** What a statistics file says about itself (see `readStatisticsInfo`). */
export interface StatisticsInfo {
  readonly formatVersion: number;
  /** `lowbit/quantize <version>` that wrote it. */
  readonly tool: string;
  readonly method: CalibrationMethod;
  /**
   * The `calibration` options it was made with, only those the method reads (e.g. `{ percentile: 99.9 }`): pass
   * `{ calibrationMethod: info.method, calibration: info.calibration, statistics }` to quantizeStatic to match it.
   */
  readonly calibration: NonNullable<StaticQuantizeOptions['calibration']>;
  /** The calibrator spec the method's settings give with defaults filled in (e.g. `{ axis: null, percentile: 99.999 }`). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Fingerprint of the preprocessed model that was calibrated (see fingerprint.ts). */
  readonly modelSha256: string;
  /** Calibration batches read. */
  readonly batches: number;
  /** The calibrated tensors (without the `#observed` companions), sorted. */
  readonly tensors: readonly string[];
  /** `'ranges'` for a first-pass min/max file (input of sharded histogram calibration); absent for statistics. */
  readonly stage?: 'ranges';
  /** Present on a partial file: which shards (sample `i` is in shard `i % count`) it covers, ascending. */
  readonly shard?: ShardCoverage;
}

/** The shards of a sharded calibration that one partial statistics file covers. */
export interface ShardCoverage {
  readonly count: number;
  /** Ascending, distinct, each in `[0, count)`; never all of them (a complete file has no `shard`). */
  readonly indices: readonly number[];
}

export interface StatisticsFile {
  readonly header: Omit<StatisticsInfo, 'formatVersion' | 'tensors'>;
  readonly states: ReadonlyMap<string, Uint8Array>;
}

const failer = (where: string) => (expected: string, actual: string, what = 'not a valid statistics file'): never => {
  throw new QuantizeError({ where, option: 'statistics', expected, actual }, what);
};

/** Encodes the file; deterministic (same header and states give the same bytes). */
export function encodeStatistics(f: StatisticsFile, where = 'calibrateStatic'): Uint8Array {
  const bad = failer(where);
  const enc = new TextEncoder();
  const header = enc.encode(canonicalJson(f.header));
  const keys = [...f.states.keys()].sort();
  const parts: Uint8Array[] = [];
  const u16 = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); parts.push(b); };
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); parts.push(b); };
  parts.push(enc.encode(STATISTICS_MAGIC));
  u16(STATISTICS_FORMAT_VERSION);
  u32(header.length);
  parts.push(header);
  u32(keys.length);
  for (const k of keys) {
    const kb = enc.encode(k);
    if (kb.length > 0xffff) bad('tensor names under 64 KiB', `${kb.length} bytes`, 'cannot encode the statistics');
    u16(kb.length);
    parts.push(kb);
    const s = f.states.get(k)!;
    u32(s.length);
    parts.push(s);
  }
  const body = concat(parts);
  return concat([body, sha256().update(body).digest()]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes and checks a statistics file (QuantizeError on anything malformed). */
export function decodeStatistics(bytes: Uint8Array, where = 'quantizeStatic'): StatisticsFile {
  const bad = failer(where);
  if (!(bytes instanceof Uint8Array)) return bad('a Uint8Array', typeof bytes);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const magic = bytes.length >= 4 ? String.fromCharCode(...bytes.subarray(0, 4)) : '';
  if (magic !== STATISTICS_MAGIC) bad(`magic "${STATISTICS_MAGIC}" (a file written by calibrateStatic)`, bytes.length < 4 ? `${bytes.length} bytes` : `${JSON.stringify(magic)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 6) bad('a format version', 'end of data');
  const version = dv.getUint16(4, true);
  if (version !== STATISTICS_FORMAT_VERSION) bad(`format version ${STATISTICS_FORMAT_VERSION}`, `version ${version}`, 'unsupported statistics format');
  if (bytes.length < 32 + 14) bad('at least 46 bytes', `${bytes.length}`);
  const body = bytes.subarray(0, bytes.length - 32);
  const sum = sha256().update(body).digest();
  const stored = bytes.subarray(bytes.length - 32);
  if (!sameBytes(sum, stored)) bad(`SHA-256 ${toHex(stored).slice(0, 16)}...`, `${toHex(sum).slice(0, 16)}... (truncated or corrupted)`, 'statistics checksum mismatch');
  let o = 6;
  const need = (n: number, what: string) => { if (o + n > body.length) bad(`${n} bytes of ${what} at offset ${o}`, `${body.length - o}`); };
  const u16 = (what: string) => { need(2, what); const v = dv.getUint16(o, true); o += 2; return v; };
  const u32 = (what: string) => { need(4, what); const v = dv.getUint32(o, true); o += 4; return v; };
  const utf8 = (n: number, what: string) => {
    need(n, what);
    try {
      return dec.decode(body.subarray(o, (o += n)));
    } catch {
      return bad(`UTF-8 ${what}`, 'invalid UTF-8');
    }
  };
  const headerText = utf8(u32('header length'), 'header');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch {
    bad('a JSON header', JSON.stringify(headerText.slice(0, 40)));
  }
  const h = header as Record<string, unknown>;
  if (typeof h !== 'object' || h === null || typeof h.tool !== 'string' || typeof h.method !== 'string' || typeof h.modelSha256 !== 'string'
    || typeof h.batches !== 'number' || typeof h.settings !== 'object' || h.settings === null || typeof h.calibration !== 'object' || h.calibration === null) {
    bad('a header { tool, method, calibration, settings, modelSha256, batches }', headerText.slice(0, 120));
  }
  if (h.stage !== undefined && h.stage !== 'ranges') bad('header stage "ranges" or none', JSON.stringify(h.stage));
  const shard = h.shard as ShardCoverage | undefined;
  if (shard !== undefined && !validCoverage(shard)) bad('header shard { count, indices } with ascending distinct indices in [0, count), not all of them', JSON.stringify(shard));
  const count = u32('entry count');
  const states = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const key = utf8(u16('key length'), 'key');
    const len = u32('state length');
    need(len, `state "${key}"`);
    states.set(key, bytes.slice(o, o + len));
    o += len;
  }
  if (o !== body.length) bad(`end of data after ${count} entries`, `${body.length - o} trailing bytes`);
  return {
    header: { tool: h.tool as string, method: h.method as CalibrationMethod, calibration: h.calibration as Record<string, number>, settings: h.settings as Record<string, unknown>, modelSha256: h.modelSha256 as string, batches: h.batches as number,
      ...(h.stage === 'ranges' ? { stage: 'ranges' as const } : {}), ...(shard !== undefined ? { shard: { count: shard.count, indices: [...shard.indices] } } : {}) },
    states,
  };
}

function validCoverage(s: ShardCoverage): boolean {
  if (typeof s !== 'object' || s === null || !Number.isInteger(s.count) || s.count < 2 || !Array.isArray(s.indices)) return false;
  const ix = s.indices;
  if (ix.length === 0 || ix.length >= s.count) return false;
  return ix.every((k, i) => Number.isInteger(k) && k >= 0 && k < s.count && (i === 0 || k > ix[i - 1]));
}

/** What a statistics file holds (method, settings, model fingerprint, tensors); QuantizeError when malformed. */
export function readStatisticsInfo(bytes: Uint8Array): StatisticsInfo {
  const f = decodeStatistics(bytes, 'readStatisticsInfo');
  return {
    formatVersion: STATISTICS_FORMAT_VERSION,
    ...f.header,
    tensors: [...f.states.keys()].filter((k) => !k.endsWith(OBSERVED_SUFFIX)).sort(),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
