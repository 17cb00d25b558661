/**
 * The kernel-equivalence harness: runs every variant of a kernel key against the scalar reference of that key.
 *
 * Three sweeps, all driven by a caller-supplied `build(size, values)` that turns a size class into a node and its
 * inputs (the harness knows nothing about op shapes):
 * 1. Size classes around the tile T (the largest `tile` among the variants, default 8):
 *    0, 1, T-1, T, T+1, 2T, 7T+3 and the smallest prime above 3T.
 * 2. Layouts for each size: every input as a fresh aligned array, and as a subarray view at an odd element offset
 *    inside a larger buffer full of poison values (so byteOffset is misaligned for SIMD and reading outside the view
 *    shows up). Outputs come from a RunContext that hands out the same kind of poisoned, offset views, so a variant
 *    that does not write every element, or assumes a zeroed buffer, fails.
 * 3. A fast-check property: random size class (up to 2T+1) and a drawn pool of values biased to the edges: NaN,
 *    +-Infinity, -0, exact .5 ties (0.5, 1.5, 2.5, -2.5 ...), the dtype's saturation edges (0/255, -128/127, ...),
 *    the largest finite values and subnormals.
 *
 * Outputs are compared with each variant's declared tolerance: `exact` (bitwise for floats, so -0 differs from 0,
 * while any NaN equals any NaN), `{ ulp }` (distance in units in the last place of the output dtype, infinities must
 * match) or `{ rtol, atol }`. Inputs must come back unmodified.
 *
 * A failure throws an EquivalenceError whose message names key, variant, the seed (re-run with `seed`) and the first
 * three mismatching cases (size, layout, output, element, expected vs actual).
 */
import fc from 'fast-check';
import type { DType, KernelNode, KernelRegistry, KernelVariant, RunContext, Tensor, Tolerance } from '@lowbit/kernels';
import { Tensor as TensorClass, allocData, sizeOf } from '@lowbit/kernels';

/** One call of a kernel: the node it is created for and its inputs. */
export interface EquivalenceCase {
  readonly node: KernelNode;
  readonly inputs: readonly (Tensor | null)[];
}

/** Draws element values (in the dtype's storage convention) with a bias to edge values. */
export interface ValueSource {
  /** One element value for `dtype`. */
  next(dtype: DType): number | bigint;
  /**
   * A tensor of `dims` filled with `next(dtype)`. With `finite`, float values that are NaN, infinite or beyond 2^20 in
   * magnitude are replaced by uniform ones (ties, -0 and subnormals stay): for float variants whose reordered sums
   * may legitimately overflow differently from the reference.
   */
  tensor<D extends DType>(dtype: D, dims: readonly number[], opts?: { readonly finite?: boolean }): Tensor<D>;
}

export interface EquivalenceOptions {
  readonly registry: KernelRegistry;
  readonly key: string;
  /** Node and inputs for a size class. Draw every value from `values` so the sweeps can steer them. */
  readonly build: (size: number, values: ValueSource) => EquivalenceCase;
  /** Name of the reference variant (default `scalar`). */
  readonly reference?: string;
  /** Size classes to use instead of the ones derived from the tile. */
  readonly sizes?: readonly number[];
  /** fast-check runs of the value property (default 100). */
  readonly numRuns?: number;
  /** Seed of the deterministic sweeps and of fast-check (default: random, printed on failure). */
  readonly seed?: number;
}

export interface EquivalenceReport {
  readonly key: string;
  readonly variants: readonly string[];
  /** Number of (variant, case) comparisons made. */
  readonly comparisons: number;
  readonly seed: number;
}

export class EquivalenceError extends Error {
  readonly key: string;
  readonly variant: string;
  readonly seed: number;
  readonly mismatches: readonly string[];
  constructor(key: string, variant: string, seed: number, mismatches: readonly string[], extra = '') {
    super(`kernel equivalence "${key}": variant "${variant}" differs from the reference (seed ${seed}${extra}); first ${mismatches.length} mismatch(es):\n  ${mismatches.join('\n  ')}`);
    this.name = 'EquivalenceError';
    this.key = key;
    this.variant = variant;
    this.seed = seed;
    this.mismatches = mismatches;
  }
}

