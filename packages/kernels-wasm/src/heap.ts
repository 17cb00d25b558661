/**
 * The JavaScript side of the wasm memory: a first-fit allocator over the module's linear memory (from the module's
 * `heapBase()` upwards), growing the memory when full.
 *
 * Strategy: weights are packed into blocks that live as long as their kernel instance (freed by `dispose`); a call
 * takes its scratch from the top (`allocTop`) and frees it in reverse order at the end. Inputs that are views of this
 * memory (arena tensors) are used in place, others copied into scratch. Blocks are 64-byte aligned. A non-shared
 * `memory.grow` detaches every typed-array view of the old buffer (a detached view has length 0, which is how the
 * cached views notice); a shared memory's old views stay valid (and `holds` still recognises them), but end at the old
 * size, so the cached views are re-taken after every grow. Either way, take views after the call's last allocation.
 */
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;
const ALIGN = 64;

interface Block {
  readonly ptr: number;
  readonly size: number;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  #top: number;
  /** Free blocks below `#top`, sorted by address, coalesced. */
  #free: Block[] = [];
  /**
   * Size of each block handed out, by address; 0 once freed. Entries are kept (not deleted) so that the same addresses,
   * handed out again on every run, update an existing entry instead of growing and rehashing the map.
   */
  readonly #sizes = new Map<number, number>();
  /** Bytes of memory when last looked at (it only grows). */
  #capacity = 0;
  readonly #shared = new Set<ArrayBufferLike>();
  /**
   * Views of the memory buffer, re-taken when they are detached (a grow detaches them: their length drops to 0), so
   * taking a view costs no API call.
   */
  #u8 = new Uint8Array(0);
  #i32 = new Int32Array(0);
  #f32 = new Float32Array(0);

  constructor(memory: WasmMemory, base: number) {
    this.memory = memory;
    this.#top = align(base);
  }

  /** Bytes currently handed out (for tests and diagnostics). */
  get used(): number {
    let n = 0;
    for (const s of this.#sizes.values()) n += s;
    return n;
  }

  /** A 64-byte aligned block of at least `bytes` bytes (contents unspecified). */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i];
      if (b.size < size) continue;
      if (b.size === size) this.#free.splice(i, 1);
      else this.#free[i] = { ptr: b.ptr + size, size: b.size - size };
      this.#sizes.set(b.ptr, size);
      return b.ptr;
    }
    return this.#bump(size);
  }

  /**
   * A block taken from the top of the heap, never from a hole below it: for scratch freed in reverse order at the end
   * of a call, whose frees then just lower the top (no free-list bookkeeping).
   */
  allocTop(bytes: number): number {
    return this.#bump(align(Math.max(bytes, 1)));
  }

  #bump(size: number): number {
    const ptr = this.#top;
    const end = ptr + size;
    // The memory's size is read (an API call) only when the block may not fit the size last seen.
    if (end > this.#capacity) {
      const have = this.memory.buffer.byteLength;
      if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
      this.#capacity = this.memory.buffer.byteLength;
      // A shared memory's old views stay valid but end at the old size: take new ones.
      this.#views();
    }
    this.#top = end;
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** Returns a block from `alloc` (0 is ignored). */
  free(ptr: number): void {
    if (ptr === 0) return;
    const size = this.#sizes.get(ptr);
    if (!size) throw new Error(`WasmHeap.free: ${ptr} is not an allocated block`);
    this.#sizes.set(ptr, 0);
    if (ptr + size === this.#top) {
      this.#top = ptr;
      // Fold free blocks that now end at the top.
      for (let last = this.#free.at(-1); last && last.ptr + last.size === this.#top; last = this.#free.at(-1)) {
        this.#top = last.ptr;
        this.#free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.#free.length && this.#free[i].ptr < ptr) i++;
    this.#free.splice(i, 0, { ptr, size });
    const next = this.#free[i + 1];
    if (next && ptr + size === next.ptr) this.#free.splice(i, 2, { ptr, size: size + next.size });
    const prev = this.#free[i - 1];
    const cur = this.#free[i];
    if (prev && prev.ptr + prev.size === cur.ptr) this.#free.splice(i - 1, 2, { ptr: prev.ptr, size: prev.size + cur.size });
  }

  /** Copies `src` into a new block; returns its address. */
  copyIn(src: ArrayBufferView): number {
    const ptr = this.alloc(src.byteLength);
    // Float32 sources (most activations) copy element-wise through the float view when aligned: no byte view to make.
    if (src instanceof Float32Array && ptr % 4 === 0) this.f32().set(src, ptr >> 2);
    else this.u8().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), ptr);
    return ptr;
  }

  /**
   * Where `src` lives in wasm memory: its own address when it is a view of this memory (no copy, `owned` false), else
   * a scratch copy (`owned` true: free it after the call).
   */
  place(src: ArrayBufferView): { readonly ptr: number; readonly owned: boolean } {
    if (this.holds(src)) return { ptr: src.byteOffset, owned: false };
    return { ptr: this.copyIn(src), owned: true };
  }

  /** Whether `src` is a 4-byte aligned view of this memory (its byteOffset is then its address). */
  holds(src: ArrayBufferView): boolean {
    if (src.byteOffset % 4 !== 0) return false;
    const b = src.buffer;
    return b === this.u8().buffer || (this.#shared.size > 0 && this.#shared.has(b));
  }

  /** Whether the memory is shared (growing it never detaches views: the backend may lend it as an arena). */
  get shared(): boolean {
    return typeof SharedArrayBuffer !== 'undefined' && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** A byte view of the whole memory (cached until the memory grows: take it after the call's last `alloc`). */
  u8(): Uint8Array {
    if (this.#u8.length === 0) this.#views();
    return this.#u8;
  }

  i32(): Int32Array {
    if (this.#i32.length === 0) this.#views();
    return this.#i32;
  }

  f32(): Float32Array {
    if (this.#f32.length === 0) this.#views();
    return this.#f32;
  }

  #views(): void {
    const b = this.memory.buffer;
    // Every SharedArrayBuffer the memory has shown: views of older ones (taken before a grow) still lie in it.
    if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) this.#shared.add(b);
    this.#u8 = new Uint8Array(b);
    this.#i32 = new Int32Array(b);
    this.#f32 = new Float32Array(b);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
