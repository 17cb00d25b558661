/**
 * Multidirectional (numpy) broadcasting of static shapes, the one rule for every package that reasons about shapes
 * before run time (static shape inference here, the runtime's plans, the rewriters' passes). The kernels apply the
 * same law to concrete dims at run time with their own `broadcastShapes` (kernels may not depend on onnx-ir).
 */
import type { Dim } from './types.js';

/** A static shape: one Dim per axis (a number, a dim_param symbol, or null for unknown). */
export type Shape = readonly Dim[];

/** Two known dims (or ranks) contradict each other; `inputIndex` names the input that disagrees, when one does. */
export class ShapeConflict extends Error {
  constructor(message: string, readonly inputIndex?: number) {
    super(message);
    this.name = 'ShapeConflict';
  }
}

const known = (d: Dim): d is number => typeof d === 'number';

/**
 * The broadcast of `shapes`: shapes are right-aligned, a missing leading axis counts as 1, a 1 stretches to the
 * other dim, equal dims stay. A known dim wins over a symbol or unknown (the symbol must then equal it, or be 1);
 * two different symbols give unknown. Two different known dims, neither 1, throw ShapeConflict naming the input.
 */
export function broadcastShapes(shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const [k, s] of shapes.entries()) {
      const j = s.length - rank + i;
      const e: Dim = j < 0 ? 1 : s[j];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (known(d) && known(e)) {
        if (d !== e) throw new ShapeConflict(`cannot broadcast dimension ${e} (input[${k}]) against ${d}`, k);
      } else if (d !== e) d = known(e) ? e : known(d) ? d : null;
    }
    out.push(d);
  }
  return out;
}
