/**
 * The kernel-equivalence harness: runs every variant of a kernel key against the scalar reference of that key.
 *
 * Three sweeps, all driven by a caller-supplied `build(size, values, shape)` that turns a size class into a node and
 * its inputs (the harness knows nothing about op shapes):
 * 1. Size classes around the tile T (the largest `tile` among the variants, at least 8):
 *    0, 1, T-1, T, T+1, 2T, 7T+3 and the smallest prime above 3T. With per-dimension tiles (`{ m, n, k }`) each
 *    dimension sweeps its own classes while the others sit at T+1, plus a diagonal through all three; `build` then
 *    reads `shape` (and `size` is `shape.k`).
 * 2. Layouts for each size: every input as a fresh aligned array, and as a subarray view at an odd element offset
 *    inside a larger buffer full of poison values (so byteOffset is misaligned for SIMD and reading outside the view
 *    shows up). Outputs come from a RunContext that hands out the same kind of poisoned, offset views, so a variant
 *    that does not write every element, or assumes a zeroed buffer, fails. When the case names `constants` (weights),
 *    the variant is created with them in `KernelNode.constants` (and static `inputShapes`), as a session does for
 *    initializers, so pre-packing code runs; one more aligned run creates it without them.
 * 3. A fast-check property: random size class (up to 2T+1) and a drawn pool of values biased to the edges: NaN,
 *    +-Infinity, -0, exact .5 ties (0.5, 1.5, 2.5, -2.5 ...), the dtype's saturation edges (0/255, -128/127, ...),
 *    the largest finite values and subnormals.
 *
 * The reference is the variant named `reference` (default `scalar`) of the key, or of its wildcard `Op:*` (so
 * `Relu:f32` variants are checked against `Relu:*`). Outputs are compared with each variant's declared tolerance (see
 * `Tolerance` in @lowbit/kernels and equivalence-compare.ts). Inputs must come back unmodified. Variants for ISAs
 * outside `available` are skipped, listed in the report and logged, never silently.
 *
 * A failure throws an EquivalenceError whose message names key, variant, the seed (re-run with `seed`) and the first
 * three mismatching cases (size, layout, output, element, expected vs actual).
 */
import fc from 'fast-check';
import type { DType, Isa, KernelNode, KernelRegistry, KernelVariant, RunContext, Tensor, Tile } from '@lowbit/kernels';
import { Tensor as TensorClass, allocData, sizeOf } from '@lowbit/kernels';
import { compareOutput, productSumAbs } from './equivalence-compare.js';
import { drawArb, seededSource, sourceFromDraws, type ValueSource } from './equivalence-values.js';

export { compareOutput, EPS_F32, productSumAbs } from './equivalence-compare.js';
export type { ValueSource } from './equivalence-values.js';

/** One call of a kernel: the node it is created for and its inputs. */
export interface EquivalenceCase {
  readonly node: KernelNode;
  readonly inputs: readonly (Tensor | null)[];
  /**
   * Indices of inputs fixed for the node's life (weights, initializers): handed to the variant's `create` in
   * `KernelNode.constants` (the same tensors `run` receives), so variants that pre-pack them are exercised.
   */
  readonly constants?: readonly number[];
}

/** Sizes per GEMM dimension: `m` output rows, `n` output columns, `k` the reduction. */
export interface TileShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

export interface EquivalenceOptions {
  readonly registry: KernelRegistry;
  readonly key: string;
  /**
   * Node and inputs for a size class. Draw every value from `values` so the sweeps can steer them. With one tile for
   * all dimensions `shape` is `{ m: size, n: size, k: size }`; with per-dimension tiles read `shape` (`size` = `shape.k`).
   */
  readonly build: (size: number, values: ValueSource, shape: TileShape) => EquivalenceCase;
  /** Name of the reference variant, looked up under `key`, then under `Op:*` (default `scalar`). */
  readonly reference?: string;
  /** Size classes to use instead of the ones derived from the tile (one size for every dimension). */
  readonly sizes?: readonly number[];
  /** The tile to sweep around instead of the variants' own (a number, or per dimension; a missing dimension is 8). */
  readonly tile?: Tile;
  /**
   * ISAs this machine runs (scalar is implied). Variants for other ISAs are skipped, listed in `skipped` and logged.
   * Default: every variant runs.
   */
  readonly available?: readonly Isa[];
  /** Where skipped variants are reported (default `console.warn`). */
  readonly log?: (line: string) => void;
  /**
   * For `{ sumAbs }` tolerances: S = sum_k |a_k * b_k| for each element of output `output` of `c`. Default:
   * `productSumAbs` (MatMul and Gemm); other ops must pass it.
   */
  readonly sumAbs?: (c: EquivalenceCase, output: number) => ArrayLike<number> | undefined;
  /** fast-check runs of the value property (default 100). */
  readonly numRuns?: number;
  /** Seed of the deterministic sweeps and of fast-check (default: random, printed on failure). */
  readonly seed?: number;
}

