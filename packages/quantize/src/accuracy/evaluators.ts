/**
 * Accuracy evaluators for `quantizeWithAccuracy`: a score computed from a model's outputs over the evaluation data,
 * higher is better. An evaluator sees the candidate model's outputs and the float model's outputs on the same batches
 * (in data order), so it can compare the two (the built-ins) or score against labels it holds itself (a user
 * evaluator: batch `i` of `outputs` is the model's answer to batch `i` of the evaluation data).
 *
 * Built-ins:
 * - `outputSqnr()`: `10 log10(Σ f² / Σ (f - q)²)` in dB over every element of every float output of every batch
 *   (f the float model's value, q the candidate's, sums in float64). +Infinity when identical; a NaN anywhere, or
 *   noise without signal, is -Infinity (the worst score). The float model scores +Infinity.
 * - `top1Agreement(output?)`: the fraction of rows whose arg-max over the last axis equals the float model's, over
 *   every batch; the output is the first graph output unless named. Ties take the first maximum; NaN is never a
 *   maximum. A row is `dims[last]` consecutive values. The float model scores 1.
 */
import type { FeedTensor } from '@lowbit/calibrators';
import { QuantizeError } from '../errors.js';

/** A model's outputs over the evaluation data: one record per batch, in data order, keyed by graph output name. */
export type ModelOutputs = readonly Readonly<Record<string, FeedTensor>>[];

/** Scores `outputs` (the candidate's), given the float model's `reference` outputs on the same batches. */
export type EvaluateFn = (outputs: ModelOutputs, reference: ModelOutputs) => number | Promise<number>;

export interface Evaluator {
  /** Names the metric in reports (`output-sqnr`, `top1-agreement`, or the user's). */
  readonly name: string;
  /** Unit for display (`dB`, ...). */
  readonly unit?: string;
  readonly evaluate: EvaluateFn;
}

const isFloat = (t: FeedTensor): boolean => t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16';

/** Output SQNR in dB of the candidate against the float model, over the float outputs (all, or those named). */
export function outputSqnr(outputNames?: readonly string[]): Evaluator {
  return {
    name: 'output-sqnr',
    unit: 'dB',
    evaluate(outputs, reference) {
      let sig = 0, noise = 0;
      reference.forEach((ref, b) => {
        for (const [name, f] of Object.entries(ref)) {
          if ((outputNames && !outputNames.includes(name)) || !isFloat(f)) continue;
          const q = tensorOf(outputs, b, name, f);
          const fd = f.data as ArrayLike<number>, qd = q.data as ArrayLike<number>;
          for (let i = 0; i < fd.length; i++) {
            sig += fd[i] * fd[i];
            const d = fd[i] - qd[i];
            noise += d * d;
          }
        }
      });
      if (Number.isNaN(noise) || Number.isNaN(sig)) return -Infinity;
      if (noise === 0) return Infinity;
      return sig === 0 ? -Infinity : 10 * Math.log10(sig / noise);
    },
  };
}

/** Fraction of rows whose arg-max (last axis) agrees with the float model's, on `output` (default: the first). */
export function top1Agreement(output?: string): Evaluator {
  return {
    name: 'top1-agreement',
    evaluate(outputs, reference) {
      let rows = 0, same = 0;
      reference.forEach((ref, b) => {
        const name = output ?? Object.keys(ref)[0];
        const f = ref[name];
        if (f === undefined) throw new QuantizeError({ where: 'top1Agreement', option: 'output', expected: `one of ${Object.keys(ref).join(', ')}`, actual: name }, 'no such output');
        const q = tensorOf(outputs, b, name, f);
        const width = f.dims.length === 0 ? 1 : f.dims[f.dims.length - 1];
        if (width === 0) return;
        const fd = f.data as ArrayLike<number>, qd = q.data as ArrayLike<number>;
        for (let r = 0; r + width <= fd.length; r += width) {
          rows++;
          if (argmax(fd, r, width) === argmax(qd, r, width)) same++;
        }
      });
      return rows === 0 ? 1 : same / rows;
    },
  };
}

function argmax(d: ArrayLike<number>, start: number, width: number): number {
  let best = -1, bestValue = -Infinity;
  for (let i = 0; i < width; i++) {
    const v = Number(d[start + i]);
    if (v > bestValue || (best < 0 && v === -Infinity)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

function tensorOf(outputs: ModelOutputs, batch: number, name: string, like: FeedTensor): FeedTensor {
  const t = outputs[batch]?.[name];
  if (t === undefined || t.data.length !== like.data.length) {
    throw new QuantizeError({ where: 'evaluator', option: `outputs[${batch}].${name}`, expected: `${like.data.length} values (as the float model gives)`, actual: t === undefined ? 'missing' : `${t.data.length}` }, 'the outputs to score do not match the float model\'s');
  }
  return t;
}

/** An Evaluator from a function (named `custom`) or an Evaluator as is. */
export function toEvaluator(e: Evaluator | EvaluateFn): Evaluator {
  return typeof e === 'function' ? { name: 'custom', evaluate: e } : e;
}
