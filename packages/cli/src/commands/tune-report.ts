/** What `lowbit tune` prints and writes: one line per trial, the summary table, the JSON report. */
import { basename } from 'node:path';
import type { AccuracyResult, TuningTrial } from '@lowbit/quantize';
import { formatBytes } from '../inspect/report.js';

/** A score for display: 2 decimals with the unit, `inf`/`-inf`, `failed` for a failed trial. */
export function formatScore(s: number | null, unit?: string): string {
  if (s === null) return 'failed';
  const v = s === Infinity ? 'inf' : s === -Infinity ? '-inf' : Math.abs(s) < 10 && !unit ? s.toFixed(4) : s.toFixed(2);
  return unit ? `${v} ${unit}` : v;
}

/** The recipe in a few words: `static percentile`, `static minmax, sensitive float`, `dynamic`. */
export function recipeWords(t: TuningTrial): string {
  const r = t.recipe;
  if (r.mode !== 'static') return String(r.mode);
  const words = [`static ${String(r.calibrationMethod ?? 'minmax')}`];
  if (r.perChannel !== true) words.push('per-tensor');
  if (r.keepSensitiveFloat !== false) words.push('sensitive float');
  return words.join(', ');
}

/** One progress line: `trial 3/12 static percentile + 2 float: 31.50 dB, 98.7% of weights quantized (1.2 s)`. */
export function trialLine(t: TuningTrial, max: number, unit?: string): string {
  const what = `${recipeWords(t)}${t.excluded.length ? ` + ${t.excluded.length} float` : ''}`;
  if (t.score === null) return `trial ${t.index}/${max} ${what}: failed: ${t.error ?? 'unknown error'}`;
  return `trial ${t.index}/${max} ${what}: ${formatScore(t.score, unit)}${t.reached ? ' (reached)' : ''}, ${pct(t.weightsQuantized)} of weights quantized (${t.seconds.toFixed(1)} s)`;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** The summary: a line per trial (best marked) and the verdict. */
export function tuneTable(input: string, output: string, report: string, r: AccuracyResult): string {
  const unit = r.evaluator.unit;
  const rows = r.trials.map((t) => [
    `${t === r.best ? '*' : ' '}${t.index}`, t.stage, recipeWords(t), String(t.excluded.length + t.keptFloat.length), formatScore(t.score, unit),
    t.score === null ? '-' : pct(t.weightsQuantized), t.score === null ? '-' : formatBytes(t.weightBytes),
  ]);
  const head = ['#', 'stage', 'recipe', 'float layers', r.evaluator.name, 'weights quantized', 'weights'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd();
  const target = `${r.evaluator.name} >= ${formatScore(r.threshold, unit)}`;
  const b = r.best;
  const verdict = r.reached
    ? `target reached: ${formatScore(b.score, unit)} (${target}) with ${pct(b.weightsQuantized)} of weights quantized, trial ${b.index} of ${r.trials.length}`
    : `target NOT reached (${target}; stopped: ${r.stopReason}): best ${formatScore(b.score, unit)} with ${pct(b.weightsQuantized)} of weights quantized, trial ${b.index} of ${r.trials.length}`;
  return [
    `${basename(input)} -> ${output}`,
    line(head),
    ...rows.map(line),
    verdict,
    `  best model: ${output}${b.excluded.length ? ` (kept float: ${b.excluded.join(', ')})` : ''}`,
    `  report: ${report}`,
  ].join('\n') + '\n';
}

/** Numbers as JSON allows: ±Infinity as the strings "Infinity" / "-Infinity". */
const finite = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

/** The trial report written to `--report` (and printed by `--json`). */
export function reportJson(input: string, output: string, r: AccuracyResult) {
  return {
    input,
    output,
    evaluator: r.evaluator,
    threshold: finite(r.threshold),
    floatScore: finite(r.floatScore),
    reached: r.reached,
    stopReason: r.stopReason,
    best: r.best.index,
    trials: r.trials.map((t) => ({ ...t, score: t.score === null ? null : finite(t.score) })),
    ...(r.ranking ? {
      ranking: {
        method: r.ranking.method,
        ...(r.ranking.baseSqnrDb !== undefined ? { baseSqnrDb: finite(r.ranking.baseSqnrDb) } : {}),
        order: r.ranking.order,
        layers: r.ranking.layers.map((l) => ({ node: l.node, opType: l.opType, sqnrDb: finite(l.sqnrDb) })),
      },
    } : {}),
  };
}
