/** createWasmBackend: feature detection, diagnostics, variants per ISA, idempotent init. */
import { describe, expect, it } from 'vitest';
import { ISAS } from '@lowbit/kernels';
import { createWasmBackend } from './backend.js';
import { loadModuleBytes } from './loader.js';
import { webAssembly } from './wasm-api.js';

describe('createWasmBackend', () => {
  it('an engine that does not validate the modules leaves the backend not ready, with a diagnostic, without throwing', async () => {
    const junk = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff);
    const b = createWasmBackend({ modules: { 'kernels-simd.wasm': junk, 'kernels-relaxed.wasm': junk } });
    await b.init();
    expect(b.ready).toBe(false);
    expect(b.isas).toEqual([]);
    expect(b.variants()).toEqual([]);
    expect(b.diagnostics.join('\n')).toMatch(/does not validate WebAssembly SIMD128/);
  });

  it('SIMD128 only (relaxed disabled): isas [wasm-simd128], every variant on that ISA, init idempotent', async () => {
    const b = createWasmBackend({ disableRelaxed: true });
    await Promise.all([b.init(), b.init()]);
    expect(b.ready).toBe(true);
    expect(b.name).toBe('wasm');
    expect(b.threads).toBe(1);
    expect(b.isas).toEqual(['wasm-simd128']);
    expect(new Set(b.variants().map((v) => v.isa))).toEqual(new Set(['wasm-simd128']));
    for (const v of b.variants()) expect(ISAS).toContain(v.isa);
    const keys = new Set(b.variants().map((v) => v.key));
    for (const k of ['MatMulInteger:u8xi8->i32', 'MatMulInteger:i8xi8->i32', 'MatMulInteger:u8xu8->i32', 'MatMul:f32', 'Gemm:f32', 'Conv:f32', 'QLinearMatMul:u8xi8->u8', 'QLinearConv:u8xi8->u8', 'ConvInteger:u8xi8->i32', 'QuantizeLinear:f32->u8', 'DequantizeLinear:u8->f32', 'DynamicQuantizeLinear:f32->u8', 'Relu:f32', 'Add:f32']) {
      expect(keys, k).toContain(k);
    }
    // (key, name) pairs are unique, as the registry requires.
    const pairs = b.variants().map((v) => `${v.key}/${v.name}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    b.dispose!();
    expect(b.ready).toBe(false);
  });

  it('the packaged modules load from the package folder and SIMD128 validates in this engine', async () => {
    const bytes = await loadModuleBytes('kernels-simd.wasm');
    expect(webAssembly()!.validate(bytes)).toBe(true);
  });

  it('arena: the shared-memory build lends its memory (views survive growth, zero-filled, kernels see them in place); arena false or plain modules: none', async () => {
    const b = createWasmBackend({ disableRelaxed: true });
    await b.init();
    const arena = b.arena!;
    expect(arena).toBeDefined();
    expect(b.diagnostics.join('\n')).toMatch(/kernels-simd-shared\.wasm.*arena/);
    const heap = b.runtime!.heap;
    const v = arena.alloc('float32', 1000)!;
    expect(v).toBeInstanceOf(Float32Array);
    expect(Array.from(v.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    v[999] = 3.5;
    const before = heap.memory.buffer.byteLength;
    const big = heap.alloc(before * 2); // grows the memory
    expect(heap.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(v.length).toBe(1000); // not detached
    expect(v[999]).toBe(3.5);
    expect(heap.holds(v)).toBe(true);
    expect(heap.f32()[(v.byteOffset >> 2) + 999]).toBe(3.5);
    const i8 = arena.alloc('int8', 5)!;
    expect(i8).toBeInstanceOf(Int8Array);
    heap.free(big);
    arena.free(v);
    arena.free(i8);
    const off = createWasmBackend({ disableRelaxed: true, arena: false });
    await off.init();
    expect(off.arena).toBeUndefined();
    const plain = createWasmBackend({ disableRelaxed: true, modules: { 'kernels-simd.wasm': await loadModuleBytes('kernels-simd.wasm') } });
    await plain.init();
    expect(plain.ready).toBe(true);
    expect(plain.arena).toBeUndefined();
    expect(plain.runtime!.heap.shared).toBe(false);
  });
});
