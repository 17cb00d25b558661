/**
 * KernelRegistry.resolve / candidates: ISA availability, preference order (later in ISAS is better), `force` capping
 * at an ISA and falling to the next best one below it, `supports(node)` passing a variant over, and the `Op:*`
 * wildcard after the exact key.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { KernelNode, KernelVariant } from './contract.js';
import { NoKernelError } from './errors.js';
import { ISAS, isaRank, type Isa } from './isa.js';
import { KernelRegistry } from './registry.js';

const node: KernelNode = { name: 'r', opType: 'Relu', domain: '', opset: 14, attrs: new Map(), inputTypes: ['float32'], outputCount: 1 };

function variant(key: string, isa: Isa, name: string = isa, supports?: (n: KernelNode) => boolean): KernelVariant {
  return { key, name, isa, tolerance: 'exact', ...(supports ? { supports } : {}), create: () => ({ run: (inputs) => [inputs[0]] }) };
}

/** Relu:f32 at scalar, avx2, avx512-vnni and wasm-simd128; Relu:* at scalar. */
function registry(): KernelRegistry {
  return new KernelRegistry().registerAll([
    variant('Relu:*', 'scalar', 'ref'),
    variant('Relu:f32', 'scalar'),
    variant('Relu:f32', 'avx512-vnni'),
    variant('Relu:f32', 'wasm-simd128'),
    variant('Relu:f32', 'avx2'),
  ]);
}

const NATIVE: Isa[] = ['avx2', 'avx512', 'avx-vnni', 'avx512-vnni', 'wasm-simd128'];

describe('KernelRegistry.resolve', () => {
  it('picks the best available ISA, regardless of registration order', () => {
    expect(registry().resolve('Relu:f32', { available: NATIVE }).isa).toBe('avx512-vnni');
    expect(registry().resolve('Relu:f32', { available: ['avx2', 'wasm-simd128'] }).isa).toBe('avx2');
    expect(registry().resolve('Relu:f32', { available: ['wasm-simd128'] }).isa).toBe('wasm-simd128');
    // scalar is always available
    expect(registry().resolve('Relu:f32').isa).toBe('scalar');
  });

  it('force caps at an ISA and takes the next best below it (not straight to scalar)', () => {
    // avx-vnni and avx512 have no Relu:f32 variant: the best below them is avx2.
    expect(registry().resolve('Relu:f32', { available: NATIVE, force: 'avx-vnni' }).isa).toBe('avx2');
    expect(registry().resolve('Relu:f32', { available: NATIVE, force: 'avx512' }).isa).toBe('avx2');
    expect(registry().resolve('Relu:f32', { available: NATIVE, force: 'avx512-vnni' }).isa).toBe('avx512-vnni');
    // neon-dot ranks above the wasm ISAs: wasm-simd128 is the best below it that is available.
    expect(registry().resolve('Relu:f32', { available: NATIVE, force: 'neon-dot' }).isa).toBe('wasm-simd128');
    expect(registry().resolve('Relu:f32', { available: NATIVE, force: 'scalar' }).isa).toBe('scalar');
    // a forced ISA that is not available still caps: avx512-vnni is not available here, avx2 is.
    expect(registry().resolve('Relu:f32', { available: ['avx2'], force: 'amx-int8' }).isa).toBe('avx2');
  });

  it('property: the pick is the best-ranked available variant not above the forced ISA', () => {
    fc.assert(fc.property(fc.subarray([...ISAS]), fc.option(fc.constantFrom(...ISAS), { nil: undefined }), (available, force) => {
      const got = registry().resolve('Relu:f32', { available, ...(force ? { force } : {}) });
      const eligible = (['scalar', 'avx512-vnni', 'wasm-simd128', 'avx2'] as Isa[])
        .filter((i) => i === 'scalar' || available.includes(i))
        .filter((i) => force === undefined || isaRank(i) <= isaRank(force));
      expect(isaRank(got.isa)).toBe(Math.max(...eligible.map(isaRank)));
      expect(got.key).toBe('Relu:f32');
    }));
  });

  it('passes over a variant whose supports(node) is false, then falls to the wildcard reference', () => {
    const seen: KernelNode[] = [];
    const picky = (n: KernelNode) => { seen.push(n); return n.attrs.get('ok') === 1; };
    const r = new KernelRegistry().registerAll([
      variant('Relu:*', 'scalar', 'ref'),
      variant('Relu:f32', 'avx512-vnni', 'picky-512', picky),
      variant('Relu:f32', 'avx2', 'picky-avx2', picky),
    ]);
    const ok = { ...node, attrs: new Map([['ok', 1]]) };
    expect(r.resolve('Relu:f32', { available: NATIVE }, ok).name).toBe('picky-512');
    expect(r.resolve('Relu:f32', { available: NATIVE }, node).name).toBe('ref');
    expect(seen).toContain(node);
    expect(r.candidates('Relu:f32', { available: NATIVE }, node).map((v) => v.name)).toEqual(['ref']);
    expect(r.candidates('Relu:f32', { available: NATIVE }, ok).map((v) => v.name)).toEqual(['picky-512', 'picky-avx2', 'ref']);
    // without a node, supports is not consulted
    expect(r.resolve('Relu:f32', { available: NATIVE }).name).toBe('picky-512');
  });

  it('a declining variant falls to the next best ISA of the exact key before the wildcard', () => {
    const r = registry().register(variant('Relu:f32', 'amx-int8', 'amx', () => false));
    expect(r.resolve('Relu:f32', { available: [...NATIVE, 'amx-int8'] }, node).isa).toBe('avx512-vnni');
  });

  it('lists candidates best first: exact key by rank, then the wildcard', () => {
    expect(registry().candidates('Relu:f32', { available: NATIVE }).map((v) => v.name)).toEqual(['avx512-vnni', 'avx2', 'wasm-simd128', 'scalar', 'ref']);
    expect(registry().candidates('Relu:i8', { available: NATIVE }).map((v) => v.name)).toEqual(['ref']);
    expect(registry().candidates('Sigmoid:f32')).toEqual([]);
  });

  it('throws NoKernelError naming the keys tried', () => {
    const err = (() => { try { registry().resolve('Sigmoid:f32'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(NoKernelError);
    expect((err as NoKernelError).context.tried).toEqual(['Sigmoid:f32', 'Sigmoid:*']);
    // a wildcard key is tried once
    expect(() => new KernelRegistry().resolve('Relu:*')).toThrow(/tried "Relu:\*"\)/);
  });

  it('refuses a duplicate (key, name)', () => {
    expect(() => registry().register(variant('Relu:f32', 'avx2'))).toThrow(/already registered/);
  });
});
