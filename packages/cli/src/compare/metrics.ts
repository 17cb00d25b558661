import { invariant } from '@lowbit/onnx-ir';

/**
 * Error metrics between a reference signal `r` (the float model) and a test signal `q` (the quantized model), summed
 * in float64 over every element of every sample, so the numbers do not depend on how the data was batched:
 *
 * - SQNR (dB) = 10 * log10( sum(r^2) / sum((r - q)^2) ).
 *   Edge cases: no error at all (sum((r-q)^2) = 0, including an all-zero reference) is `+Infinity` ("identical");
 *   an all-zero reference with a non-zero error is `-Infinity` ("zero-signal"); no elements at all is `NaN`
 *   ("no-data"). Text output prints `inf`, `-inf`, `n/a`; JSON writes `sqnrDb: null` plus `sqnrNote` (see
 *   {@link sqnrJson}), since JSON has no infinities.
 * - cosine similarity = sum(r*q) / (sqrt(sum(r^2)) * sqrt(sum(q^2))), clamped to [-1, 1]. Identical signals (no
 *   error, both all zero included): exactly 1; exactly one of them all zero: 0.
 * - max abs error = max |r - q| (0 for no elements).
 * - non-finite elements: a pair where r or q is NaN or +-Infinity is left out of every sum and counted in `nonFinite`.
 *
 * Worked example: r = [3, 4], q = [3, 3]. sum(r^2) = 25, sum((r-q)^2) = 1, SQNR = 10*log10(25) = 13.979 dB;
 * sum(r*q) = 21, |r| = 5, |q| = sqrt(18), cosine = 21 / (5 * 4.2426) = 0.98995; max abs error = 1.
 */
export interface ErrorMetrics {
  /** Finite element pairs summed. */
  readonly elements: number;
  /** Pairs left out because r or q was NaN or infinite. */
  readonly nonFinite: number;
  readonly sqnrDb: number;
  readonly cosine: number;
  readonly maxAbsError: number;
}

/** Streaming form of {@link errorMetrics}: `add` batches in any split, then `result()`; memory is O(1). */
export class ErrorAccumulator {
  private elements = 0;
  private nonFinite = 0;
  private sumRefSq = 0;
  private sumErrSq = 0;
  private sumDot = 0;
  private sumTestSq = 0;
  private maxAbs = 0;

  /** Adds one batch of element pairs (equal lengths; the caller checks shapes). */
  add(ref: ArrayLike<number>, test: ArrayLike<number>): void {
    invariant(ref.length === test.length, `metric batch lengths differ: ${ref.length} vs ${test.length}`);
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i];
      const q = test[i];
      if (!Number.isFinite(r) || !Number.isFinite(q)) {
        this.nonFinite++;
        continue;
      }
      const e = r - q;
      this.elements++;
      this.sumRefSq += r * r;
      this.sumErrSq += e * e;
      this.sumDot += r * q;
      this.sumTestSq += q * q;
      const a = Math.abs(e);
      if (a > this.maxAbs) this.maxAbs = a;
    }
  }

  result(): ErrorMetrics {
    return {
      elements: this.elements,
      nonFinite: this.nonFinite,
      sqnrDb: sqnrFromSums(this.elements, this.sumRefSq, this.sumErrSq),
      // identical signals are exactly 1 (sqrt(a)*sqrt(a) may round one ulp away from a)
      cosine: this.sumErrSq === 0 ? 1 : cosineFromSums(this.sumDot, this.sumRefSq, this.sumTestSq),
      maxAbsError: this.maxAbs,
    };
  }
}

/** SQNR in dB from the two float64 sums; the edge cases are those of {@link ErrorMetrics}. */
export function sqnrFromSums(elements: number, sumRefSq: number, sumErrSq: number): number {
  if (elements === 0) return Number.NaN;
  if (sumErrSq === 0) return Number.POSITIVE_INFINITY;
  if (sumRefSq === 0) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(sumRefSq / sumErrSq);
}

