/**
 * A RunContext allocator that recycles intermediate buffers.
 *
 * Every typed array handed out by `alloc` is "owned" by the pool and reference-counted by its ArrayBuffer: each
 * live value slot holding a tensor whose storage lies in that buffer counts once (views made by Reshape-like kernels
 * and inputs passed through by Identity-like kernels share the count). When the count drops to zero the buffer goes
 * on a free list keyed by dtype and element count, and the next `alloc` of the same dtype and size takes it back,
 * zero-filled (kernels are written against zeroed fresh buffers, so a reused buffer looks exactly like a new one).
 *
 * Buffers that leave the run (session results, tensors passed to value hooks) "escape": the pool forgets them, so
 * they are never reused. Feeds and initializers are never owned. String tensors are not pooled.
 */
import { Tensor, allocData, sizeOf, type DType, type RunContext } from '@lowbit/kernels';

type Storage = Exclude<Tensor['data'], string[]>;

interface Owned {
  readonly key: string;
  readonly data: Storage;
  refs: number;
}

export interface PoolStats {
  /** Buffers created by `alloc`. */
  allocated: number;
  /** `alloc` calls served from the free list. */
  reused: number;
}

export class BufferPool implements RunContext {
  readonly #owned = new Map<ArrayBufferLike, Owned>();
  readonly #free = new Map<string, Storage[]>();
  readonly stats: PoolStats = { allocated: 0, reused: 0 };

  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    const n = sizeOf(dims);
    if (dtype === 'string' || n === 0) return new Tensor(dtype, allocData(dtype, n), dims);
    const key = `${dtype}:${n}`;
    const list = this.#free.get(key);
    const reused = list?.pop();
    if (reused) {
      (reused as { fill(v: never): unknown }).fill((dtype === 'int64' || dtype === 'uint64' ? 0n : 0) as never);
      this.stats.reused++;
      this.#owned.set(reused.buffer, { key, data: reused, refs: 0 });
      return new Tensor(dtype, reused as never, dims);
    }
    const data = allocData(dtype, n) as Storage;
    this.stats.allocated++;
    this.#owned.set(data.buffer, { key, data, refs: 0 });
    return new Tensor(dtype, data as never, dims);
  }

  /** A value slot now holds `t`. */
  retain(t: Tensor): void {
    const o = this.#ownerOf(t);
    if (o) o.refs++;
  }

  /** A value slot that held `t` was cleared; the buffer is recycled when nothing else holds it. */
  release(t: Tensor): void {
    const o = this.#ownerOf(t);
    if (!o) return;
    o.refs--;
    if (o.refs <= 0) {
      this.#owned.delete(o.data.buffer);
      const list = this.#free.get(o.key) ?? [];
      list.push(o.data);
      this.#free.set(o.key, list);
    }
  }

  /** `t` leaves the run (result, observed value): its buffer is never reused. */
  escape(t: Tensor): void {
    if (typeof t.data === 'object' && !Array.isArray(t.data)) this.#owned.delete((t.data as Storage).buffer);
  }

  /** True when `t`'s storage came from this pool and is still tracked (tests). */
  owns(t: Tensor): boolean {
    return this.#ownerOf(t) !== undefined;
  }

  /**
   * End of a top-level run: forget every buffer still owned (results escaped already; the rest are kernel scratch
   * buffers nobody retained), so the pool only keeps its free lists between runs.
   */
  endRun(): void {
    this.#owned.clear();
  }

  /** Drops every free buffer (e.g. after an unusually large run). */
  clear(): void {
    this.#free.clear();
  }

  #ownerOf(t: Tensor): Owned | undefined {
    if (Array.isArray(t.data)) return undefined;
    return this.#owned.get((t.data as Storage).buffer);
  }
}
