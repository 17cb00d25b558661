/**
 * StatisticsMismatchError: statistics files that cannot be combined or used together (merging shards from another
 * model, method, option set, tool version, shard count or range file; the same shard twice; a partial file where a
 * complete one is needed). A QuantizeError (code `QUANTIZE`, a usage error in the CLI) that names the header field
 * that differs (`field`, e.g. `modelSha256`, `settings`, `shard.indices`, `states["conv1"].spec`), which input file
 * (`file`, 0-based position among the inputs) and both values.
 */
import { QuantizeError } from './errors.js';

export interface StatisticsMismatchDetail {
  readonly where: string;
  /** The header field (or `states["tensor"]...`) that differs. */
  readonly field: string;
  /** Index of the offending file among the inputs, when there are several. */
  readonly file?: number;
  readonly expected: string;
  readonly actual: string;
}

export class StatisticsMismatchError extends QuantizeError {
  readonly field: string;
  readonly file: number | undefined;
  constructor(d: StatisticsMismatchDetail, what: string, cause?: unknown) {
    super({ where: d.where, option: 'statistics', expected: d.expected, actual: d.actual }, `${what} (field "${d.field}"${d.file !== undefined ? ` of input ${d.file}` : ''})`, cause);
    this.field = d.field;
    this.file = d.file;
  }
}
