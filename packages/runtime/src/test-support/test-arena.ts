/**
 * An Arena over one ArrayBuffer (test support only): first-fit over 16-byte-aligned blocks, like a WebAssembly
 * module's allocator. It checks its callers: `free` of a view it did not hand out, or of one already freed, throws.
 */
import { allocData, type Arena, type DataOf, type DType } from '@lowbit/kernels';

type NumDType = Exclude<DType, 'string'>;
type View = DataOf[NumDType];

const BYTES: Partial<Record<NumDType, number>> = { float64: 8, int64: 8, uint64: 8, float32: 4, int32: 4, uint32: 4, float16: 2, bfloat16: 2, int16: 2, uint16: 2 };

export interface TestArena extends Arena {
  readonly buffer: ArrayBuffer;
  /** Views handed out and not yet freed. */
  readonly live: Set<View>;
  allocs: number;
  frees: number;
  /** Dtypes the arena refuses (alloc returns undefined). */
  refuse: Set<NumDType>;
}

export function testArena(bytes = 1 << 16): TestArena {
  const buffer = new ArrayBuffer(bytes);
  const used: { start: number; end: number; view: View }[] = [];
  const a: TestArena = {
    buffer, live: new Set(), allocs: 0, frees: 0, refuse: new Set(),
    alloc<D extends NumDType>(dtype: D, n: number): DataOf[D] | undefined {
      if (a.refuse.has(dtype)) return undefined;
      const size = n * (BYTES[dtype] ?? 1);
      let at = 0;
      used.sort((x, y) => x.start - y.start);
      for (const u of used) {
        if (at + size <= u.start) break;
        at = Math.max(at, Math.ceil(u.end / 16) * 16);
      }
      if (at + size > bytes) return undefined;
      const C = (allocData(dtype, 0) as unknown as { constructor: new (b: ArrayBuffer, o: number, n: number) => DataOf[D] }).constructor;
      const view = new C(buffer, at, n);
      (view as unknown as { fill(v: unknown): void }).fill(dtype === 'int64' || dtype === 'uint64' ? 0n : 0);
      used.push({ start: at, end: at + size, view });
      a.live.add(view);
      a.allocs++;
      return view;
    },
    free(view: View): void {
      const i = used.findIndex((u) => u.view === view);
      if (i < 0) throw new Error('arena: free of a view that is not live (double free or foreign view)');
      used.splice(i, 1);
      a.live.delete(view);
      a.frees++;
    },
  };
  return a;
}
