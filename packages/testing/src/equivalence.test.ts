/**
 * Proves the equivalence harness: it accepts the reference against itself and against an independently written
 * naive MatMulInteger, and it rejects variants that are wrong in the ways SIMD kernels go wrong: off-by-one
 * rounding (half-up instead of half-to-even), ignoring a view's byteOffset, leaving output elements unwritten,
 * writing into an input.
 */
import { describe, expect, it } from 'vitest';
import { KernelRegistry, Tensor, createReferenceRegistry, requantize, type KernelNode, type KernelVariant, type Tensor as T } from '@lowbit/kernels';
import { EquivalenceError, assertEquivalent, compareOutput, sizeClasses, type EquivalenceCase, type ValueSource } from './equivalence.js';

const mmiNode: KernelNode = { name: 'mm', opType: 'MatMulInteger', domain: '', opset: 10, attrs: new Map(), inputTypes: ['uint8', 'int8', 'uint8', 'int8'], outputCount: 1 };

/** MatMulInteger u8 x i8 with K = size: A [3, K], B [K, 5], per-row a_zero_point, per-column b_zero_point. */
function mmiCase(size: number, v: ValueSource): EquivalenceCase {
  return { node: mmiNode, inputs: [v.tensor('uint8', [3, size]), v.tensor('int8', [size, 5]), v.tensor('uint8', [3]), v.tensor('int8', [5])] };
}

/** The formula written again, differently: k outermost, scattering into an Int32Array of partial sums. */
const naiveMatMulInteger: KernelVariant = {
  key: 'MatMulInteger:u8xi8->i32', name: 'scalar-naive', isa: 'scalar', tolerance: 'exact',
  create: () => ({
    run([a, b, za, zb], ctx) {
      const [M, K] = a!.dims;
      const N = b!.dims[1];
      const y = ctx.alloc('int32', [M, N]);
      const acc = new Int32Array(M * N);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) acc[i * N + j] += (Number(a!.data[i * K + k]) - Number(za!.data[i])) * (Number(b!.data[k * N + j]) - Number(zb!.data[j]));
        }
      }
      y.data.set(acc);
      return [y];
    },
  }),
};

const qmmNode: KernelNode = {
  name: 'qmm', opType: 'QLinearMatMul', domain: '', opset: 10, attrs: new Map(),
  inputTypes: ['uint8', 'float32', 'uint8', 'uint8', 'float32', 'uint8', 'float32', 'uint8'], outputCount: 1,
};

/** QLinearMatMul u8: A [2, K], B [K, 3]; scales chosen so products land on exact .5 ties often (0.5 * 0.5 / 0.125 = 2 -> acc*2... use 0.25). */
function qmmCase(size: number, v: ValueSource): EquivalenceCase {
  const s = (x: number) => new Tensor('float32', [x], []);
  return {
    node: qmmNode,
    inputs: [v.tensor('uint8', [2, size]), s(0.5), v.tensor('uint8', []), v.tensor('uint8', [size, 3]), s(0.25), v.tensor('uint8', []), s(0.25), v.tensor('uint8', [])],
  };
}

/** Wraps the reference QLinearMatMul but rounds half up (floor(x + 0.5)): wrong exactly on ties. */
function halfUpQLinearMatMul(): KernelVariant {
  return {
    key: 'QLinearMatMul:u8xu8->u8', name: 'scalar-half-up', isa: 'scalar', tolerance: 'exact',
    create: () => ({
      run([a, as, az, b, bs, bz, ys, yz], ctx) {
        const [M, K] = a!.dims;
        const N = b!.dims[1];
        const y = ctx.alloc('uint8', [M, N]);
        const mult = Math.fround(Math.fround(Number(as!.data[0]) * Number(bs!.data[0])) / Number(ys!.data[0]));
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) acc += (Number(a!.data[i * K + k]) - Number(az!.data[0])) * (Number(b!.data[k * N + j]) - Number(bz!.data[0]));
            const q = Math.floor(Math.fround(acc * mult) + 0.5) + Number(yz!.data[0]);
            y.data[i * N + j] = Math.min(255, Math.max(0, q));
          }
        }
        return [y];
      },
    }),
  };
}

