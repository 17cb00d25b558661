import { formatDb, sqnrJson, type ErrorMetrics, type SqnrNote } from './metrics.js';
import type { CompareResult } from './compare-models.js';

/** JSON form of one metrics row. `sqnrDb` is null exactly when SQNR is not finite; `sqnrNote` then says why. */
export interface MetricsJson {
  readonly sqnrDb: number | null;
  readonly sqnrNote?: SqnrNote;
  readonly cosine: number;
  readonly maxAbsError: number;
  /** Element pairs summed over all samples. */
  readonly elements: number;
  /** Pairs left out because a value was NaN or infinite. */
  readonly nonFinite: number;
}

/** The `lowbit compare --json` object. */
export interface CompareJson {
  readonly float: string;
  readonly quantized: string;
  readonly samples: number;
  readonly outputs: readonly (MetricsJson & {
    readonly name: string;
    readonly quantizedName: string;
    readonly dims: readonly number[];
    /** null when the last dim is 1 (or rank 0): no classes to take an argmax over. */
    readonly top1: { readonly agree: number; readonly rows: number; readonly rate: number } | null;
    readonly skipped?: string;
  })[];
  /** In the float model's topological order; `index` is the SVG plot's x. */
  readonly layers: readonly (MetricsJson & {
    readonly index: number;
    readonly name: string;
    readonly opType: string;
    readonly quantizedName: string;
    readonly quantizedDtype: string;
  })[];
  /** Present in both models but not comparable (integer value without a per-tensor scale, shape differs). */
  readonly skippedLayers: readonly { readonly name: string; readonly reason: string }[];
  /** Float activations absent from the quantized model (fused or folded by quantization). */
  readonly notInQuantized: number;
}

function metricsJson(m: ErrorMetrics): MetricsJson {
  return { ...sqnrJson(m.sqnrDb), cosine: m.cosine, maxAbsError: m.maxAbsError, elements: m.elements, nonFinite: m.nonFinite };
}

export function compareJson(floatPath: string, quantPath: string, r: CompareResult): CompareJson {
  return {
    float: floatPath,
    quantized: quantPath,
    samples: r.samples,
    outputs: r.outputs.map((o) => ({
      name: o.name,
      quantizedName: o.quantizedName,
      dims: o.dims,
      ...metricsJson(o.metrics),
      top1: o.top1 && o.top1.rows > 0 ? { agree: o.top1.agree, rows: o.top1.rows, rate: o.top1.rate } : null,
      ...(o.skipped ? { skipped: o.skipped } : {}),
    })),
    layers: r.layers.map((l) => ({
      index: l.index, name: l.name, opType: l.opType, quantizedName: l.quantizedName, quantizedDtype: l.quantizedDtype,
      ...metricsJson(l.metrics),
    })),
    skippedLayers: r.skipped.map((s) => ({ name: s.name, reason: s.reason })),
    notInQuantized: r.notInQuantized,
  };
}

function table(rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => '  ' + r.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd())
    .join('\n') + '\n';
}

const fmtNum = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const fmtErr = (x: number): string => (x === 0 ? '0' : x >= 1e-3 && x < 1e4 ? x.toPrecision(4) : x.toExponential(3));

/** The text report: one table for the outputs, one for the layers (SQNR per layer), then what was skipped. */
export function compareText(floatPath: string, quantPath: string, r: CompareResult): string {
  let s = `${floatPath} vs ${quantPath} on ${r.samples} sample${r.samples === 1 ? '' : 's'}\n\noutputs\n`;
  s += table(
    [
      ['name', 'SQNR dB', 'cosine', 'max abs err', 'top-1'],
      ...r.outputs.map((o) => [
        o.name,
        o.skipped ? 'skipped' : formatDb(o.metrics.sqnrDb),
        o.skipped ? '' : fmtNum(o.metrics.cosine, 6),
        o.skipped ? '' : fmtErr(o.metrics.maxAbsError),
        o.top1 && o.top1.rows > 0 ? `${(o.top1.rate * 100).toFixed(1)}% (${o.top1.agree}/${o.top1.rows})` : '-',
      ]),
    ],
    [false, true, true, true, true],
  );
  for (const o of r.outputs) if (o.skipped) s += `  ${o.name}: ${o.skipped}\n`;
  s += `\nlayers (${r.layers.length}, float model order)\n`;
  if (r.layers.length > 0) {
    s += table(
      [['#', 'SQNR dB', 'op', 'name'], ...r.layers.map((l) => [String(l.index), formatDb(l.metrics.sqnrDb), l.opType, l.name])],
      [true, true, false, false],
    );
  }
  if (r.skipped.length > 0) {
    s += `  ${r.skipped.length} layer${r.skipped.length === 1 ? '' : 's'} skipped:\n`;
    for (const k of r.skipped.slice(0, 20)) s += `    ${k.name}: ${k.reason}\n`;
    if (r.skipped.length > 20) s += `    ... and ${r.skipped.length - 20} more\n`;
  }
  if (r.notInQuantized > 0) s += `  ${r.notInQuantized} float activation${r.notInQuantized === 1 ? '' : 's'} not in the quantized model (fused or folded)\n`;
  return s;
}