export interface EquivalenceReport {
  readonly key: string;
  /** The reference, as `key/name` (the key may be the `Op:*` wildcard). */
  readonly reference: string;
  /** The variants checked. */
  readonly variants: readonly string[];
  /** Variants not run because this machine lacks their ISA. */
  readonly skipped: readonly { readonly name: string; readonly isa: Isa }[];
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

/**
 * The shapes swept for per-dimension tiles: each dimension through its size classes with the others at T+1, then a
 * diagonal (the i-th class of every dimension together). Deduplicated, in that order.
 */
export function shapeClasses(tile: TileShape): TileShape[] {
  const c = { m: sizeClasses(tile.m), n: sizeClasses(tile.n), k: sizeClasses(tile.k) };
  const base = { m: tile.m + 1, n: tile.n + 1, k: tile.k + 1 };
  const out = new Map<string, TileShape>();
  const add = (s: TileShape) => out.set(`${s.m},${s.n},${s.k}`, s);
  for (const d of ['m', 'n', 'k'] as const) for (const v of c[d]) add({ ...base, [d]: v });
  const len = Math.max(c.m.length, c.n.length, c.k.length);
  for (let i = 0; i < len; i++) add({ m: c.m[Math.min(i, c.m.length - 1)], n: c.n[Math.min(i, c.n.length - 1)], k: c.k[Math.min(i, c.k.length - 1)] });
  return [...out.values()];
}

/** The tile to sweep: the largest per dimension over `tiles` (at least 8); per-dimension when any tile is. */
function sweepTile(tiles: readonly (Tile | undefined)[]): number | TileShape {
  const dim = (t: Tile | undefined, d: 'm' | 'n' | 'k') => (typeof t === 'number' ? t : t?.[d] ?? 0);
  const best = (d: 'm' | 'n' | 'k') => Math.max(8, ...tiles.map((t) => dim(t, d)));
  if (tiles.every((t) => t === undefined || typeof t === 'number')) return best('k');
  return { m: best('m'), n: best('n'), k: best('k') };
}

// ---- layouts -------------------------------------------------------------------------------------------------

/** Where inputs and outputs live: fresh arrays, or odd-offset views inside poisoned buffers. */
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

/** How a variant is run on a case: input/output layout, and whether it gets the case's constants at create. */
interface Mode {
  readonly layout: Layout;
  readonly packed: boolean;
}

const modeName = (m: Mode, c: EquivalenceCase) => (c.constants?.length ? `${m.layout}${m.packed ? ' packed' : ' unpacked'}` : m.layout);

/** The modes a case runs in: aligned and offset (packed when the case has constants), plus aligned unpacked. */
function modesFor(c: EquivalenceCase): Mode[] {
  const packed = (c.constants?.length ?? 0) > 0;
  const modes: Mode[] = [{ layout: 'aligned', packed }, { layout: 'offset', packed }];
  if (packed) modes.push({ layout: 'aligned', packed: false });
  return modes;
}

/** The node a variant is created for: with `constants` and static `inputShapes` from `inputs` when packed. */
function nodeFor(c: EquivalenceCase, inputs: readonly (Tensor | null)[], packed: boolean): KernelNode {
  if (!packed || !c.constants?.length) return c.node;
  const constants = new Map<number, Tensor>();
  for (const i of c.constants) {
    const t = inputs[i];
    if (!t) throw new Error(`equivalence: case constant ${i} is not an input of the case (${inputs.length} inputs, or null)`);
    constants.set(i, t);
  }
  return { ...c.node, constants, inputShapes: inputs.map((t) => (t ? t.dims : undefined)) };
}

interface Ctx {
  readonly ref: KernelVariant;
  readonly sumAbs: (c: EquivalenceCase, output: number) => ArrayLike<number> | undefined;
}

/** Runs reference and variant on one case; returns mismatch descriptions (empty when equivalent). */
function checkCase(x: Ctx, v: KernelVariant, c: EquivalenceCase, mode: Mode, where: string): string[] {
  const label = `${where} ${modeName(mode, c)}`;
  const inputs = mode.layout === 'aligned' ? c.inputs : c.inputs.map((t) => (t ? offsetView(t, 1) : null));
  const before = snapshot(inputs);
  const expected = x.ref.create(c.node).run(c.inputs, poisonContext('aligned'));
  let actual: (Tensor | null)[];
  try {
    const instance = v.create(nodeFor(c, inputs, mode.packed));
    try {
      actual = instance.run(inputs, poisonContext(mode.layout));
    } finally {
      instance.dispose?.();
    }
  } catch (e) {
    return [`${label}: threw ${(e as Error).message}; inputs ${describeInputs(c)}`];
  }
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`${label}: ${actual.length} outputs, expected ${expected.length}`);
  const wantsSum = typeof v.tolerance === 'object' && 'sumAbs' in v.tolerance;
  for (let k = 0; k < expected.length; k++) {
    const ex = expected[k];
    const ac = actual[k];
    if (!ex || !ac) {
      if (ex !== ac) out.push(`${label}: output ${k} ${ac ? 'present' : 'missing'}, reference ${ex ? 'present' : 'missing'}`);
      continue;
    }
    const msg = compareOutput(ex, ac, v.tolerance, wantsSum ? x.sumAbs(c, k) : undefined);
    if (msg) out.push(`${label}: output ${k} ${msg}; inputs ${describeInputs(c)}`);
  }
  const after = snapshot(inputs);
  after.forEach((vals, i) => {
    if (vals.some((y, j) => !Object.is(y, before[i][j]))) out.push(`${label}: input ${i} was modified`);
  });
  return out;
}

