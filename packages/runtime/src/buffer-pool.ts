/**
 * A RunContext allocator that recycles intermediate buffers.
 *
 * Every typed array handed out by `alloc` is an allocation "owned" by the pool and reference-counted: each live value
 * slot holding a tensor whose storage lies inside that allocation counts once (the same array shared by Reshape-like
 * kernels, inputs passed through by Identity-like kernels, and subarray views of part of it all count on it). Ownership
 * is per allocation, never per arena: many arena allocations share one buffer, and releasing one never frees its
 * neighbours. When the count drops to zero the allocation is free for the next `alloc`:
 * - a JS allocation (its own ArrayBuffer) joins the free JS buffers in the order they were freed (RecentBuffers:
 *   `alloc` takes the most recent of the same shape, else the most recent that holds the request with at most half to
 *   spare, as a view of its start), so kernels mostly write into memory still in the CPU caches;
 * - an arena view goes on a free list keyed by dtype and element count (a chain through the allocations themselves),
 *   and the next `alloc` of the same dtype and size takes it back.
 * An allocation stays in the pool's lookup tables while it is free (marked free, so it owns nothing). What `alloc`
 * hands out is zero-filled (so a reused buffer looks exactly like a new one to the reference kernels, which are written
 * against zeroed fresh buffers) unless `zeroReused` is false: the executor clears it while a variant that declares
 * `writesAllOutputs` runs, which then gets a reused buffer as it is and a new one without zero fill (no fill pass over
 * memory it is about to overwrite; in Node, 4 KiB and up, see `allocDataUninitialized`). A JS allocation has an
 * ArrayBuffer of its own, so it is found by its buffer; arena allocations share one and are found by view and range.
 *
 * With an `Arena` (a backend's own memory, e.g. WebAssembly linear memory) new allocations come from the arena, and
 * from JS memory when it declines. Arena views never leave the run: `escape` returns a JS copy of an arena tensor and
 * keeps the arena view pooled; `endRun` puts arena views nobody released back on the free list; `clear` gives every
 * free arena view back to the arena.
 *
 * Buffers that leave the run (session results, tensors passed to value hooks) "escape": a JS allocation whose view
 * spans its buffer is handed over and forgotten (never reused unless the caller hands it back: `giveBack`, through
 * `Session.recycle`); arena views and shorter views of a reused buffer are copied out and stay pooled. Feeds and
 * initializers are never owned. String tensors are not pooled.
 */
import { Tensor, allocData, allocDataUninitialized, isDataOf, sizeOf, viewData, zeroFill, type Arena, type DType, type RunContext } from '@lowbit/kernels';
import { ResourceLimitError, SessionOptionError } from './errors.js';
import { RecentBuffers } from './recent-buffers.js';

/** Default `memoryLimit`: 4 GiB of tensor memory held by one session's pool. */
export const DEFAULT_MEMORY_LIMIT = 2 ** 32;

/** Bytes per element of a pooled dtype (sub-byte types take a whole byte each in kernel storage). */
function elementBytes(dtype: DType): number {
  if (dtype === 'float64' || dtype === 'int64' || dtype === 'uint64') return 8;
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'uint32') return 4;
  if (dtype === 'float16' || dtype === 'bfloat16' || dtype === 'int16' || dtype === 'uint16') return 2;
  return 1;
}

type Storage = Exclude<Tensor['data'], string[]>;

interface Owned {
  /** The view handed out last (a free JS allocation gets a new one when reused for another dtype or size). */
  dtype: DType;
  n: number;
  data: Storage;
  /** The view came from the arena (must go back to it, never to the caller). */
  readonly arena: boolean;
  refs: number;
  /** On a free list (still in the lookup tables, but owning nothing until `alloc` hands it out again). */
  free: boolean;
  /** A JS allocation whose view (shorter than its buffer) escaped as a copy this run: endRun takes it back. */
  copied: boolean;
  /** The next allocation of the same free list. */
  next: Owned | undefined;
  /** Arena views: the free list of its dtype and size while tracked (set by `#track`: recycling looks nothing up). */
  list: FreeList | undefined;
}

/** The free arena views of one dtype and element count: the head of a chain through `Owned.next`. */
interface FreeList {
  head: Owned | undefined;
  /** Tracked allocations of this dtype and size (free or handed out); `#dropFree` drops a list at 0. */
  members: number;
}

