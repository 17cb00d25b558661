/**
 * The harness's options, each shown catching a deliberately wrong variant that it would miss without it: the `Op:*`
 * reference, per-dimension tiles, constants at create (pre-packing), ISAs this machine lacks (skipped and reported),
 * and the `{ sumAbs }` tolerance for reordered float sums.
 */
import { describe, expect, it } from 'vitest';
import { KernelRegistry, Tensor, createReferenceRegistry, type KernelNode, type KernelVariant, type Tensor as T, type Tile, type Tolerance } from '@lowbit/kernels';
import { EquivalenceError, assertEquivalent, compareOutput, productSumAbs, shapeClasses, type EquivalenceCase, type TileShape, type ValueSource } from './equivalence.js';

const errorOf = (f: () => unknown): EquivalenceError => {
  try {
    f();
  } catch (e) {
    if (e instanceof EquivalenceError) return e;
    throw e;
  }
  throw new Error('expected an EquivalenceError');
};

// ---- Relu against Relu:* ------------------------------------------------------------------------------------

const reluNode: KernelNode = { name: 'relu', opType: 'Relu', domain: '', opset: 14, attrs: new Map(), inputTypes: ['float32'], outputCount: 1 };
const reluCase = (n: number, v: ValueSource): EquivalenceCase => ({ node: reluNode, inputs: [v.tensor('float32', [n])] });

/** Relu with `f` applied to inputs that are not positive (-0 and 0 included), NaN passed through. */
function relu(name: string, f: (x: number) => number): KernelVariant {
  return {
    key: 'Relu:f32', name, isa: 'avx2', tolerance: 'exact',
    create: () => ({
      run([x], ctx) {
        const t = x as T<'float32'>;
        const y = ctx.alloc('float32', t.dims);
        for (let i = 0; i < t.data.length; i++) y.data[i] = t.data[i] > 0 || Number.isNaN(t.data[i]) ? t.data[i] : f(t.data[i]);
        return [y];
      },
    }),
  };
}

describe('reference through Op:*', () => {
  it('checks Relu:f32 variants against Relu:* and catches a leaky one', () => {
    const good = createReferenceRegistry().register(relu('zero', () => 0));
    const r = assertEquivalent({ registry: good, key: 'Relu:f32', build: reluCase, seed: 1, numRuns: 30 });
    expect(r.reference).toBe('Relu:*/scalar');
    expect(r.variants).toEqual(['zero']);
    const leaky = createReferenceRegistry().register(relu('leaky', (x) => Math.fround(x * 0.01)));
    expect(errorOf(() => assertEquivalent({ registry: leaky, key: 'Relu:f32', build: reluCase, seed: 1 })).variant).toBe('leaky');
  });

  it('names both keys when there is no reference', () => {
    expect(() => assertEquivalent({ registry: new KernelRegistry().register(relu('zero', () => 0)), key: 'Relu:f32', build: reluCase })).toThrow(/no reference variant "scalar" for "Relu:f32" or "Relu:\*" \(have Relu:f32\/zero\)/);
  });
});

// ---- a float MatMul with knobs --------------------------------------------------------------------------------

const mmNode: KernelNode = { name: 'mm', opType: 'MatMul', domain: '', opset: 13, attrs: new Map(), inputTypes: ['float32', 'float32'], outputCount: 1 };

interface MatMulBugs {
  /** Rows at or beyond the last full block of this many rows are left at zero. */
  readonly dropTailRows?: number;
  /** k runs from K-1 down to 0 (a different summation order). */
  readonly reverse?: boolean;
  /** Scales every output by this factor. */
  readonly scale?: number;
  /** Leaves out the last product. */
  readonly dropLastK?: boolean;
  /** When B comes in node.constants: packs it with its last row missing (a packing bug). */
  readonly badPack?: boolean;
  /** Wrong only without constants (the unpacked path). */
  readonly badUnpacked?: boolean;
}

