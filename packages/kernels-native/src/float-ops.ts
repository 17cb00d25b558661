/**
 * Native variants for the float ops around the GEMMs of transformer and CNN models, whose JS reference kernels walk
 * index arrays element by element (csrc/elementwise_kernels.inc; AVX2 build where the CPU has it):
 *
 * - `Relu:f32`: x > 0 ? x : 0 (NaN stays NaN, -0 gives +0), bit-exact; one pass where the wasm variant copies in and
 *   out of its heap (every activation of a float CNN).
 * - `Clip:f32` (min / max from attributes before opset 11, else scalar inputs, absent = unbounded): the reference's
 *   comparisons in its order, bit-exact (HardSwish-style activations).
 * - `GlobalAveragePool:f32`: each channel's sum in float32 in row-major order, then fround(sum / count), bit-exact.
 * - `Add|Sub|Mul|Div:f32`: numpy broadcasting of any shapes (rank <= 8): one float32 operation per element, bit-exact.
 * - `Transpose:f32|i32|u8|i8|i64`: any perm (rank <= 8), contiguous runs copied whole; exact.
 * - `LayerNormalization:f32` (stash_type 1, scale/B covering the normalized dims; also `lowbit.QLayerNorm:f32`, the
 *   same followed by a per-tensor 8-bit QuantizeLinear, rows blocked through a stack buffer): bit-exact with the reference (sums
 *   in double, every other step one float32 operation, in the reference's order).
 * - `Softmax:f32` over the last axis (opset >= 13; any axis before 13, whose 2-D view is contiguous): exp, sum and
 *   division in double as the reference, rounded once; the C library's exp (or, on AVX-512 CPUs, an eight-lane double
 *   exp with relative error below 1e-15 and an eight-lane row sum) may differ from V8's in the last double bits, so a
 *   result may round to the neighbouring float32: declared `{ ulp: 1 }`.
 *
 * - `Exp:f32`: exp in double rounded once to float32 like the reference's fround(Math.exp(x)); the C library's exp (or,
 *   on AVX-512 CPUs, Softmax's eight-lane double exp, relative error below 1e-15) may differ from V8's in the last
 *   double bits, so a result may round to the neighbouring float32: declared `{ ulp: 1 }`. x > 89 gives +inf.
 *
 * Everything else (other dtypes, ranks above 8, shapes that do not broadcast, bad attributes) runs on the reference,
 * which also reports the errors.
 */
import { broadcastShapes, DTYPE_SHORT, sameDims, sizeOf, type DType, type KernelNode, type KernelVariant, type Tensor, type Tolerance } from '@lowbit/kernels';
import { lazyReference, nativeInstance, type NativeContext, type NativeInstance } from './context.js';

/** Element strides of `dims` read as broadcast to `out` (0 on broadcast axes). */
function broadcastStrides(dims: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    const o = out.length - dims.length + k;
    st[o] = dims[k] === 1 ? 0 : s;
    s *= dims[k];
  }
  return st;
}

/**
 * Scratch for the walks handed to the addon: dims at [0, 8), the strides of input 0 at [8, 16), of input 1 at [16, 24).
 * Its own ArrayBuffer (never an on-heap typed array, which the addon would make V8 move off the heap on every call).
 */
const WALK = new Int32Array(new ArrayBuffer(4 * 32));

/**
 * WALK's dims and per-input stride views for each rank 0..8, made once (a `subarray` per call is one more object to
 * allocate, and to collect, on every run).
 */
const WALK_VIEWS: readonly (readonly [Int32Array, Int32Array, Int32Array])[] = Array.from({ length: 9 }, (_, r) => [WALK.subarray(0, r), WALK.subarray(8, 8 + r), WALK.subarray(16, 16 + r)] as const);

/**
 * Merges neighbouring axes that every input walks the same way (contiguously, or both broadcast) and drops axes of
 * size 1, so the innermost loop runs as long as possible; writes dims and strides into WALK and returns the rank.
 */