/** The size classes around a tile T: 0, 1, T-1, T, T+1, 2T, 7T+3 and the smallest prime above 3T (deduplicated). */
export function sizeClasses(tile: number): number[] {
  const t = Math.max(1, Math.floor(tile));
  let p = 3 * t + 1;
  while (!isPrime(p)) p++;
  return [...new Set([0, 1, t - 1, t, t + 1, 2 * t, 7 * t + 3, p])].filter((n) => n >= 0).sort((a, b) => a - b);
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

// ---- values --------------------------------------------------------------------------------------------------

/** Edge values per dtype (storage convention). Small floats formats are drawn as raw bit patterns. */
const EDGES: Partial<Record<DType, readonly (number | bigint)[]>> = {
  float32: [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, 255.5, -128.5, 127.5],
  float64: [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -0.5, -2.5, 1, -1, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1022, 255.5, -128.5],
  int8: [-128, 127, 0, -1, 1, -127],
  uint8: [0, 255, 128, 127, 1, 254],
  int16: [-32768, 32767, 0, -1, 1],
  uint16: [0, 65535, 32768, 1],
  int32: [-2147483648, 2147483647, 0, -1, 1],
  uint32: [0, 4294967295, 2147483648, 1],
  int64: [0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n],
  uint64: [0n, 1n, 18446744073709551615n],
  bool: [0, 1],
  int4: [-8, 7, 0, -1],
  uint4: [0, 15, 8, 1],
  int2: [-2, 1, 0, -1],
  uint2: [0, 3, 1, 2],
  float16: [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3800, 0x3e00, 0x4100, 0x7bff, 0x0001],
  bfloat16: [0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x3f00, 0x3fc0],
};

/** A uniform value of `dtype` from u in [0, 1). Floats: within +-64, half of them on a multiple of 0.5. */
function uniform(dtype: DType, u: number, v: number): number | bigint {
  switch (dtype) {
    case 'float32':
    case 'float64': {
      const x = (u * 2 - 1) * 64;
      return v < 0.5 ? Math.floor(x * 2) / 2 : dtype === 'float32' ? Math.fround(x) : x;
    }
    case 'int8': return Math.floor(u * 256) - 128;
    case 'uint8': case 'bool': return dtype === 'bool' ? (u < 0.5 ? 0 : 1) : Math.floor(u * 256);
    case 'int16': return Math.floor(u * 65536) - 32768;
    case 'uint16': case 'float16': case 'bfloat16': return Math.floor(u * 65536);
    case 'int32': return Math.floor(u * 2 ** 32) - 2 ** 31;
    case 'uint32': return Math.floor(u * 2 ** 32);
    case 'int64': return BigInt(Math.floor(u * 2 ** 40) - 2 ** 39);
    case 'uint64': return BigInt(Math.floor(u * 2 ** 40));
    case 'int4': return Math.floor(u * 16) - 8;
    case 'uint4': return Math.floor(u * 16);
    case 'int2': return Math.floor(u * 4) - 2;
    case 'uint2': return Math.floor(u * 4);
    case 'string': throw new TypeError('equivalence: string tensors are not supported');
    default: return Math.floor(u * 256); // float8 / float4 kinds: any bit pattern
  }
}

/** A value drawn by the property: an edge (index into EDGES) or uniform coordinates. */
type Draw = { readonly edge: number } | { readonly u: number; readonly v: number };

const drawArb: fc.Arbitrary<Draw> = fc.oneof(
  { weight: 1, arbitrary: fc.nat(31).map((edge) => ({ edge })) },
  { weight: 2, arbitrary: fc.record({ u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), v: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }) },
);

function valueOf(dtype: DType, d: Draw): number | bigint {
  if ('edge' in d) {
    const e = EDGES[dtype];
    if (e && e.length > 0) return e[d.edge % e.length];
    return uniform(dtype, (d.edge % 16) / 16, 0.9);
  }
  return uniform(dtype, d.u, d.v);
}

/** A ValueSource cycling through `draws` (the property) — position-dependent so equal draws still vary by index. */
function sourceFromDraws(draws: readonly Draw[]): ValueSource {
  let k = 0;
  return makeSource((dtype) => {
    const d = draws[k % draws.length];
    const lap = Math.floor(k / draws.length);
    k++;
    if (lap === 0 || 'edge' in d) return valueOf(dtype, d);
    return valueOf(dtype, { u: (d.u + lap * 0.6180339887) % 1, v: d.v });
  });
}

/** A seeded ValueSource (mulberry32), 1 in 4 values an edge. */
function seededSource(seed: number): ValueSource {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return makeSource((dtype) => (rand() < 0.25 ? valueOf(dtype, { edge: Math.floor(rand() * 32) }) : valueOf(dtype, { u: rand(), v: rand() })));
}

