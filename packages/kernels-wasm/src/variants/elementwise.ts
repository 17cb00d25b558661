/**
 * Element-wise float32 ops on the wasm kernels, bit-exact with the reference (one IEEE float32 operation each) except
 * Sigmoid (an approximation within SIGMOID_TOLERANCE):
 * Relu (NaN kept, -0 -> +0), Clip (NaN and -0 kept), Add/Sub/Mul/Div with the broadcasts that dominate CNNs (same
 * shape, a scalar side, a side that is constant over the trailing dims such as a per-channel [C, 1, 1], or over the
 * leading dims such as a bias [C]). Other broadcasts run on the reference kernel.
 */
import { broadcastShapes, type KernelInstance, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, prod, withScratch } from '../runtime.js';

function unary(rt: WasmRuntime, node: KernelNode, apply: (inputs: readonly (Tensor | null)[], x: number, n: number, y: number) => boolean): KernelInstance {
  const reference = lazyReference(rt, node);
  return {
    run(inputs, ctx) {
      const x = inputs[0];
      if (!x || x.dtype !== 'float32') return reference(inputs, ctx);
      const y = ctx.alloc('float32', x.dims);
      const n = x.data.length;
      const ok = withScratch(rt, (_alloc, place, out) => {
        const xp = place(x.data as Float32Array);
        const yp = out(y.data);
        if (!apply(inputs, xp, n, yp)) return false;
        copyOut(rt, y.data, yp);
        return true;
      });
      return ok ? [y] : reference(inputs, ctx);
    },
  };
}

function clipBounds(node: KernelNode, inputs: readonly (Tensor | null)[]): [number, number] | undefined {
  if (node.opset < 11) {
    const lo = node.attrs.get('min');
    const hi = node.attrs.get('max');
    const l = typeof lo === 'number' ? lo : -Infinity;
    const h = typeof hi === 'number' ? hi : Infinity;
    // Before opset 11 the reference is `v < min ? min : v > max ? max : v`, which differs when min > max.
    return l > h ? undefined : [l, h];
  }
  const [, lo, hi] = inputs;
  if ((lo && (lo.dtype !== 'float32' || lo.data.length !== 1)) || (hi && (hi.dtype !== 'float32' || hi.data.length !== 1))) return undefined;
  return [lo ? (lo.data as Float32Array)[0] : -Infinity, hi ? (hi.data as Float32Array)[0] : Infinity];
}

/** (outer, inner, aOuter, aInner, bOuter, bInner) for `binary`, or undefined for broadcasts not covered. */
export function broadcastPlan(node: Pick<KernelNode, 'name' | 'opType'>, ad: readonly number[], bd: readonly number[]): { dims: number[]; plan: [number, number, number, number, number, number] } | undefined {
  let dims: number[];
  try {
    dims = broadcastShapes(node, [ad, bd]);
  } catch {
    return undefined; // shapes that do not broadcast: the reference kernel reports them
  }
  const r = dims.length;
  const a = [...Array(r - ad.length).fill(1), ...ad];
  const b = [...Array(r - bd.length).fill(1), ...bd];
  const total = prod(dims);
  const same = (x: number[]) => x.every((d, i) => d === dims[i]);
  if (same(a) && same(b)) return { dims, plan: [1, total, 0, 1, 0, 1] };
  if (prod(b) === 1 && same(a)) return { dims, plan: [1, total, 0, 1, 0, 0] };
  if (prod(a) === 1 && same(b)) return { dims, plan: [1, total, 0, 0, 0, 1] };
  for (let s = 1; s < r; s++) {
    const outer = prod(dims.slice(0, s));
    const inner = prod(dims.slice(s));
    const head = (x: number[]) => x.slice(0, s).every((d, i) => d === dims[i]) && x.slice(s).every((d) => d === 1);
    const tail = (x: number[]) => x.slice(0, s).every((d) => d === 1) && x.slice(s).every((d, i) => d === dims[s + i]);
    if (same(a) && head(b)) return { dims, plan: [outer, inner, inner, 1, 1, 0] };
    if (same(b) && head(a)) return { dims, plan: [outer, inner, 1, 0, inner, 1] };
    if (same(a) && tail(b)) return { dims, plan: [outer, inner, inner, 1, 0, 1] };
    if (same(b) && tail(a)) return { dims, plan: [outer, inner, 0, 1, inner, 1] };
  }
  return undefined;
}

const OPS = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;

/**
 * Sigmoid is an approximation (assembly/transcendental.ts: Cody-Waite exp with a degree-7 polynomial, two-step 2^n
 * scaling, 1/(1+e) or e/(1+e)): within 4 ulps of the reference's correctly rounded `1 / (1 + Math.exp(-x))` over all
 * float32 inputs including subnormal results (a dense sweep in elementwise.equiv.test.ts measures the worst case).
 */
export const SIGMOID_TOLERANCE = { ulp: 4 } as const;

function sameDims(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function binaryOp(rt: WasmRuntime, node: KernelNode, op: number): KernelInstance {
  const reference = lazyReference(rt, node);
  // The plan of the last shapes seen (shapes rarely change between runs).
  let last: { a: readonly number[]; b: readonly number[]; bp: ReturnType<typeof broadcastPlan> } | undefined;
  return {
    run(inputs, ctx) {
      const a = inputs[0], b = inputs[1];
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return reference(inputs, ctx);
      if (!last || !sameDims(a.dims, last.a) || !sameDims(b.dims, last.b)) last = { a: [...a.dims], b: [...b.dims], bp: broadcastPlan(node, a.dims, b.dims) };
      const bp = last.bp;
      if (!bp) return reference(inputs, ctx);
      const y = ctx.alloc('float32', bp.dims);
      const n = y.data.length;
      if (n === 0) return [y];
      const pl = bp.plan;
      const outer = pl[0], inner = pl[1], ao = pl[2], ai = pl[3], bo = pl[4], bi = pl[5];
      withScratch(rt, (_alloc, place, out) => {
        const ap = place(a.data as Float32Array);
        const bq = place(b.data as Float32Array);
        const yp = out(y.data);
        rt.ex.binary(op, ap, ao, ai, bq, bo, bi, outer, inner, yp);
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
  };
}

export function elementwiseVariants(rt: WasmRuntime): KernelVariant[] {
  const v = (key: string, create: (node: KernelNode) => KernelInstance): KernelVariant => ({ key, name: 'wasm-simd128', isa: 'wasm-simd128', tolerance: 'exact', tile: 4, create });
  return [
    v('Relu:f32', (node) => unary(rt, node, (_i, x, n, y) => (rt.ex.relu(x, n, y), true))),
    { ...v('Sigmoid:f32', (node) => unary(rt, node, (_i, x, n, y) => (rt.ex.sigmoid(x, n, y), true))), tolerance: SIGMOID_TOLERANCE },
    v('Clip:f32', (node) =>
      unary(rt, node, (inputs, x, n, y) => {
        const b = clipBounds(node, inputs);
        if (!b) return false;
        rt.ex.clip(x, n, b[0], b[1], y);
        return true;
      }),
    ),
    ...Object.entries(OPS).map(([op, code]) => v(`${op}:f32`, (node) => binaryOp(rt, node, code))),
  ];
}
