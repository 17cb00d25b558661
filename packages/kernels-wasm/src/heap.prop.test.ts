/** WasmHeap laws: live blocks never overlap, are 64-byte aligned, and freeing everything returns the heap to empty. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WasmHeap } from './heap.js';

/** A stand-in for WebAssembly.Memory: an ArrayBuffer that grows by 64 KiB pages (detaching the old one, like wasm). */
function fakeMemory(pages: number) {
  let buffer = new ArrayBuffer(pages * 65536);
  return {
    get buffer() {
      return buffer;
    },
    grow(n: number) {
      const old = buffer.byteLength / 65536;
      const next = new ArrayBuffer(buffer.byteLength + n * 65536);
      new Uint8Array(next).set(new Uint8Array(buffer));
      buffer = next;
      return old;
    },
  };
}

describe('WasmHeap', () => {
  it('property: random alloc/free sequences keep blocks disjoint, aligned and in bounds; all freed -> used 0', () => {
    const op = fc.oneof(fc.record({ alloc: fc.integer({ min: 0, max: 200_000 }) }), fc.record({ free: fc.nat() }));
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const mem = fakeMemory(1);
      const heap = new WasmHeap(mem, 100);
      const live: { ptr: number; size: number }[] = [];
      for (const o of ops) {
        if ('alloc' in o) {
          const ptr = heap.alloc(o.alloc);
          expect(ptr % 64).toBe(0);
          expect(ptr).toBeGreaterThanOrEqual(100);
          expect(ptr + o.alloc).toBeLessThanOrEqual(mem.buffer.byteLength);
          for (const b of live) expect(ptr + Math.max(o.alloc, 1) <= b.ptr || b.ptr + Math.max(b.size, 1) <= ptr).toBe(true);
          live.push({ ptr, size: o.alloc });
        } else if (live.length > 0) {
          const [b] = live.splice(o.free % live.length, 1);
          heap.free(b.ptr);
        }
      }
      for (const b of live.splice(0)) heap.free(b.ptr);
      expect(heap.used).toBe(0);
      // After freeing everything, the whole space is reusable from the base again.
      expect(heap.alloc(10)).toBe(128);
    }));
  });

  it('place() reuses a view of the wasm memory itself and copies anything else; growth keeps contents', () => {
    const mem = fakeMemory(1);
    const heap = new WasmHeap(mem, 0);
    const p = heap.alloc(16);
    const view = new Float32Array(mem.buffer, p, 4);
    view.set([1, 2, 3, 4]);
    expect(heap.place(view)).toEqual({ ptr: p, owned: false });
    const outside = Float32Array.of(5, 6);
    const placed = heap.place(outside);
    expect(placed.owned).toBe(true);
    expect(Array.from(heap.f32().subarray(placed.ptr >> 2, (placed.ptr >> 2) + 2))).toEqual([5, 6]);
    heap.alloc(300_000); // grows: old views detach, heap.f32() sees the new buffer with the old contents
    expect(Array.from(heap.f32().subarray(p >> 2, (p >> 2) + 4))).toEqual([1, 2, 3, 4]);
    expect(() => heap.free(12345)).toThrow(/not an allocated block/);
  });
});