function makeSource(next: (dtype: DType) => number | bigint): ValueSource {
  return {
    next,
    tensor<D extends DType>(dtype: D, dims: readonly number[], opts?: { readonly finite?: boolean }): Tensor<D> {
      const n = sizeOf(dims);
      const data = allocData(dtype, n) as unknown as { [i: number]: number | bigint };
      const tame = opts?.finite === true && (dtype === 'float32' || dtype === 'float64');
      for (let i = 0; i < n; i++) {
        const x = next(dtype);
        data[i] = tame && !(Math.abs(x as number) <= 2 ** 20) ? uniform(dtype, ((i * 0.6180339887) % 1), 0.2) : x;
      }
      return new TensorClass(dtype, data as never, dims);
    },
  };
}

// ---- layouts -------------------------------------------------------------------------------------------------

type Layout = 'aligned' | 'offset';

const POISON_INT = 0x5a;

/** A copy of `t` whose storage is a view at an odd element offset inside a larger poisoned buffer. */
function offsetView<D extends DType>(t: Tensor<D>, offset: number): Tensor<D> {
  if (t.dtype === 'string') return t;
  const n = t.data.length;
  const big = allocData(t.dtype, n + offset + 5) as unknown as { fill(v: unknown): void; subarray(a: number, b: number): unknown; set(src: unknown, at: number): void };
  big.fill(poisonFor(t.dtype));
  big.set(t.data, offset);
  return new TensorClass(t.dtype, big.subarray(offset, offset + n) as never, t.dims);
}

function poisonFor(dtype: DType): number | bigint {
  if (dtype === 'float32' || dtype === 'float64') return NaN;
  if (dtype === 'int64' || dtype === 'uint64') return 0x5a5a5a5an;
  return POISON_INT;
}

/** A RunContext whose buffers are poisoned views at an odd offset (or fresh poisoned arrays for 'aligned'). */
function poisonContext(layout: Layout): RunContext {
  return {
    alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
      const n = sizeOf(dims);
      const t = new TensorClass(dtype, allocData(dtype, n), dims);
      if (dtype === 'string') return t;
      if (layout === 'aligned') {
        (t.data as unknown as { fill(v: unknown): void }).fill(poisonFor(dtype));
        return t;
      }
      return offsetView(t, 3);
    },
  };
}

// ---- comparison ----------------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Position of a float on the ordered integer line (so adjacent floats differ by 1). */
function ordered(dtype: DType, x: number): number {
  if (dtype === 'float16' || dtype === 'bfloat16') return x & 0x8000 ? -(x & 0x7fff) : x;
  if (dtype === 'float64') {
    f64[0] = x;
    const b = i64[0];
    return Number(b < 0n ? -(b & 0x7fffffffffffffffn) : b);
  }
  f32[0] = x;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

function isNaNOf(dtype: DType, x: number): boolean {
  if (dtype === 'float16') return (x & 0x7c00) === 0x7c00 && (x & 0x3ff) !== 0;
  if (dtype === 'bfloat16') return (x & 0x7f80) === 0x7f80 && (x & 0x7f) !== 0;
  return Number.isNaN(x);
}

const FLOATS: ReadonlySet<DType> = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);

