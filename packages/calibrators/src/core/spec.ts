import { CalibrationError } from './errors.js';
import type { PrepassRange, RangeSpec } from './types.js';

/** The resolved common options a state carries (absent options filled with their defaults). */
export interface BaseSpec {
  readonly axis: number | null;
  readonly symmetric: boolean;
  readonly includeZero: boolean;
}

export function baseSpec(kind: string, spec: RangeSpec | undefined): BaseSpec {
  const axis = spec?.axis ?? null;
  if (axis !== null && !Number.isInteger(axis)) {
    throw new CalibrationError(`${kind}: axis must be an integer or null, got ${String(axis)}`, { kind, actual: String(axis) });
  }
  return { axis, symmetric: spec?.symmetric ?? false, includeZero: spec?.includeZero ?? true };
}

/** A positive integer option with a default. */
export function positiveInt(kind: string, name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x <= 0) throw new CalibrationError(`${kind}: ${name} must be a positive integer, got ${String(v)}`, { kind, actual: String(v) });
  return x;
}

/** A finite number option with a default, optionally bounded to [lo, hi]. */
export function finiteNumber(kind: string, name: string, v: number | undefined, dflt: number, lo = -Infinity, hi = Infinity): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi) {
    throw new CalibrationError(`${kind}: ${name} must be a finite number in [${lo}, ${hi}], got ${String(v)}`, { kind, actual: String(v) });
  }
  return x;
}

/** Validates the first-pass range that fixes histogram edges: equal-length arrays of finite numbers, min <= max. */
export function prepassRange(kind: string, r: PrepassRange | undefined): { min: number[]; max: number[] } {
  if (!r || !Array.isArray(r.min) || !Array.isArray(r.max) || r.min.length !== r.max.length || r.min.length === 0) {
    throw new CalibrationError(
      `${kind}: spec.range must hold equal-length, non-empty min and max arrays from a min-max first pass (see the two-pass protocol)`,
      { kind, expected: '{ min: number[], max: number[] }' },
    );
  }
  for (let c = 0; c < r.min.length; c++) {
    const lo = r.min[c];
    const hi = r.max[c];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      throw new CalibrationError(`${kind}: spec.range channel ${c} is [${lo}, ${hi}], expected finite min <= max`, { kind, actual: `[${lo}, ${hi}]` });
    }
  }
  return { min: [...r.min], max: [...r.max] };
}

/** True when two plain-data specs are the same (states with different specs cannot merge). */
export function sameSpec(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function requireSameSpec(kind: string, a: unknown, b: unknown): void {
  if (!sameSpec(a, b)) {
    throw new CalibrationError(`${kind}: cannot merge states made with different specs: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`, {
      kind, expected: JSON.stringify(a), actual: JSON.stringify(b),
    });
  }
}

/**
 * Re-resolves a decoded spec through the method's own validation and insists it comes back unchanged, so a
 * tampered or foreign spec is a `CalibrationError` rather than a state that silently means something else.
 */
export function decodeSpec<T>(kind: string, raw: unknown, resolve: (x: unknown) => T): T {
  let spec: T;
  try {
    spec = resolve(raw);
  } catch (cause) {
    throw new CalibrationError(`${kind}: cannot decode state: invalid spec ${JSON.stringify(raw)}`, { kind }, cause);
  }
  if (JSON.stringify(spec) !== JSON.stringify(raw)) {
    throw new CalibrationError(`${kind}: cannot decode state: spec ${JSON.stringify(raw)} is not in resolved form`, { kind });
  }
  return spec;
}