/** A [M, K] x B [K, N] float32, fround after every product and sum (the reference's numerics unless bugs say so). */
function matmul(name: string, tile: Tile, tolerance: Tolerance, bugs: MatMulBugs = {}): KernelVariant {
  return {
    key: 'MatMul:f32', name, isa: 'avx2', tolerance, tile,
    create(node) {
      const constB = node.constants?.get(1) as T<'float32'> | undefined;
      let packed: Float32Array | undefined;
      if (constB) {
        packed = Float32Array.from(constB.data);
        if (bugs.badPack) packed.fill(0, Math.max(0, packed.length - constB.dims[1]));
      }
      return {
        run([a, b], ctx) {
          const A = (a as T<'float32'>).data;
          const B = packed ?? (b as T<'float32'>).data;
          const [M, K] = a!.dims;
          const N = b!.dims[1];
          const y = ctx.alloc('float32', [M, N]);
          const rows = bugs.dropTailRows ? Math.floor(M / bugs.dropTailRows) * bugs.dropTailRows : M;
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let acc = 0;
              for (let s = 0; s < K; s++) {
                const k = bugs.reverse ? K - 1 - s : s;
                if (bugs.dropLastK && k === K - 1) continue;
                acc = Math.fround(acc + Math.fround(A[i * K + k] * B[k * N + j]));
              }
              if (i >= rows) acc = 0;
              if (bugs.scale) acc = Math.fround(acc * bugs.scale);
              if (bugs.badUnpacked && !packed && K > 0) acc = Math.fround(acc + 1);
              y.data[i * N + j] = acc;
            }
          }
          return [y];
        },
      };
    },
  };
}

const withMatMul = (v: KernelVariant) => createReferenceRegistry().register(v);

describe('per-dimension tiles', () => {
  const shaped = (seen?: TileShape[]) => (_n: number, v: ValueSource, s: TileShape): EquivalenceCase => {
    seen?.push(s);
    return { node: mmNode, inputs: [v.tensor('float32', [s.m, s.k], { finite: true }), v.tensor('float32', [s.k, s.n], { finite: true })] };
  };

  it('shapeClasses sweeps each dimension around its tile with the others at T+1, then a diagonal', () => {
    const s = shapeClasses({ m: 4, n: 8, k: 2 });
    // m classes for 4: 0 1 3 4 5 8 13 31, with n = 9, k = 3
    expect(s.slice(0, 8)).toEqual([0, 1, 3, 4, 5, 8, 13, 31].map((m) => ({ m, n: 9, k: 3 })));
    expect(s).toContainEqual({ m: 31, n: 59, k: 17 }); // the diagonal's last shape: 7T+3 for 4, 8 and 2
    expect(new Set(s.map((x) => `${x.m},${x.n},${x.k}`)).size).toBe(s.length);
  });

  it('sweeps m, n and k separately and catches a kernel that drops the rows of a partial m-block', () => {
    const seen: TileShape[] = [];
    const ok = assertEquivalent({ registry: withMatMul(matmul('blocked', { m: 4, n: 4, k: 8 }, 'exact')), key: 'MatMul:f32', build: shaped(seen), seed: 2, numRuns: 20 });
    expect(ok.variants).toEqual(['blocked']);
    for (const d of ['m', 'n', 'k'] as const) expect(new Set(seen.map((s) => s[d])).size).toBeGreaterThan(5);
    const e = errorOf(() => assertEquivalent({ registry: withMatMul(matmul('tail', { m: 4, n: 4, k: 8 }, 'exact', { dropTailRows: 4 })), key: 'MatMul:f32', build: shaped(), seed: 2 }));
    expect(e.variant).toBe('tail');
    expect(e.mismatches[0]).toMatch(/shape m=\d+ n=\d+ k=\d+/);
  });

  it('with one number for every dimension, shape is { m: size, n: size, k: size }', () => {
    const seen: TileShape[] = [];
    assertEquivalent({ registry: withMatMul(matmul('plain', 4, 'exact')), key: 'MatMul:f32', build: shaped(seen), seed: 3, numRuns: 5 });
    expect(seen.every((s) => s.m === s.n && s.n === s.k)).toBe(true);
  });
});