/** Reads the storage through `new Int8Array(buffer)`, ignoring byteOffset: right only for fresh arrays. */
const offsetBlindMatMulInteger: KernelVariant = {
  ...naiveMatMulInteger,
  name: 'offset-blind',
  create: (node) => ({
    run(inputs, ctx) {
      const b = inputs[1] as T<'int8'>;
      const blind = new Tensor('int8', new Int8Array(b.data.buffer, 0, b.data.length), b.dims);
      return naiveMatMulInteger.create(node).run([inputs[0], blind, inputs[2], inputs[3]], ctx);
    },
  }),
};

/** Leaves the last output element as the allocator gave it. */
const lazyMatMulInteger: KernelVariant = {
  ...naiveMatMulInteger,
  name: 'lazy',
  create: (node) => ({
    run(inputs, ctx) {
      const [y] = naiveMatMulInteger.create(node).run(inputs, { alloc: (d, dims) => ctx.alloc(d, dims) });
      const out = ctx.alloc('int32', y!.dims);
      out.data.set((y!.data as Int32Array).subarray(0, Math.max(0, y!.data.length - 1)));
      return [out];
    },
  }),
};

/** Scribbles on its first input. */
const scribblingMatMulInteger: KernelVariant = {
  ...naiveMatMulInteger,
  name: 'scribbler',
  create: (node) => ({
    run(inputs, ctx) {
      const out = naiveMatMulInteger.create(node).run(inputs, ctx);
      if (inputs[0] && inputs[0].data.length > 0) (inputs[0].data as Uint8Array)[0] ^= 1;
      return out;
    },
  }),
};

describe('sizeClasses', () => {
  it('gives 0, 1, T-1, T, T+1, 2T, 7T+3 and a prime above 3T', () => {
    // By hand for T = 8: 0 1 7 8 9 16 59, and the first prime above 24 is 29.
    expect(sizeClasses(8)).toEqual([0, 1, 7, 8, 9, 16, 29, 59]);
    expect(sizeClasses(4)).toEqual([0, 1, 3, 4, 5, 8, 13, 31]);
  });
});

describe('value sources', () => {
  it('draw edge values (NaN, infinities, -0, ties) unless asked for finite floats', () => {
    const seen: number[] = [];
    const tame: number[] = [];
    const probe: KernelVariant = {
      key: 'MatMul:f32', name: 'probe', isa: 'scalar', tolerance: 'exact',
      create: () => ({ run: (inputs) => [inputs[0]] }),
    };
    // The probe returns its first input; the builder records what the harness's value sources produced.
    assertEquivalent({
      registry: new KernelRegistry().register(probe), key: 'MatMul:f32', seed: 11, numRuns: 30, reference: 'probe',
      build: (n, v) => {
        seen.push(...(v.tensor('float32', [n, 4]).data as Float32Array));
        tame.push(...(v.tensor('float32', [n, 4], { finite: true }).data as Float32Array));
        return { node: { ...mmiNode, opType: 'MatMul', inputTypes: ['float32'] }, inputs: [new Tensor('float32', [1], [1])] };
      },
    });
    expect(seen.some(Number.isNaN)).toBe(true);
    expect(seen.some((x) => x === Infinity) && seen.some((x) => x === -Infinity)).toBe(true);
    expect(seen.some((x) => Object.is(x, -0))).toBe(true);
    expect(seen.some((x) => x === 2.5 || x === -2.5)).toBe(true);
    expect(tame.every((x) => Number.isFinite(x) && Math.abs(x) <= 2 ** 20)).toBe(true);
  });
});

