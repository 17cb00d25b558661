import { addTo, type Expansion } from './exact-sum.js';

/**
 * Fast exact accumulation of `Σx` and `Σx²` over float32 values, feeding `exact-sum.ts` expansions.
 *
 * A float32 with biased exponent field `e` (0 for subnormals, treated as 1) is `±m 2^(max(e,1) - 150)` with an
 * integer `m < 2^24`, and its square is a multiple of `2^(2 (max(e,1) - 150))` with `m² < 2^48`. So up to 32 values
 * of one exponent class sum *exactly* in a float64 (`32 m² < 2^53`), for both `x` and `x²`. Each channel keeps 256
 * such accumulators per statistic and spills a class into the expansion every 32 values (and at the end), so
 * the expensive exact addition runs once per 32 values instead of once per value, and the result is still exact.
 */
export class ExponentBuckets {
  private readonly s1 = new Float64Array(256);
  private readonly s2 = new Float64Array(256);
  private readonly n = new Uint8Array(256);

  constructor(private readonly sum: Expansion, private readonly sumSq: Expansion) {}

  /** Adds finite float32 `x` whose float32 bit pattern is `bits`. */
  add(x: number, bits: number): void {
    const e = (bits >>> 23) & 0xff;
    this.s1[e] += x;
    this.s2[e] += x * x;
    if (++this.n[e] === 32) this.spill(e);
  }

  private spill(e: number): void {
    if (this.s1[e] !== 0) addTo(this.sum, this.s1[e]);
    if (this.s2[e] !== 0) addTo(this.sumSq, this.s2[e]);
    this.s1[e] = 0;
    this.s2[e] = 0;
    this.n[e] = 0;
  }

  /** Spills every class; the expansions then hold the exact sums of everything added. */
  flush(): void {
    for (let e = 0; e < 256; e++) if (this.n[e] !== 0) this.spill(e);
  }
}