describe('constants at create (pre-packing)', () => {
  const build = (constants: boolean) => (n: number, v: ValueSource): EquivalenceCase => ({
    node: mmNode, inputs: [v.tensor('float32', [3, n], { finite: true }), v.tensor('float32', [n, 5], { finite: true })], ...(constants ? { constants: [1] } : {}),
  });

  it('a packing bug is caught only when the case hands B as a constant', () => {
    const reg = () => withMatMul(matmul('packs-b', 8, 'exact', { badPack: true }));
    expect(assertEquivalent({ registry: reg(), key: 'MatMul:f32', build: build(false), seed: 4, numRuns: 20 }).variants).toEqual(['packs-b']);
    const e = errorOf(() => assertEquivalent({ registry: reg(), key: 'MatMul:f32', build: build(true), seed: 4 }));
    expect(e.mismatches[0]).toMatch(/packed: output 0/);
  });

  it('the unpacked path still runs when the case has constants', () => {
    const e = errorOf(() => assertEquivalent({ registry: withMatMul(matmul('unpacked-bug', 8, 'exact', { badUnpacked: true })), key: 'MatMul:f32', build: build(true), seed: 5 }));
    expect(e.mismatches[0]).toMatch(/aligned unpacked: output 0/);
  });

  it('create receives the constants (the tensors run gets) and static input shapes', () => {
    const nodes: KernelNode[] = [];
    const spy: KernelVariant = { ...matmul('spy', 8, 'exact'), create: (n) => { nodes.push(n); return matmul('x', 8, 'exact').create(n); } };
    assertEquivalent({ registry: withMatMul(spy), key: 'MatMul:f32', build: build(true), sizes: [3], seed: 6, numRuns: 1 });
    const packed = nodes.find((n) => n.constants)!;
    expect([...packed.constants!.keys()]).toEqual([1]);
    expect(packed.inputShapes).toEqual([[3, 3], [3, 5]]);
    expect(nodes.some((n) => !n.constants)).toBe(true);
  });
});

describe('ISAs this machine lacks', () => {
  const wrong = (isa: 'avx512-vnni' | 'avx2'): KernelVariant => ({ ...relu(`wrong-${isa}`, () => 1), isa });

  it('are skipped, reported and logged, never silently; available ones still run', () => {
    const lines: string[] = [];
    const registry = createReferenceRegistry().register(wrong('avx512-vnni')).register(relu('good-avx2', () => 0));
    const r = assertEquivalent({ registry, key: 'Relu:f32', build: reluCase, available: ['avx2'], log: (l) => lines.push(l), seed: 7, numRuns: 10 });
    expect(r.variants).toEqual(['good-avx2']);
    expect(r.skipped).toEqual([{ name: 'wrong-avx512-vnni', isa: 'avx512-vnni' }]);
    expect(lines).toEqual(['equivalence "Relu:f32": skipped variant "wrong-avx512-vnni" (avx512-vnni): this machine runs scalar, avx2']);
    // without `available` (or with the ISA in it) the wrong variant runs and fails
    expect(() => assertEquivalent({ registry, key: 'Relu:f32', build: reluCase, seed: 7 })).toThrow(EquivalenceError);
    expect(() => assertEquivalent({ registry, key: 'Relu:f32', build: reluCase, available: ['avx512-vnni'], log: () => {}, seed: 7 })).toThrow(/wrong-avx512-vnni/);
    // a wrong variant for an available ISA is not skipped
    const reg2 = createReferenceRegistry().register(wrong('avx2'));
    expect(() => assertEquivalent({ registry: reg2, key: 'Relu:f32', build: reluCase, available: ['avx2'], seed: 7 })).toThrow(/wrong-avx2/);
  });
});