function collapseInto(dims: readonly number[], s0: readonly number[], s1: readonly number[] | undefined): number {
  let r = 0;
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k];
    if (d === 1) continue;
    if (r > 0 && WALK[7 + r] === s0[k] * d && (!s1 || WALK[15 + r] === s1[k] * d)) {
      WALK[r - 1] *= d;
      WALK[7 + r] = s0[k];
      if (s1) WALK[15 + r] = s1[k];
      continue;
    }
    WALK[r] = d;
    WALK[8 + r] = s0[k];
    if (s1) WALK[16 + r] = s1[k];
    r++;
  }
  return r;
}

/** collapseInto as plain arrays (for one or two inputs). */
export function collapse(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const r = collapseInto(dims, strides[0], strides[1]);
  return { dims: Array.from(WALK.subarray(0, r)), strides: strides.map((_, i) => Array.from(WALK.subarray(8 * (i + 1), 8 * (i + 1) + r))) };
}

/** Walks beyond int32 element offsets run on the reference. */
const MAX_ELEMENTS = 2 ** 31 - 1;

const BINARY = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;

function binaryVariant(ctx: NativeContext, op: keyof typeof BINARY, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = `${op}:f32`;
  const code = BINARY[op];
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact',
    create: (node) => {
      // The broadcast of the last input dims met (they rarely change from run to run), worked out again only when
      // they do.
      let lastA: readonly number[] | undefined;
      let lastB: readonly number[] = [];
      let out: number[] = [];
      let sa: number[] = [];
      let sb: number[] = [];
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const a = inputs[0];
        const b = inputs[1];
        if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
        if (lastA === undefined || !sameDims(a.dims, lastA) || !sameDims(b.dims, lastB)) {
          let o: number[];
          try {
            o = broadcastShapes(node, [a.dims, b.dims]);
          } catch {
            return undefined; // shapes that do not broadcast: the reference kernel reports them
          }
          if (o.length > 8) return undefined;
          out = o;
          sa = broadcastStrides(a.dims, o);
          sb = broadcastStrides(b.dims, o);
          lastA = a.dims.slice();
          lastB = b.dims.slice();
        }
        if (a.data.length > MAX_ELEMENTS || b.data.length > MAX_ELEMENTS) return undefined;
        const y = rctx.alloc('float32', out);
        if (y.data.length === 0) return [y];
        const v = WALK_VIEWS[collapseInto(out, sa, sb)];
        ctx.addon.binary(code, a.data as Float32Array, b.data as Float32Array, y.data, v[0], v[1], v[2], ctx.pool());
        return [y];
      });
    },
  };
}

const TRANSPOSE_TYPES: readonly DType[] = ['float32', 'int32', 'uint8', 'int8', 'int64'];

function transposeVariant(ctx: NativeContext, dtype: DType, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = `Transpose:${DTYPE_SHORT[dtype]}`;
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact',
    create(node) {
      const permAttr = node.attrs.get('perm');
      // The output dims and permuted input strides of the last input dims met (worked out again when they change).
      let lastDims: readonly number[] | undefined;
      let out: number[] = [];
      let strides: number[] = [];
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== dtype) return undefined;
        if (lastDims === undefined || !sameDims(x.dims, lastDims)) {
          const rank = x.dims.length;
          const perm = permAttr === undefined ? Array.from({ length: rank }, (_, i) => rank - 1 - i) : Array.isArray(permAttr) ? permAttr.map(Number) : undefined;
          if (!perm || rank > 8 || perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) return undefined;
          const inStr = new Array<number>(rank);
          for (let k = rank - 1, s = 1; k >= 0; k--) {
            inStr[k] = s;
            s *= x.dims[k];
          }
          out = perm.map((p) => x.dims[p]);
          strides = perm.map((p) => inStr[p]);
          lastDims = x.dims.slice();
        }
        if (x.data.length > MAX_ELEMENTS) return undefined;
        const y = rctx.alloc(dtype, out);
        if (y.data.length === 0) return [y];
        const v = WALK_VIEWS[collapseInto(out, strides, undefined)];
        ctx.addon.transpose(x.data as Float32Array, v[0], v[1], y.data as Float32Array, ctx.pool());
        return [y];
      });
    },
  };
}

const num = (node: KernelNode, name: string, dflt: number): number => {
  const v = node.attrs.get(name);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt;
};

