/**
 * Exact floating-point summation, so that sums (and therefore means and standard deviations) do not depend on the
 * order in which batches arrive or how they are split over workers.
 *
 * A sum is held as a non-overlapping expansion (Shewchuk, "Adaptive Precision Floating-Point Arithmetic", 1997):
 * an array of float64 whose exact real sum is the value. `addTo` uses the two-sum error-free transformation, so no
 * rounding ever happens while adding. `canonical` rewrites an expansion into the unique sequence
 * `h1 = round(V), h2 = round(V - h1), ...` (round to nearest, ties to even), stored smallest first; two expansions
 * with the same exact value therefore compare equal element by element, which is what makes the calibrator
 * states of `distribution` and `distiller` exactly mergeable.
 *
 * Inputs are finite; float32 values and their squares are exact in float64 (24-bit significands square to 48 bits),
 * so `Σx` and `Σx²` over float32 data are computed without any rounding until `valueOf` rounds once.
 * Example: adding 1e16, 1, -1e16 gives the expansion [1] (naive float64 summation gives 0).
 */
export type Expansion = number[];

/** Adds finite `x` into the expansion `p` in place (grow-expansion with zero elimination). */
export function addTo(p: Expansion, x: number): void {
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j];
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  p.length = i;
  if (x !== 0) p.push(x);
}

/**
 * The exact value of `p` rounded once to the nearest float64 (ties to even), as Python's `math.fsum` finishes.
 * `p` must be non-overlapping and sorted by increasing magnitude, as `addTo` leaves it.
 */
export function valueOf(p: Expansion): number {
  let n = p.length;
  if (n === 0) return 0;
  let hi = p[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Correct a double rounding: when the dropped tail has the same sign as lo, the half-way case must round away.
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    const yr = x - hi;
    if (y === yr) hi = x;
  }
  return hi;
}

/** The canonical expansion of the same exact value (see the file comment). */
export function canonical(p: Expansion): Expansion {
  const rest = p.slice();
  const out: number[] = [];
  for (let guard = 0; rest.length > 0 && guard < 64; guard++) {
    const h = valueOf(rest);
    if (h === 0) break;
    out.push(h);
    addTo(rest, -h);
  }
  return out.reverse();
}

/** Exact sum of two expansions, canonical. */
export function addExpansions(a: Expansion, b: Expansion): Expansion {
  const p = a.slice();
  for (const x of b) addTo(p, x);
  return canonical(p);
}