describe('compareOutput', () => {
  const f = (xs: number[]) => new Tensor('float32', xs, [xs.length]);
  it('exact: bitwise, -0 differs from 0, NaN equals NaN', () => {
    expect(compareOutput(f([1, NaN]), f([1, NaN]), 'exact')).toBeUndefined();
    expect(compareOutput(f([0]), f([-0]), 'exact')).toMatch(/element 0: -0, expected 0/);
  });
  it('ulp: counts representable float32 steps, across zero too', () => {
    const one = 1;
    const next = 1 + 2 ** -23;
    expect(compareOutput(f([one]), f([next]), { ulp: 1 })).toBeUndefined();
    expect(compareOutput(f([one]), f([1 + 2 ** -22]), { ulp: 1 })).toMatch(/element 0/);
    expect(compareOutput(f([Infinity]), f([3.4028234663852886e38]), { ulp: 0 })).toMatch(/element 0/);
    expect(compareOutput(f([-0]), f([0]), { ulp: 0 })).toBeUndefined();
  });
  it('rtol/atol and dims/dtype checks', () => {
    expect(compareOutput(f([100]), f([100.05]), { rtol: 1e-3, atol: 0 })).toBeUndefined();
    expect(compareOutput(f([100]), f([100.2]), { rtol: 1e-3, atol: 0 })).toMatch(/element 0/);
    expect(compareOutput(f([1, 2]), new Tensor('float32', [1, 2], [2, 1]), 'exact')).toMatch(/dims/);
    expect(compareOutput(f([1]), new Tensor('float64', [1], [1]), 'exact')).toMatch(/dtype/);
  });
});

describe('assertEquivalent', () => {
  it('accepts the reference against itself', () => {
    const r = assertEquivalent({ registry: createReferenceRegistry(), key: 'MatMulInteger:u8xi8->i32', build: mmiCase, seed: 1, numRuns: 50 });
    expect(r.variants).toEqual(['scalar']);
    expect(r.comparisons).toBeGreaterThan(50);
  });

  it('accepts an independently written naive MatMulInteger (different loop order)', () => {
    const registry = createReferenceRegistry().register(naiveMatMulInteger);
    const r = assertEquivalent({ registry, key: 'MatMulInteger:u8xi8->i32', build: mmiCase, numRuns: 100 });
    expect(r.variants).toEqual(['scalar-naive']);
  });

  it('rejects off-by-one rounding (half up instead of half to even) and prints the seed and at most three cases', () => {
    const registry = createReferenceRegistry().register(halfUpQLinearMatMul());
    let err: unknown;
    try {
      assertEquivalent({ registry, key: 'QLinearMatMul:u8xu8->u8', build: qmmCase, seed: 7, numRuns: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EquivalenceError);
    const e = err as EquivalenceError;
    expect(e.message).toMatch(/seed 7/);
    expect(e.variant).toBe('scalar-half-up');
    expect(e.mismatches.length).toBeGreaterThan(0);
    expect(e.mismatches.length).toBeLessThanOrEqual(3);
    expect(e.mismatches[0]).toMatch(/expected/);
  });

  it('rejects a variant that ignores the byteOffset of a view', () => {
    const registry = createReferenceRegistry().register(offsetBlindMatMulInteger);
    expect(() => assertEquivalent({ registry, key: 'MatMulInteger:u8xi8->i32', build: mmiCase, seed: 3 })).toThrow(/offset: output 0/);
  });

  it('rejects a variant that leaves an output element unwritten (poisoned buffers)', () => {
    const registry = createReferenceRegistry().register(lazyMatMulInteger);
    expect(() => assertEquivalent({ registry, key: 'MatMulInteger:u8xi8->i32', build: mmiCase, seed: 4 })).toThrow(EquivalenceError);
  });

  it('rejects a variant that modifies an input', () => {
    const registry = createReferenceRegistry().register(scribblingMatMulInteger);
    expect(() => assertEquivalent({ registry, key: 'MatMulInteger:u8xi8->i32', build: mmiCase, seed: 5 })).toThrow(/input 0 was modified/);
  });

  it('requantize used by the reference rounds ties to even (the property the half-up variant breaks)', () => {
    // By hand: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2 (int8), then zero point and saturation.
    expect(requantize(5, 0.5, 0, 0, 255)).toBe(2);
    expect(requantize(7, 0.5, 0, 0, 255)).toBe(4);
    expect(requantize(-5, 0.5, 0, -128, 127)).toBe(-2);
    expect(requantize(1000, 1, 10, 0, 255)).toBe(255);
  });
});
