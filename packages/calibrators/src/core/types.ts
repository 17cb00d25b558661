/**
 * The float tensor a calibrator observes. Structurally compatible with the kernels/runtime `Tensor` for float32
 * (`dtype` is optional here so plain objects work in tests and workers).
 */
export interface TensorLike {
  readonly dtype?: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * The result of calibration for one tensor. `axis === null` means per-tensor and the arrays have one entry; otherwise
 * entry `c` is the range of channel `c` along `axis`. `mean` and `std` are present for the distribution method.
 * Invariants (checked by the property tests): no NaN, `min[c] <= max[c]`, and `min[c] <= 0 <= max[c]` unless the spec
 * set `includeZero: false`; `min[c] === -max[c]` when the spec is symmetric.
 */
export interface Range {
  readonly axis: number | null;
  readonly min: readonly number[];
  readonly max: readonly number[];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

/** Options every built-in method understands. */
export interface RangeSpec {
  /** Per-channel along this axis (negative counts from the end); null or absent: per-tensor. */
  readonly axis?: number | null;
  /** Return `[-a, a]` with `a = max(|min|, |max|)`. Default false. */
  readonly symmetric?: boolean;
  /** Widen the range to contain 0 (what QuantizeLinear needs so 0 is exact). Default true. */
  readonly includeZero?: boolean;
}

/**
 * Mergeable calibration statistics (a monoid per spec):
 * - `init(spec)` is the identity: `merge(init(spec), s)` equals `s` and `merge(s, init(spec))` equals `s`;
 * - `merge` is associative;
 * - folding `observe` over a sequence of batches equals merging the folds of any split of that sequence
 *   (`observe*(a ++ b) == merge(observe*(a), observe*(b))`), which makes sharding and resuming exact.
 * `observe` and `merge` never mutate their arguments. `decode(encode(s))` equals `s`; `decode` of bytes that are not
 * a state of this kind throws `CalibrationError`.
 */
export interface Calibrator<S, Spec = unknown> {
  readonly kind: string;
  init(spec: Spec): S;
  observe(s: S, batch: TensorLike): S;
  merge(a: S, b: S): S;
  computeRange(s: S): Range;
  encode(s: S): Uint8Array;
  decode(b: Uint8Array): S;
}

/** The min-max range a first pass found, used to fix histogram bin edges in `init` (see the two-pass protocol). */
export interface PrepassRange {
  readonly min: readonly number[];
  readonly max: readonly number[];
}