function wildcardOf(key: string): string {
  const i = key.indexOf(':');
  return `${i < 0 ? key : key.slice(0, i)}:*`;
}

/**
 * Checks every non-reference variant of `key` against the reference. Throws EquivalenceError on the first variant
 * that differs (message: seed and first three mismatches); returns a report otherwise. With no variant besides the
 * reference, the reference is checked against itself (which exercises layouts, poisoned outputs and input
 * immutability).
 */
export function assertEquivalent(o: EquivalenceOptions): EquivalenceReport {
  const refName = o.reference ?? 'scalar';
  const own = o.registry.variants(o.key);
  const wild = wildcardOf(o.key) === o.key ? [] : o.registry.variants(wildcardOf(o.key));
  const ref = own.find((v) => v.name === refName) ?? wild.find((v) => v.name === refName);
  if (!ref) {
    const have = [...own, ...wild].map((v) => `${v.key}/${v.name}`).join(', ') || 'none';
    throw new Error(`equivalence: no reference variant "${refName}" for "${o.key}" or "${wildcardOf(o.key)}" (have ${have})`);
  }
  const others = own.filter((v) => v !== ref);
  const available = o.available ? new Set<Isa>(['scalar', ...o.available]) : undefined;
  const skipped = available ? others.filter((v) => !available.has(v.isa)) : [];
  for (const v of skipped) (o.log ?? console.warn)(`equivalence "${o.key}": skipped variant "${v.name}" (${v.isa}): this machine runs ${[...available!].join(', ')}`);
  const runnable = others.filter((v) => !skipped.includes(v));
  const subjects = others.length > 0 ? runnable : [ref];
  const tile = o.tile === undefined ? sweepTile([ref, ...others].map((v) => v.tile)) : typeof o.tile === 'number' ? o.tile : { m: o.tile.m ?? 8, n: o.tile.n ?? 8, k: o.tile.k ?? 8 };
  const shapes: { size: number; shape: TileShape }[] = o.sizes
    ? o.sizes.map((s) => ({ size: s, shape: { m: s, n: s, k: s } }))
    : typeof tile === 'number'
      ? sizeClasses(tile).map((s) => ({ size: s, shape: { m: s, n: s, k: s } }))
      : shapeClasses(tile).map((shape) => ({ size: shape.k, shape }));
  const limit = typeof tile === 'number' ? { m: tile, n: tile, k: tile } : tile;
  const seed = o.seed ?? (Math.random() * 2 ** 31) | 0;
  const sumAbs = o.sumAbs ?? ((c: EquivalenceCase) => productSumAbs(c.node, c.inputs));
  const x: Ctx = { ref, sumAbs };
  let comparisons = 0;
  for (const v of subjects) {
    // 1 + 2: size classes x modes, deterministic values.
    const mismatches: string[] = [];
    shapes.forEach(({ size, shape }, i) => {
      if (mismatches.length >= 3) return;
      const c = o.build(size, seededSource(seed + i * 7919 + size), shape);
      const where = typeof tile === 'number' || o.sizes ? `size ${size}` : `shape m=${shape.m} n=${shape.n} k=${shape.k}`;
      for (const mode of modesFor(c)) {
        comparisons++;
        mismatches.push(...checkCase(x, v, c, mode, where));
      }
    });
    if (mismatches.length > 0) throw new EquivalenceError(o.key, v.name, seed, mismatches.slice(0, 3), ', size sweep');
    // 3: fast-check over edge-biased values, small shapes.
    const small = shapes.filter(({ shape }) => shape.m <= 2 * limit.m + 1 && shape.n <= 2 * limit.n + 1 && shape.k <= 2 * limit.k + 1);
    let found: string[] = [];
    const result = fc.check(
      fc.property(fc.constantFrom(...(small.length ? small : shapes)), fc.array(drawArb, { minLength: 1, maxLength: 64 }), fc.boolean(), fc.boolean(), ({ size, shape }, draws, offset, unpacked) => {
        comparisons++;
        const c = o.build(size, sourceFromDraws(draws), shape);
        const packed = (c.constants?.length ?? 0) > 0 && !unpacked;
        const m = checkCase(x, v, c, { layout: offset ? 'offset' : 'aligned', packed }, `size ${size} (m=${shape.m} n=${shape.n} k=${shape.k})`);
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
  return {
    key: o.key, reference: `${ref.key}/${ref.name}`, variants: subjects.map((v) => v.name),
    skipped: skipped.map((v) => ({ name: v.name, isa: v.isa })), comparisons, seed,
  };
}