/** Cosine similarity from the float64 sums r*q, r^2, q^2; the edge cases are those of {@link ErrorMetrics}. */
export function cosineFromSums(sumDot: number, sumRefSq: number, sumTestSq: number): number {
  if (sumRefSq === 0 && sumTestSq === 0) return 1;
  if (sumRefSq === 0 || sumTestSq === 0) return 0;
  const c = sumDot / (Math.sqrt(sumRefSq) * Math.sqrt(sumTestSq));
  return Math.min(1, Math.max(-1, c));
}

/** One-shot metrics over two equal-length arrays (see {@link ErrorMetrics}). */
export function errorMetrics(ref: ArrayLike<number>, test: ArrayLike<number>): ErrorMetrics {
  const acc = new ErrorAccumulator();
  acc.add(ref, test);
  return acc.result();
}

/**
 * Top-1 agreement for a tensor whose last axis holds class scores: the tensor is read as rows of `classes`
 * elements (row-major, so the last axis is contiguous), and a row agrees when argmax(r_row) = argmax(q_row).
 * argmax takes the first index of the largest value (as numpy does); NaN never wins (an all-NaN row has argmax -1,
 * so two all-NaN rows agree). Meaningful only for `classes > 1`.
 *
 * Worked example: classes = 3, r = [0.1, 0.7, 0.2, 0.5, 0.4, 0.1], q = [0.2, 0.6, 0.2, 0.3, 0.6, 0.1]:
 * row 0 argmax 1 vs 1 (agree), row 1 argmax 0 vs 1 (disagree): 1 of 2 rows, rate 0.5.
 */
export interface Top1Metrics {
  readonly rows: number;
  readonly agree: number;
  /** agree / rows; NaN when rows = 0. */
  readonly rate: number;
}

/** Streaming form of {@link top1Agreement}. */
export class Top1Accumulator {
  private rows = 0;
  private agree = 0;

  add(ref: ArrayLike<number>, test: ArrayLike<number>, classes: number): void {
    invariant(ref.length === test.length, `top-1 batch lengths differ: ${ref.length} vs ${test.length}`);
    invariant(Number.isInteger(classes) && classes > 0 && ref.length % classes === 0, `top-1: ${ref.length} elements are not rows of ${classes}`);
    for (let start = 0; start < ref.length; start += classes) {
      this.rows++;
      if (argmax(ref, start, classes) === argmax(test, start, classes)) this.agree++;
    }
  }

  result(): Top1Metrics {
    return { rows: this.rows, agree: this.agree, rate: this.rows === 0 ? Number.NaN : this.agree / this.rows };
  }
}

/** One-shot top-1 agreement (see {@link Top1Metrics}). */
export function top1Agreement(ref: ArrayLike<number>, test: ArrayLike<number>, classes: number): Top1Metrics {
  const acc = new Top1Accumulator();
  acc.add(ref, test, classes);
  return acc.result();
}

/** Index (relative to `start`) of the first largest non-NaN value of `a[start .. start+n)`, or -1 if all NaN. */
export function argmax(a: ArrayLike<number>, start: number, n: number): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = a[start + i];
    if (Number.isNaN(v)) continue;
    if (best < 0 || v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/** How an SQNR value is written in JSON: a finite number, or null with the reason. */
export type SqnrNote = 'identical' | 'zero-signal' | 'no-data';
export function sqnrJson(db: number): { sqnrDb: number | null; sqnrNote?: SqnrNote } {
  if (Number.isFinite(db)) return { sqnrDb: db };
  if (db === Number.POSITIVE_INFINITY) return { sqnrDb: null, sqnrNote: 'identical' };
  if (db === Number.NEGATIVE_INFINITY) return { sqnrDb: null, sqnrNote: 'zero-signal' };
  return { sqnrDb: null, sqnrNote: 'no-data' };
}

/** How an SQNR value is printed: two decimals, `inf`, `-inf`, or `n/a`. */
export function formatDb(db: number): string {
  if (Number.isFinite(db)) return db.toFixed(2);
  if (db === Number.POSITIVE_INFINITY) return 'inf';
  if (db === Number.NEGATIVE_INFINITY) return '-inf';
  return 'n/a';
}