/** Whether `t` covers `inner` exactly (each of its dims equals the aligned normalized dim: no broadcasting). */
const covers = (t: Tensor, innerDims: readonly number[]) =>
  t.dtype === 'float32' && t.dims.length <= innerDims.length && t.dims.every((d, k) => d === innerDims[innerDims.length - t.dims.length + k]);

/** LayerNormalization's [outer, inner] split of x at the attribute axis, or undefined where the native kernel does not
    apply (axis out of range, scale / bias broadcasting, empty rows). */
function normRows(x: Tensor, scale: Tensor, bias: Tensor | null | undefined, axisAttr: number): { axis: number; outer: number; inner: number } | undefined {
  const rank = x.dims.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) return undefined;
  const innerDims = x.dims.slice(axis);
  if (!covers(scale, innerDims) || (bias && !covers(bias, innerDims))) return undefined;
  const inner = sizeOf(innerDims);
  if (inner === 0) return undefined;
  return { axis, outer: sizeOf(x.dims.slice(0, axis)), inner };
}

function layerNormVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'LayerNormalization:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact',
    create(node) {
      const axisAttr = num(node, 'axis', -1);
      const eps = num(node, 'epsilon', 1e-5);
      const stash = num(node, 'stash_type', 1);
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const [x, scale, bias] = inputs;
        if (stash !== 1 || !x || !scale || x.dtype !== 'float32') return undefined;
        const rows = normRows(x, scale, bias, axisAttr);
        if (!rows) return undefined;
        const { axis, outer, inner } = rows;
        const y = rctx.alloc('float32', x.dims);
        const statDims = x.dims.map((d, k) => (k < axis ? d : 1));
        const mean = node.outputCount > 1 ? rctx.alloc('float32', statDims) : null;
        const inv = node.outputCount > 2 ? rctx.alloc('float32', statDims) : null;
        if (outer > 0) ctx.addon.layerNorm(x.data as Float32Array, outer, inner, scale.data as Float32Array, (bias?.data as Float32Array | undefined) ?? null, eps, y.data, mean?.data ?? null, inv?.data ?? null, ctx.pool());
        return [y, mean, inv].slice(0, Math.max(1, node.outputCount));
      });
    },
  };
}

/** lowbit.QLayerNorm (LayerNormalization then a per-tensor 8-bit QuantizeLinear): the native LayerNormalization over
    row blocks and the native QuantizeLinear, bit-exact with the reference. */
function qLayerNormVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'lowbit.QLayerNorm:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact',
    create(node) {
      const axisAttr = num(node, 'axis', -1);
      const eps = num(node, 'epsilon', 1e-5);
      const stash = num(node, 'stash_type', 1);
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const [x, scale, bias, ys, zp] = inputs;
        if (stash !== 1 || !x || !scale || x.dtype !== 'float32' || ys?.dtype !== 'float32' || ys.data.length !== 1) return undefined;
        if ((zp?.dtype !== 'uint8' && zp?.dtype !== 'int8') || zp.data.length !== 1) return undefined;
        const rows = normRows(x, scale, bias, axisAttr);
        if (!rows) return undefined;
        const { outer, inner } = rows;
        const y = rctx.alloc(zp.dtype, x.dims);
        if (outer > 0) ctx.addon.layerNorm(x.data as Float32Array, outer, inner, scale.data as Float32Array, (bias?.data as Float32Array | undefined) ?? null, eps, y.data as Uint8Array | Int8Array, (ys.data as Float32Array)[0], (zp.data as Uint8Array | Int8Array)[0], ctx.pool());
        return [y];
      });
    },
  };
}

/** Softmax:f32's declared tolerance (see the file comment). */
export const SOFTMAX_TOLERANCE: Tolerance = { ulp: 1 };

function softmaxVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'Softmax:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: SOFTMAX_TOLERANCE,
    create(node) {
      const modern = node.opset >= 13;
      const axisAttr = num(node, 'axis', modern ? -1 : 1);
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== 'float32') return undefined;
        const rank = x.dims.length;
        const axis = axisAttr < 0 ? axisAttr + Math.max(rank, 1) : axisAttr;
        if (rank === 0 || !Number.isInteger(axis) || axis < 0 || axis >= rank || (modern && axis !== rank - 1)) return undefined;
        const n = sizeOf(x.dims.slice(axis));
        const rows = sizeOf(x.dims.slice(0, axis));
        if (n === 0 || rows === 0) return undefined;
        const y = rctx.alloc('float32', x.dims);
        ctx.addon.softmax(x.data as Float32Array, rows, n, y.data, ctx.pool());
        return [y];
      });
    },
  };
}