/** Undefined when `actual` matches `expected` under `tol`, else a short description of the first difference. */
export function compareOutput(expected: Tensor, actual: Tensor, tol: Tolerance): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.dims.join(',') !== expected.dims.join(',')) return `dims [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  const e = expected.data as ArrayLike<number | bigint | string>;
  const a = actual.data as ArrayLike<number | bigint | string>;
  const float = FLOATS.has(expected.dtype);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (!float || typeof x !== 'number' || typeof y !== 'number') {
      if (x !== y) return `element ${i}: ${String(x)}, expected ${String(y)}`;
      continue;
    }
    const xn = isNaNOf(expected.dtype, x);
    const yn = isNaNOf(expected.dtype, y);
    if (xn || yn) {
      if (xn !== yn) return `element ${i}: ${show(expected.dtype, x)}, expected ${show(expected.dtype, y)}`;
      continue;
    }
    let ok: boolean;
    if (tol === 'exact') ok = Object.is(x, y);
    else if ('ulp' in tol) ok = Math.abs(ordered(expected.dtype, x) - ordered(expected.dtype, y)) <= tol.ulp;
    else ok = x === y || Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y);
    if (!ok) return `element ${i}: ${show(expected.dtype, x)}, expected ${show(expected.dtype, y)}`;
  }
  return undefined;
}

function show(dtype: DType, x: number): string {
  if (dtype === 'float16' || dtype === 'bfloat16') return `0x${x.toString(16).padStart(4, '0')}`;
  return Object.is(x, -0) ? '-0' : String(x);
}

// ---- the harness ---------------------------------------------------------------------------------------------

function snapshot(inputs: readonly (Tensor | null)[]): unknown[][] {
  return inputs.map((t) => (t ? Array.from(t.data as ArrayLike<unknown>) : []));
}

function describeInputs(c: EquivalenceCase): string {
  const show1 = (t: Tensor | null) => {
    if (!t) return 'null';
    const vals = Array.from(t.data as ArrayLike<number | bigint>).slice(0, 6).map((v) => (Object.is(v, -0) ? '-0' : String(v)));
    return `${t.dtype}[${t.dims.join(',')}]{${vals.join(',')}${t.data.length > 6 ? ',...' : ''}}`;
  };
  return c.inputs.map(show1).join(' ');
}

/** Runs reference and variant on one case; returns mismatch descriptions (empty when equivalent). */
function checkCase(ref: KernelVariant, v: KernelVariant, c: EquivalenceCase, layout: Layout, where: string): string[] {
  const inputs = layout === 'aligned' ? c.inputs : c.inputs.map((t) => (t ? offsetView(t, 1) : null));
  const before = snapshot(inputs);
  const expected = ref.create(c.node).run(c.inputs, poisonContext('aligned'));
  let actual: (Tensor | null)[];
  try {
    actual = v.create(c.node).run(inputs, poisonContext(layout));
  } catch (e) {
    return [`${where} ${layout}: threw ${(e as Error).message}; inputs ${describeInputs(c)}`];
  }
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`${where} ${layout}: ${actual.length} outputs, expected ${expected.length}`);
  for (let k = 0; k < expected.length; k++) {
    const ex = expected[k];
    const ac = actual[k];
    if (!ex || !ac) {
      if (ex !== ac) out.push(`${where} ${layout}: output ${k} ${ac ? 'present' : 'missing'}, reference ${ex ? 'present' : 'missing'}`);
      continue;
    }
    const msg = compareOutput(ex, ac, v.tolerance);
    if (msg) out.push(`${where} ${layout}: output ${k} ${msg}; inputs ${describeInputs(c)}`);
  }
  const after = snapshot(inputs);
  after.forEach((vals, i) => {
    if (vals.some((x, j) => !Object.is(x, before[i][j]))) out.push(`${where} ${layout}: input ${i} was modified`);
  });
  return out;
}

/**
 * Checks every non-reference variant of `key` against the reference. Throws EquivalenceError on the first variant
 * that differs (message: seed and first three mismatches); returns a report otherwise. With no variant besides the
 * reference, the reference is checked against itself (which exercises layouts, poisoned outputs and input
 * immutability).
 */
export function assertEquivalent(o: EquivalenceOptions): EquivalenceReport {
  const refName = o.reference ?? 'scalar';
  const all = o.registry.variants(o.key);
  const ref = all.find((v) => v.name === refName);
  if (!ref) throw new Error(`equivalence: no reference variant "${refName}" for "${o.key}" (have ${all.map((v) => v.name).join(', ') || 'none'})`);
  const others = all.filter((v) => v !== ref);
  const subjects = others.length > 0 ? others : [ref];
  const tile = Math.max(8, ...all.map((v) => v.tile ?? 0));
  const sizes = o.sizes ?? sizeClasses(tile);
  const seed = o.seed ?? (Math.random() * 2 ** 31) | 0;
  let comparisons = 0;
  for (const v of subjects) {
    // 1 + 2: size classes x layouts, deterministic values.
    const mismatches: string[] = [];
    for (const size of sizes) {
      const c = o.build(size, seededSource(seed + size));
      for (const layout of ['aligned', 'offset'] as const) {
        comparisons++;
        mismatches.push(...checkCase(ref, v, c, layout, `size ${size}`));
      }
      if (mismatches.length >= 3) break;
    }
    if (mismatches.length > 0) throw new EquivalenceError(o.key, v.name, seed, mismatches.slice(0, 3), ', size sweep');
    // 3: fast-check over edge-biased values.
    const small = sizes.filter((s) => s <= 2 * tile + 1);
    let found: string[] = [];
    const result = fc.check(
      fc.property(fc.constantFrom(...(small.length ? small : sizes)), fc.array(drawArb, { minLength: 1, maxLength: 64 }), fc.boolean(), (size, draws, offset) => {
        comparisons++;
        const c = o.build(size, sourceFromDraws(draws));
        const m = checkCase(ref, v, c, offset ? 'offset' : 'aligned', `size ${size}`);
        if (m.length > 0) {
          found = m;
          return false;
        }
        return true;
      }),
      { seed, numRuns: o.numRuns ?? 100 },
    );
    if (result.failed) {
      throw new EquivalenceError(o.key, v.name, seed, found.slice(0, 3), `, fast-check path "${result.counterexamplePath ?? ''}"`);
    }
  }
  return { key: o.key, variants: subjects.map((v) => v.name), comparisons, seed };
}