export interface PoolStats {
  /** Buffers created by `alloc` (in JS memory or in the arena). */
  allocated: number;
  /** Of `allocated`, JS buffers created without zero fill (for variants that write every element; 4 KiB and up, Node). */
  allocatedDirty: number;
  /** `alloc` calls served from the free list. */
  reused: number;
  /** Of `allocated`, those taken from the arena. */
  arena: number;
  /** Of `reused`, those handed out without zero-filling (to variants that write every element). */
  reusedDirty: number;
  /** Bytes of JS memory the pool holds now (live buffers and free lists). */
  bytes: number;
  /** Bytes of arena memory the pool holds now (live views and free lists). */
  arenaBytes: number;
}

export class BufferPool implements RunContext {
  readonly #arena: Arena | undefined;
  /**
   * JS-memory allocations the pool holds (handed out or free) by their ArrayBuffer: each has a buffer of its own
   * (`allocData`/`allocDataUninitialized`), so any view of that buffer lies inside it.
   */
  readonly #js = new Map<ArrayBufferLike, Owned>();
  /** Arena allocations (many share one buffer) by the exact view `alloc` returned, handed out or free. */
  readonly #byView = new Map<Storage, Owned>();
  /** Arena allocations by ArrayBuffer, for views that cover part of an allocation. */
  readonly #byBuffer = new Map<ArrayBufferLike, Owned[]>();
  /** JS allocations that escaped (results), by ArrayBuffer: what `giveBack` may take back. */
  readonly #escaped = new WeakMap<ArrayBufferLike, Owned>();
  /** Arena free lists by dtype, then element count (a list stays while a tracked allocation belongs to it). */
  readonly #free = new Map<DType, Map<number, FreeList>>();
  /** Free JS allocations, in the order they were freed. */
  readonly #recent = new RecentBuffers<Owned>();
  #freeCount = 0;
  /** Allocations handed out and not yet recycled, escaped or forgotten (`endRun` has nothing to do at 0). */
  #live = 0;
  readonly #stats = { allocated: 0, allocatedDirty: 0, reused: 0, arena: 0, reusedDirty: 0 };
  /**
   * Whether `alloc` zero-fills what it hands out (default true). Set to false only around a kernel that writes every
   * element it allocates (`KernelVariant.writesAllOutputs`): it then gets reused buffers as they are, and new JS
   * buffers without a zero fill.
   */
  zeroReused = true;
  readonly #memoryLimit: number;
  /** Bytes of JS-memory allocations the pool created and still holds (live or on the free list). */
  #bytes = 0;
  /** Bytes of arena allocations the pool created and still holds. */
  #arenaBytes = 0;

