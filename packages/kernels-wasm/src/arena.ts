/**
 * The wasm memory lent to the runtime as an `Arena`: intermediate tensors then live in the kernels' own memory, so a
 * wasm kernel reads its inputs and writes its output in place instead of copying them in and out on every call.
 * Only a shared memory is lent (growing it keeps every view valid, as the Arena contract asks); with a plain memory
 * the backend has no arena and the runtime keeps tensors in JS memory.
 */
import { allocData, type Arena, type DataOf, type DType } from '@lowbit/kernels';
import type { WasmHeap } from './heap.js';

type Numeric = Exclude<DType, 'string'>;
type View = DataOf[Numeric];
type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => View;

export class WasmArena implements Arena {
  readonly #heap: WasmHeap;
  readonly #ctors = new Map<Numeric, Ctor>();

  constructor(heap: WasmHeap) {
    this.#heap = heap;
  }

  alloc<D extends Numeric>(dtype: D, n: number): DataOf[D] | undefined {
    let C = this.#ctors.get(dtype);
    if (!C) {
      C = (allocData(dtype, 0) as View).constructor as Ctor;
      this.#ctors.set(dtype, C);
    }
    const bytes = n * (C as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    let ptr: number;
    try {
      ptr = this.#heap.alloc(bytes);
    } catch {
      return undefined; // the memory cannot grow (its maximum, or the engine's limit): the runtime uses JS memory
    }
    const u8 = this.#heap.u8();
    u8.fill(0, ptr, ptr + bytes);
    return new C(u8.buffer, ptr, n) as DataOf[D];
  }

  free(view: View): void {
    this.#heap.free(view.byteOffset);
  }
}
