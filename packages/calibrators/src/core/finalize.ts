import type { BaseSpec } from './spec.js';
import type { Range } from './types.js';

/**
 * Turns raw per-channel bounds into a `Range`: a channel with no finite observation (bounds not finite or
 * `lo > hi`) becomes `[0, 0]`; with `includeZero` the bounds widen to contain 0; with `symmetric` they become
 * `[-a, a]`, `a = max(|lo|, |hi|)`. Example: raw `[0.5, 2]`, includeZero -> `[0, 2]`; symmetric -> `[-2, 2]`.
 */
export function finalizeRange(spec: BaseSpec, lo: ArrayLike<number>, hi: ArrayLike<number>, extra: Partial<Pick<Range, 'mean' | 'std'>> = {}): Range {
  const n = lo.length;
  const min = new Array<number>(n);
  const max = new Array<number>(n);
  for (let c = 0; c < n; c++) {
    let a = lo[c];
    let b = hi[c];
    if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) {
      a = 0;
      b = 0;
    }
    if (spec.includeZero || spec.symmetric) {
      a = Math.min(a, 0);
      b = Math.max(b, 0);
    }
    if (spec.symmetric) {
      const m = Math.max(-a, b);
      a = -m;
      b = m;
    }
    min[c] = a + 0;
    max[c] = b + 0;
  }
  return { axis: spec.axis, min, max, ...extra };
}