  /** Counters since the pool was created, and the memory it holds now. */
  get stats(): PoolStats {
    return { ...this.#stats, bytes: this.#bytes, arenaBytes: this.#arenaBytes };
  }

  /** `memoryLimit`: most bytes of tensor memory the pool holds at once (default DEFAULT_MEMORY_LIMIT). */
  constructor(arena?: Arena, memoryLimit: number = DEFAULT_MEMORY_LIMIT) {
    this.#arena = arena;
    this.#memoryLimit = memoryLimit;
  }

  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    const n = sizeOf(dims);
    if (dtype === 'string' || n === 0) return new Tensor(dtype, allocData(dtype, n), dims);
    const bytes = n * elementBytes(dtype);
    if (!Number.isSafeInteger(n) || this.#bytes + bytes > this.#memoryLimit) {
      // Free buffers that cannot take this request are the first to go before refusing.
      if (Number.isSafeInteger(n) && this.#freeCount > 0 && !this.#free.get(dtype)?.get(n)?.head && !this.#recent.fits(dtype, n, bytes)) this.#dropFree();
      if (!Number.isSafeInteger(n) || this.#bytes + bytes > this.#memoryLimit) {
        throw new ResourceLimitError({ limit: 'memoryLimit', max: this.#memoryLimit, requested: this.#bytes + bytes, unit: 'bytes' }, `allocating ${dtype}[${dims.join(', ')}]`);
      }
    }
    const list = this.#free.get(dtype)?.get(n);
    const reused = list?.head;
    if (reused) {
      list!.head = reused.next;
      reused.next = undefined;
      return this.#handOut(reused, dtype, dims);
    }
    const o = this.#recent.take(dtype, n, bytes);
    if (o) {
      if (o.dtype !== dtype || o.n !== n) {
        o.data = viewData(dtype as Exclude<DType, 'string'>, o.data.buffer, n) as Storage;
        o.dtype = dtype;
        o.n = n;
      }
      return this.#handOut(o, dtype, dims);
    }
    const fromArena = this.#arena?.alloc(dtype as Exclude<DType, 'string'>, n);
    if (fromArena !== undefined && (!isDataOf(dtype, fromArena) || fromArena.length !== n)) {
      throw new SessionOptionError({ option: 'arena', expected: `alloc(${dtype}, ${n}) to return a ${dtype} view of ${n} elements or undefined`, actual: `${fromArena.constructor.name} of ${fromArena.length}` });
    }
    let data: Storage;
    try {
      data = (fromArena ?? (this.zeroReused ? allocData(dtype, n) : allocDataUninitialized(dtype as Exclude<DType, 'string'>, n))) as Storage;
    } catch (e) {
      // The engine could not allocate (ArrayBuffer allocation failed): a typed error, not a crash.
      if (!(e instanceof RangeError)) throw e;
      throw new ResourceLimitError({ limit: 'available memory', max: this.#memoryLimit, requested: this.#bytes + bytes, unit: 'bytes' }, `allocating ${dtype}[${dims.join(', ')}] failed (${e.message})`);
    }
    if (!fromArena) this.#bytes += bytes;
    else this.#arenaBytes += bytes;
    this.#stats.allocated++;
    if (fromArena) this.#stats.arena++;
    else if (!this.zeroReused && bytes >= 4096) this.#stats.allocatedDirty++;
    this.#track({ dtype, n, data, arena: fromArena !== undefined, refs: 0, free: false, copied: false, next: undefined, list: undefined });
    this.#live++;
    return new Tensor(dtype, data as never, dims);
  }

  /** A value slot now holds `t`. */
  retain(t: Tensor): void {
    const o = this.#ownerOf(t);
    if (o) o.refs++;
  }

  /** A value slot that held `t` was cleared; the allocation is recycled when nothing else holds it. */
  release(t: Tensor): void {
    const o = this.#ownerOf(t);
    if (!o) return;
    o.refs--;
    if (o.refs <= 0) this.#recycle(o);
  }

  /**
   * `t` leaves the run (result, observed value). Returns the tensor the caller may keep: `t` itself for JS memory whose
   * view spans its buffer (the pool forgets its allocation, so it is never reused), or a JS copy (an array of its own)
   * when `t` lies in the arena or in a JS buffer reused for a shorter view (the allocation stays pooled: a caller never
   * gets an array whose `buffer` holds more than it).
   */
  escape<D extends DType>(t: Tensor<D>): Tensor<D> {
    const o = this.#ownerOf(t);
    if (!o) return t;
    if (o.arena || o.data.byteLength !== o.data.buffer.byteLength) {
      if (!o.arena) o.copied = true;
      return new Tensor(t.dtype, (t.data as Storage).slice() as never, t.dims);
    }
    this.#untrack(o);
    this.#live--;
    this.#bytes -= o.data.buffer.byteLength;
    this.#escaped.set(o.data.buffer, o);
    return t;
  }

  /**
   * The caller hands back `t`, a tensor (or a view of one) this pool let escape: its whole allocation is free again,
   * for a later `alloc`. False (nothing taken) for anything else (a feed, a copy, another
   * pool's buffer, one given back already) or when holding it would pass the memory limit.
   */
  giveBack(t: Tensor): boolean {
    const data = t.data as Storage;
    if (Array.isArray(data)) return false;
    const o = this.#escaped.get(data.buffer);
    if (!o) return false;
    this.#escaped.delete(data.buffer);
    if (this.#bytes + o.data.buffer.byteLength > this.#memoryLimit) return false;
    this.#bytes += o.data.buffer.byteLength;
    this.#track(o);
    this.#live++; // counted as handed out until #recycle puts it on its free list
    this.#recycle(o);
    return true;
  }

  /** True when `t`'s storage lies in an allocation of this pool that is still tracked (tests). */
  owns(t: Tensor): boolean {
    return this.#ownerOf(t) !== undefined;
  }

  /** True when `t`'s storage lies in arena memory the pool owns. */
  inArena(t: Tensor): boolean {
    return this.#ownerOf(t)?.arena === true;
  }

  /**
   * End of a top-level run: put every allocation nobody holds back on the free list (results escaped already; these
   * are kernel scratch buffers nothing retained, which the next run's kernels take back instead of allocating anew),
   * and arena views too; forget JS buffers still counted as held (none after a normal run), so the pool only keeps
   * its free lists between runs.
   */
  endRun(): void {
    if (this.#live === 0) return;
    // (Deleting the entry being visited is safe while iterating a Map.)
    for (const o of this.#js.values()) {
      if (o.free) continue;
      if (o.refs <= 0 || o.copied) {
        o.copied = false;
        this.#recycle(o);
      }
      else {
        this.#untrack(o);
        this.#live--;
        this.#bytes -= o.data.buffer.byteLength;
      }
    }
    for (const o of this.#byView.values()) if (!o.free) this.#recycle(o);
  }

  /** Drops every free buffer (e.g. after an unusually large run); arena views go back to the arena. */
  clear(): void {
    this.#dropFree();
  }

  #dropFree(): void {
    for (const bySize of this.#free.values()) {
      for (const list of bySize.values()) {
        for (let o = list.head; o; o = o.next) {
          this.#untrack(o);
          if (o.arena) {
            this.#arena!.free(o.data);
            this.#arenaBytes -= o.data.byteLength;
          } else this.#bytes -= o.data.byteLength;
        }
        list.head = undefined;
      }
    }
    for (const o of this.#recent.drain()) {
      this.#untrack(o);
      this.#bytes -= o.data.buffer.byteLength;
    }
    this.#freeCount = 0;
    // Lists no tracked allocation belongs to any more go (a model with varying shapes would otherwise keep one per
    // size ever met).
    for (const [dtype, bySize] of this.#free) {
      for (const [n, list] of bySize) if (list.members === 0) bySize.delete(n);
      if (bySize.size === 0) this.#free.delete(dtype);
    }
  }

  /** A free allocation (taken off its list) handed out again: zero-filled unless zeroReused is off. */
  #handOut<D extends DType>(o: Owned, dtype: D, dims: readonly number[]): Tensor<D> {
    o.free = false;
    o.copied = false;
    o.refs = 0;
    this.#freeCount--;
    this.#live++;
    if (this.zeroReused) zeroFill(o.data);
    else this.#stats.reusedDirty++;
    this.#stats.reused++;
    return new Tensor(dtype, o.data as never, dims);
  }

  /** A handed-out allocation (tracked) is free: a JS one joins the recency list, an arena view its free list. */
  #recycle(o: Owned): void {
    if (o.arena) {
      const list = o.list!;
      o.next = list.head;
      list.head = o;
    } else {
      this.#recent.push(o);
    }
    o.free = true;
    this.#freeCount++;
    this.#live--;
  }

  #track(o: Owned): void {
    if (!o.arena) {
      this.#js.set(o.data.buffer, o);
      return;
    }
    let bySize = this.#free.get(o.dtype);
    if (!bySize) this.#free.set(o.dtype, (bySize = new Map()));
    let fl = bySize.get(o.n);
    if (!fl) bySize.set(o.n, (fl = { head: undefined, members: 0 }));
    fl.members++;
    o.list = fl;
    this.#byView.set(o.data, o);
    const list = this.#byBuffer.get(o.data.buffer);
    if (list) list.push(o);
    else this.#byBuffer.set(o.data.buffer, [o]);
  }

  #untrack(o: Owned): void {
    if (!o.arena) {
      this.#js.delete(o.data.buffer);
      return;
    }
    o.list!.members--;
    o.list = undefined;
    this.#byView.delete(o.data);
    const list = this.#byBuffer.get(o.data.buffer);
    if (!list) return;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byBuffer.delete(o.data.buffer);
  }

  #ownerOf(t: Tensor): Owned | undefined {
    const data = t.data as Storage;
    if (Array.isArray(data)) return undefined;
    const js = this.#js.get(data.buffer);
    // A JS allocation spans its whole buffer (an empty view just past its end is not inside it).
    if (js) return !js.free && (data.byteLength > 0 || data.byteOffset < js.data.buffer.byteLength) ? js : undefined;
    if (this.#byView.size === 0) return undefined;
    const exact = this.#byView.get(data);
    if (exact) return exact.free ? undefined : exact;
    const list = this.#byBuffer.get(data.buffer);
    if (!list) return undefined;
    // A loop, not `list.find` with a closure: the captured bounds would make every call of this method (every retain
    // and release) allocate a context object, even when it returns before this point.
    const lo = data.byteOffset;
    const hi = lo + data.byteLength;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      const start = o.data.byteOffset;
      const end = start + o.data.byteLength;
      if (!o.free && start <= lo && hi <= end && (hi > lo || lo < end)) return o;
    }
    return undefined;
  }
}