/** Exp:f32's declared tolerance (see the file comment). */
export const EXP_TOLERANCE: Tolerance = { ulp: 1 };

function expVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'Exp:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: EXP_TOLERANCE, writesAllOutputs: true,
    create: (node) =>
      nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== 'float32' || x.data.length > MAX_ELEMENTS) return undefined;
        const y = rctx.alloc('float32', x.dims);
        if (y.data.length > 0) ctx.addon.exp(x.data as Float32Array, x.data.length, y.data);
        return [y];
      }),
  };
}

function reluVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'Relu:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact', writesAllOutputs: true,
    create: (node) =>
      nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== 'float32' || x.data.length > MAX_ELEMENTS) return undefined;
        const y = rctx.alloc('float32', x.dims);
        ctx.addon.relu(x.data as Float32Array, y.data);
        return [y];
      }),
  };
}

function clipVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'Clip:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact', writesAllOutputs: true,
    create: (node) => {
      const attr = (name: string, dflt: number) => {
        const v = node.attrs.get(name);
        return typeof v === 'number' ? v : dflt;
      };
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== 'float32' || x.data.length > MAX_ELEMENTS) return undefined;
        let lo = -Infinity;
        let hi = Infinity;
        if (node.opset < 11) {
          lo = attr('min', -Infinity);
          hi = attr('max', Infinity);
        } else {
          const [l, h] = [inputs[1], inputs[2]];
          if ((l && l.dtype !== 'float32') || (h && h.dtype !== 'float32')) return undefined;
          if (l && l.data.length > 0) lo = (l.data as Float32Array)[0];
          if (h && h.data.length > 0) hi = (h.data as Float32Array)[0];
        }
        const y = rctx.alloc('float32', x.dims);
        ctx.addon.clip(x.data as Float32Array, lo, hi, node.opset >= 11, y.data);
        return [y];
      });
    },
  };
}

function globalAvgPoolVariant(ctx: NativeContext, isa: 'avx2' | 'scalar-c'): KernelVariant {
  const key = 'GlobalAveragePool:f32';
  return {
    key, name: `native-${isa}`, isa, tolerance: 'exact', writesAllOutputs: true,
    create: (node) => {
      // The output dims and plane size of the last input dims met (worked out again when they change).
      let lastDims: readonly number[] | undefined;
      let outDims: number[] = [];
      let plane = 0;
      return nativeInstance(ctx, key, node, (inputs, rctx) => {
        const x = inputs[0];
        if (!x || x.dtype !== 'float32' || x.dims.length < 3 || x.data.length > MAX_ELEMENTS) return undefined;
        if (lastDims === undefined || !sameDims(x.dims, lastDims)) {
          plane = x.dims.slice(2).reduce((p, d) => p * d, 1);
          outDims = [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)];
          lastDims = x.dims.slice();
        }
        const rows = x.dims[0] * x.dims[1];
        if (plane === 0) return undefined; // 0 / 0: the reference's NaN
        const y = rctx.alloc('float32', outDims);
        ctx.addon.globalAvgPool(x.data as Float32Array, rows, plane, y.data);
        return [y];
      });
    },
  };
}

export function floatOpVariants(ctx: NativeContext, avx2: boolean): KernelVariant[] {
  const isa = avx2 ? 'avx2' : 'scalar-c';
  return [
    reluVariant(ctx, isa),
    clipVariant(ctx, isa),
    globalAvgPoolVariant(ctx, isa),
    ...(Object.keys(BINARY) as (keyof typeof BINARY)[]).map((op) => binaryVariant(ctx, op, isa)),
    ...TRANSPOSE_TYPES.map((t) => transposeVariant(ctx, t, isa)),
    layerNormVariant(ctx, isa),
    qLayerNormVariant(ctx, isa),
    softmaxVariant(ctx, isa),
    expVariant(ctx, isa),
  ];
}
