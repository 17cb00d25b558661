/**
 * `mergeStatistics(files)`: adds up statistics files from shards (see sharding.ts) into one file. The result does not
 * depend on the order of `files` (they are merged in ascending shard order, and every built-in method's merge is
 * exact, associative and commutative), and merging all `count` shards gives the same bytes as calibrating every
 * sample in one process. Merging is associative too: merge shards {0,1} and {2,3} separately, then merge the two.
 *
 * Refused with StatisticsMismatchError naming the field: files of another stage (range file vs statistics), tool
 * version, method, calibration settings or model fingerprint (`modelSha256`: another model, or options that change
 * preprocessing); a shard count that differs; a sharded file mixed with an unsharded one (`shard`); the same shard
 * twice (`shard.indices`); other tensors (`tensors`); states whose calibrator specs differ (`states["t"].spec`, e.g.
 * histogram shards calibrated with different range files). Files without `shard` (complete calibrations of separate
 * data sets) may be merged with each other: the result covers the union of their samples.
 *
 * Header of the result: the common fields, `batches` summed, `shard` the union of the indices (omitted once all
 * `count` shards are in).
 */
import { builtinCalibrators, peekKind } from '@lowbit/calibrators';
import { canonicalJson } from './canonical-json.js';
import { QuantizeError } from './errors.js';
import { decodeStatistics, encodeStatistics, type ShardCoverage, type StatisticsFile } from './statistics-file.js';
import { StatisticsMismatchError } from './statistics-mismatch.js';
import { requireSameHeader } from './sharding.js';

const WHERE = 'mergeStatistics';

export function mergeStatistics(files: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(files) || files.length === 0) throw new QuantizeError({ where: WHERE, option: 'files', expected: 'at least one statistics file', actual: String(Array.isArray(files) ? 0 : typeof files) }, 'nothing to merge');
  const decoded = files.map((b, i) => {
    try {
      return decodeStatistics(b, WHERE);
    } catch (e) {
      throw new QuantizeError({ where: WHERE, option: `files[${i}]`, expected: 'a statistics file', actual: 'unreadable bytes' }, `input ${i} is not a statistics file`, e);
    }
  });
  const first = decoded[0].header;
  decoded.forEach((f, i) => requireSameHeader(first, f.header, WHERE, i));
  const coverage = mergeCoverage(decoded);
  const keys = [...decoded[0].states.keys()].sort();
  decoded.forEach((f, i) => {
    const k = [...f.states.keys()].sort();
    if (canonicalJson(k) !== canonicalJson(keys)) {
      const extra = k.filter((x) => !keys.includes(x));
      const missing = keys.filter((x) => !k.includes(x));
      throw new StatisticsMismatchError({ where: WHERE, field: 'tensors', file: i, expected: `the ${keys.length} states of input 0`, actual: `${k.length} states${missing.length ? `, missing "${missing[0]}"` : ''}${extra.length ? `, extra "${extra[0]}"` : ''}` }, 'cannot merge statistics of other tensors');
    }
  });
  // Ascending shard order (then input order for unsharded files): the result never depends on argument order.
  const order = decoded.map((f, i) => ({ f, i, k: f.header.shard?.indices[0] ?? -1 })).sort((a, b) => a.k - b.k || a.i - b.i);
  const states = new Map<string, Uint8Array>();
  for (const key of keys) {
    const kind = peekKind(decoded[0].states.get(key)!);
    const cal = builtinCalibrators[kind];
    if (!cal) throw new QuantizeError({ where: WHERE, option: 'statistics', expected: Object.keys(builtinCalibrators).join(', '), actual: kind }, `no calibrator for the state of "${key}"`);
    let acc: unknown;
    for (const { f, i } of order) {
      const bytes = f.states.get(key)!;
      const k = peekKind(bytes);
      if (k !== kind) throw new StatisticsMismatchError({ where: WHERE, field: `states["${key}"].kind`, file: i, expected: kind, actual: k }, 'cannot merge states of different calibrators');
      const s = cal.decode(bytes);
      try {
        acc = acc === undefined ? s : cal.merge(acc, s);
      } catch (e) {
        throw new StatisticsMismatchError({ where: WHERE, field: `states["${key}"].spec`, file: i, expected: 'the calibrator spec of the other inputs', actual: 'another spec (histogram shards need the same merged range file)' }, 'cannot merge the states', e);
      }
    }
    states.set(key, cal.encode(acc));
  }
  const { stage: _s, shard: _c, ...common } = first;
  const header: StatisticsFile['header'] = {
    ...common,
    batches: decoded.reduce((n, f) => n + f.header.batches, 0),
    ...(first.stage !== undefined ? { stage: first.stage } : {}),
    ...(coverage !== undefined ? { shard: coverage } : {}),
  };
  return encodeStatistics({ header, states }, WHERE);
}

/** The union of the inputs' shard indices; undefined when complete (or when no input is sharded). */
function mergeCoverage(files: readonly StatisticsFile[]): ShardCoverage | undefined {
  const sharded = files.map((f) => f.header.shard);
  const firstSharded = sharded.findIndex((s) => s !== undefined);
  if (firstSharded < 0) return undefined;
  const count = sharded[firstSharded]!.count;
  const seen = new Map<number, number>();
  sharded.forEach((s, i) => {
    if (s === undefined) throw new StatisticsMismatchError({ where: WHERE, field: 'shard', file: i, expected: `a shard of ${count} (like input ${firstSharded})`, actual: 'an unsharded (complete) file' }, 'cannot merge a complete file with shards');
    if (s.count !== count) throw new StatisticsMismatchError({ where: WHERE, field: 'shard.count', file: i, expected: String(count), actual: String(s.count) }, 'cannot merge shards of different shard counts');
    for (const k of s.indices) {
      const prev = seen.get(k);
      if (prev !== undefined) throw new StatisticsMismatchError({ where: WHERE, field: 'shard.indices', file: i, expected: `shard ${k} once`, actual: `shard ${k} also in input ${prev}` }, 'the same shard given twice');
      seen.set(k, i);
    }
  });
  if (seen.size === count) return undefined;
  return { count, indices: [...seen.keys()].sort((a, b) => a - b) };
}
