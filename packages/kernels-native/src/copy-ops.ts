/**
 * Native variants of the data-movement ops around detection heads, whose reference kernels copy short runs one
 * element at a time in JS (ultraface's box decoding concatenates and slices [1, 4420, 2] halves of [1, 4420, 4]):
 *
 * - `Concat:f32|u8|i8|i32|i64`: each input's rows (the dims from `axis` on) copied with one addon call per input
 *   (memcpy per row, fixed-size copies for short rows).
 * - `Slice:f32|u8|i8|i32|i64` (opset >= 10, every step 1): the trailing contiguous run of the output copied per
 *   position of the axes before it, one addon call per block of the innermost outer axis.
 *
 * Both exact (bits are copied). Everything else (other dtypes, steps other than 1, attributes before opset 10,
 * malformed inputs) runs on the reference, which also reports the errors.
 */
import { DTYPE_SHORT, type DType, type KernelVariant, type Tensor } from '@lowbit/kernels';
import { nativeInstance, type NativeContext } from './context.js';

const TYPES: readonly DType[] = ['float32', 'uint8', 'int8', 'int32', 'int64'];
const BYTES: Partial<Record<DType, number>> = { float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8 };

function concatVariant(ctx: NativeContext, dtype: DType, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = `Concat:${DTYPE_SHORT[dtype]}`;
  const esize = BYTES[dtype]!;
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact', writesAllOutputs: true,
    create(node) {
      const a = node.attrs.get('axis');
      const axisAttr = typeof a === 'number' ? a : typeof a === 'bigint' ? Number(a) : 0;
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        // The present inputs (an omitted one is null), walked in place: no array of them per call.
        let ref: Tensor | null = null;
        for (let j = 0; j < inputs.length && !ref; j++) ref = inputs[j];
        if (!ref) return undefined;
        const rank = ref.dims.length;
        const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (rank === 0 || axis < 0 || axis >= rank) return undefined;
        let total = 0;
        for (let j = 0; j < inputs.length; j++) {
          const t = inputs[j];
          if (!t) continue;
          if (t.dtype !== dtype || t.dims.length !== rank) return undefined;
          for (let i = 0; i < rank; i++) if (i !== axis && t.dims[i] !== ref.dims[i]) return undefined;
          total += t.dims[axis];
        }
        const dims = ref.dims.slice();
        dims[axis] = total;
        const out = rctx.alloc(dtype, dims);
        let outer = 1;
        for (let i = 0; i < axis; i++) outer *= dims[i];
        let inner = 1;
        for (let i = axis + 1; i < rank; i++) inner *= dims[i];
        const rowOut = total * inner * esize;
        let off = 0;
        for (let j = 0; j < inputs.length; j++) {
          const t = inputs[j];
          if (!t) continue;
          const row = t.dims[axis] * inner * esize;
          if (row > 0 && outer > 0) ctx.addon.copyRuns(out.data as ArrayBufferView, off, rowOut, t.data as ArrayBufferView, 0, row, row, outer);
          off += row;
        }
        return [out];
      });
    },
  };
}

/** Integer values of a small 1-D index tensor (int64 or int32), or undefined. */
function ints(t: Tensor | null | undefined): number[] | undefined {
  if (!t || (t.dtype !== 'int64' && t.dtype !== 'int32') || t.dims.length !== 1) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function sliceVariant(ctx: NativeContext, dtype: DType, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = `Slice:${DTYPE_SHORT[dtype]}`;
  const esize = BYTES[dtype]!;
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact', writesAllOutputs: true,
    create(node) {
      // Constant index inputs (initializers: the usual case) converted once; `run` still checks it got those tensors.
      const constant = (i: number) => node.constants?.get(i);
      const constInts = [1, 2, 3, 4].map((i) => ints(constant(i)));
      const intsOf = (inputs: readonly (Tensor | null)[], i: number) => (inputs[i] === constant(i) ? constInts[i - 1] : ints(inputs[i]));
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (node.opset < 10 || !x || x.dtype !== dtype) return undefined;
        const rank = x.dims.length;
        const starts = intsOf(inputs, 1);
        const ends = intsOf(inputs, 2);
        const axesIn = inputs[3] ? intsOf(inputs, 3) : undefined;
        if (!starts || !ends || starts.length !== ends.length || (inputs[3] && !axesIn)) return undefined;
        if (inputs[4]) {
          const steps = intsOf(inputs, 4);
          if (!steps || steps.length !== starts.length || steps.some((s) => s !== 1)) return undefined;
        }
        const axes = axesIn ?? starts.map((_, i) => i);
        if (axes.length !== starts.length) return undefined;
        const st = new Array<number>(rank).fill(0);
        const dims = x.dims.slice();
        const seen = new Set<number>();
        for (let i = 0; i < axes.length; i++) {
          const a = axes[i] < 0 ? axes[i] + rank : axes[i];
          if (!Number.isInteger(a) || a < 0 || a >= rank || seen.has(a)) return undefined;
          seen.add(a);
          const d = x.dims[a];
          let b = starts[i];
          let e = ends[i];
          if (b < 0) b += d;
          if (e < 0) e += d;
          b = Math.min(Math.max(b, 0), d);
          e = Math.min(Math.max(e, 0), d);
          st[a] = b;
          dims[a] = Math.max(0, e - b);
        }
        const out = rctx.alloc(dtype, dims);
        const n = out.data.length;
        if (n === 0) return [out];
        const strides = new Array<number>(rank);
        for (let k = rank - 1, s = 1; k >= 0; k--) {
          strides[k] = s;
          s *= x.dims[k];
        }
        let off = 0;
        for (let k = 0; k < rank; k++) off += st[k] * strides[k];
        // The trailing contiguous run: innermost axes taken whole, plus the first partly taken one.
        let k = rank;
        let run = 1;
        while (k > 0) {
          k--;
          run *= dims[k];
          if (dims[k] !== x.dims[k]) break;
        }
        if (k === 0) {
          ctx.addon.copyRuns(out.data as ArrayBufferView, 0, 0, x.data as ArrayBufferView, off * esize, 0, run * esize, 1);
          return [out];
        }
        const inner = k - 1;
        const count = dims[inner];
        const block = run * count;
        const counter = new Array<number>(inner).fill(0);
        for (let o = 0; o < n; o += block) {
          ctx.addon.copyRuns(out.data as ArrayBufferView, o * esize, run * esize, x.data as ArrayBufferView, off * esize, strides[inner] * esize, run * esize, count);
          for (let a = inner - 1; a >= 0; a--) {
            counter[a]++;
            off += strides[a];
            if (counter[a] < dims[a]) break;
            off -= strides[a] * counter[a];
            counter[a] = 0;
          }
        }
        return [out];
      });
    },
  };
}

export function copyOpVariants(ctx: NativeContext, avx2: boolean): KernelVariant[] {
  const isa = avx2 ? 'avx2' : 'scalar-c';
  return TYPES.flatMap((t) => [concatVariant(ctx, t, isa), sliceVariant(ctx, t, isa)]);
}
