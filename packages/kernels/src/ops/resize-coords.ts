/**
 * Per-axis sampling plans for Resize: for each output coordinate, the input indices and weights that produce it
 * (ONNX Resize reference semantics). Source coordinates are computed in float32, one rounding per operation.
 *
 * Coordinate transforms (x = output coordinate, s = scale, Lo = s * Li the float output length, Li input length):
 * half_pixel (x+0.5)/s-0.5; half_pixel_symmetric adds an offset Li/2 * (1 - Lo_int/(s*Li)); pytorch_half_pixel as
 * half_pixel but 0 when Lo_int <= 1; align_corners x*(Li-1)/(Lo-1) with the float Lo (0 when Lo == 1); asymmetric x/s;
 * tf_half_pixel_for_nearest (x+0.5)/s; tf_crop_and_resize start*(Li-1) + x*(end-start)*(Li-1)/(Lo_int-1), outside
 * [0, Li-1] -> extrapolation_value.
 * Weights: with base = ceil(x')-1 and ratio r = x' - base in (0, 1]: nearest picks base or base+1 by nearest_mode
 * (round_prefer_floor: r <= 0.5 -> base; round_prefer_ceil: r < 0.5 -> base; floor; ceil; an integer x' picks x');
 * linear uses taps base+i with weight max(0, 1-|i-r|*s'); cubic taps base+i with Keys' kernel (coefficient A) at
 * (i-r)*s'; s' = min(s, 1) when antialias, else 1, and antialias weights are normalized to sum 1. Taps outside
 * [0, Li) read the edge element, or, with exclude_outside, get weight 0 and the rest are renormalized.
 */
export interface Tap {
  readonly index: number;
  readonly weight: number;
}

/** Taps for one output coordinate; `null` means "extrapolate" (tf_crop_and_resize outside the input). */
export type AxisPlan = (readonly Tap[] | null)[];

export interface AxisSpec {
  readonly inLen: number;
  readonly outLen: number;
  readonly scale: number;
  readonly roiStart: number;
  readonly roiEnd: number;
}

export interface ResizeOptions {
  readonly mode: 'nearest' | 'linear' | 'cubic';
  readonly ctm: string;
  readonly nearestMode: string;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
}

function originalCoord(x: number, a: AxisSpec, ctm: string): number {
  // Float32 arithmetic, step by step, as both the ONNX reference (numpy float32 scalars) and onnxruntime compute
  // it: 3 / 0.6f is exactly 5 in float32 but 4.99999 in double, which flips a floor.
  const f = Math.fround;
  const s = a.scale; // a float32 from the scales input, or the exact size / input ratio for sizes
  const li = a.inLen;
  const outLen = a.outLen;
  const lo = f(s * li);
  const halfPixel = () => f(f(f(x + 0.5) / s) - 0.5);
  switch (ctm) {
    case 'half_pixel': return halfPixel();
    case 'half_pixel_symmetric': {
      const adj = f(outLen / lo);
      const center = f(li / 2);
      const offset = f(center * f(1 - adj));
      return f(offset + halfPixel());
    }
    case 'pytorch_half_pixel': return outLen > 1 ? halfPixel() : 0;
    case 'align_corners': return lo === 1 ? 0 : f(f(x * (li - 1)) / f(lo - 1));
    case 'asymmetric': return f(x / s);
    case 'tf_half_pixel_for_nearest': return f(f(x + 0.5) / s);
    case 'tf_crop_and_resize': {
      const st = f(a.roiStart);
      const en = f(a.roiEnd);
      return outLen > 1
        ? f(f(st * (li - 1)) + f(f(f(x * f(en - st)) * (li - 1)) / (outLen - 1)))
        : f(f(0.5 * f(st + en)) * (li - 1));
    }
    default: throw new RangeError(`unknown coordinate_transformation_mode "${ctm}"`);
  }
}

function cubicKernel(x: number, A: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

export function axisPlan(a: AxisSpec, o: ResizeOptions): AxisPlan {
  const plan: AxisPlan = [];
  const clamp = (i: number) => Math.min(Math.max(i, 0), a.inLen - 1);
  for (let x = 0; x < a.outLen; x++) {
    const xo = originalCoord(x, a, o.ctm);
    if (o.ctm === 'tf_crop_and_resize' && (xo < 0 || xo > a.inLen - 1)) {
      plan.push(null);
      continue;
    }
    const base = Math.ceil(xo) - 1;
    const r = xo - base;
    if (o.mode === 'nearest') {
      let pick: number;
      if (Number.isInteger(xo)) pick = xo;
      else if (o.nearestMode === 'round_prefer_ceil') pick = r < 0.5 ? base : base + 1;
      else if (o.nearestMode === 'floor') pick = base;
      else if (o.nearestMode === 'ceil') pick = base + 1;
      else pick = r <= 0.5 ? base : base + 1;
      plan.push([{ index: clamp(pick), weight: 1 }]);
      continue;
    }
    const s = o.antialias ? Math.min(a.scale, 1) : 1;
    const taps: { index: number; weight: number; inside: boolean }[] = [];
    if (o.mode === 'linear') {
      const start = Math.floor(-1 / s) + 1;
      for (let i = start; i < 2 - start; i++) taps.push({ index: base + i, weight: Math.max(0, Math.min(1, 1 - Math.abs((i - r) * s))), inside: true });
    } else {
      const start = Math.floor(-2 / s) + 1;
      for (let i = start; i < 2 - start; i++) taps.push({ index: base + i, weight: cubicKernel((i - r) * s, o.cubicA), inside: true });
    }
    if (o.antialias) {
      const sum = taps.reduce((p, t) => p + t.weight, 0);
      for (const t of taps) t.weight /= sum;
    }
    for (const t of taps) t.inside = t.index >= 0 && t.index < a.inLen;
    if (o.excludeOutside) {
      let sum = 0;
      for (const t of taps) {
        if (!t.inside) t.weight = 0;
        sum += t.weight;
      }
      for (const t of taps) t.weight /= sum;
    }
    plan.push(taps.filter((t) => t.weight !== 0).map((t) => ({ index: clamp(t.index), weight: t.weight })));
  }
  return plan;
}