describe('the sumAbs tolerance', () => {
  const f = (xs: number[]) => new Tensor('float32', xs, [xs.length]);

  it('compareOutput: |diff| <= factor * 2^-23 * S, infinities must match (worked example of the Tolerance docs)', () => {
    // ref 1, S = 20001, factor 4: bound = 4 * 2^-23 * 20001 = 0.009537...
    expect(compareOutput(f([1]), f([1.009]), { sumAbs: 4 }, [20001])).toBeUndefined();
    expect(compareOutput(f([1]), f([1.0096]), { sumAbs: 4 }, [20001])).toMatch(/element 0: .* > 4 \* eps \* 20001/);
    expect(compareOutput(f([Infinity]), f([3e38]), { sumAbs: 1e9 }, [Infinity])).toMatch(/element 0/);
    expect(compareOutput(f([NaN]), f([NaN]), { sumAbs: 1 }, [0])).toBeUndefined();
    expect(compareOutput(f([1]), f([1]), { sumAbs: 1 })).toMatch(/needs one sum \|a\*b\| per output element/);
  });

  it('productSumAbs by hand for MatMul (batched) and Gemm (trans, alpha, beta, C)', () => {
    // MatMul A = [[1, -2]], B = [[3], [4]]: |3| + |-8| = 11; batched A [2, 1, 2] against the same B: [11, 3*|−1|... ]
    expect(Array.from(productSumAbs(mmNode, [new Tensor('float32', [1, -2], [1, 2]), new Tensor('float32', [3, 4], [2, 1])])!)).toEqual([11]);
    expect(Array.from(productSumAbs(mmNode, [new Tensor('float32', [1, -2, -1, 0.5], [2, 1, 2]), new Tensor('float32', [3, 4], [2, 1])])!)).toEqual([11, 5]);
    // Gemm transB: A = [[1, -2]], B^T = [[3, 4]] -> same products 11; alpha 0.5, beta 2, C = [-1]: 0.5*11 + |2*-1| = 7.5
    const gemm: KernelNode = { ...mmNode, opType: 'Gemm', attrs: new Map([['transB', 1], ['alpha', 0.5], ['beta', 2]]) };
    expect(Array.from(productSumAbs(gemm, [new Tensor('float32', [1, -2], [1, 2]), new Tensor('float32', [3, 4], [1, 2]), new Tensor('float32', [-1], [1])])!)).toEqual([7.5]);
    expect(productSumAbs(reluNode, [f([1])])).toBeUndefined();
  });

  const build = (n: number, v: ValueSource): EquivalenceCase => ({ node: mmNode, inputs: [v.tensor('float32', [2, n], { finite: true }), v.tensor('float32', [n, 3], { finite: true })] });

  it('accepts a reordered sum that exact rejects, and rejects a dropped term or a scaled result', () => {
    // K goes up to 7*8+3 = 59: any two orders differ by at most ~59 eps S.
    const tol = { sumAbs: 64 };
    expect(assertEquivalent({ registry: withMatMul(matmul('reversed', 8, tol, { reverse: true })), key: 'MatMul:f32', build, seed: 8, numRuns: 50 }).variants).toEqual(['reversed']);
    expect(() => assertEquivalent({ registry: withMatMul(matmul('reversed', 8, 'exact', { reverse: true })), key: 'MatMul:f32', build, seed: 8 })).toThrow(EquivalenceError);
    expect(() => assertEquivalent({ registry: withMatMul(matmul('drops-k', 8, tol, { dropLastK: true })), key: 'MatMul:f32', build, seed: 8 })).toThrow(/drops-k/);
    expect(() => assertEquivalent({ registry: withMatMul(matmul('scaled', 8, tol, { scale: 1 + 1e-3 })), key: 'MatMul:f32', build, seed: 8 })).toThrow(/scaled/);
  });

  it('ops other than MatMul/Gemm need the sumAbs option', () => {
    const v: KernelVariant = { ...relu('zero', () => 0), tolerance: { sumAbs: 1 } };
    expect(() => assertEquivalent({ registry: createReferenceRegistry().register(v), key: 'Relu:f32', build: reluCase, seed: 9 })).toThrow(/needs one sum/);
    const r = assertEquivalent({ registry: createReferenceRegistry().register(v), key: 'Relu:f32', build: reluCase, seed: 9, numRuns: 10, sumAbs: (c) => Array.from(c.inputs[0]!.data as Float32Array, Math.abs) });
    expect(r.variants).toEqual(['zero']);
  });
});
