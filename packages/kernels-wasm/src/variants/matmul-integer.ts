/**
 * MatMulInteger on the wasm kernels: `Y = sum_k (A - a_zero_point) * (B - b_zero_point)` in int32, bit-exact with
 * the scalar reference (see @lowbit/kernels' MatMulInteger for the numerics).
 *
 * Covered here: A of rank >= 2 (leading dims flattened into rows) or 1, B of rank 2, a_zero_point scalar or per row,
 * b_zero_point scalar or per column. B, when constant, is packed once at create (else per call). Anything else (a
 * batched B, other zero-point shapes, bad inputs) runs on the reference kernel.
 *
 * Two variants: `wasm-simd128-4x8` (exact for full-range operands: i16 widening + i32x4.dot_i16x8_s) and
 * `wasm-relaxed-4x8` (i32x4.relaxed_dot_i8x16_i7x16_add_s), which `supports` only nodes whose constant B is 7-bit
 * (int8 in [-64, 63], uint8 in [0, 127]), checked once at create.
 */
import type { KernelInstance, KernelNode, KernelVariant, Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { lazyReference, prod } from '../runtime.js';
import { freeQB, isSevenBit, packQB, qgemmInto, type PackedQB } from './qmatmul-core.js';

const PAIRS = [['uint8', 'int8'], ['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8']] as const;
const SHORT = { uint8: 'u8', int8: 'i8' } as const;

function constB(node: KernelNode): Tensor | undefined {
  const b = node.constants?.get(1);
  return b && b.dims.length === 2 && (b.dtype === 'int8' || b.dtype === 'uint8') ? b : undefined;
}

/** An int32 zero-point vector of 1 or n entries from an optional 8-bit tensor; undefined for other sizes. */
export function zeroPoints(t: Tensor | null | undefined, n: number, rowsOf?: number): Int32Array | undefined {
  if (!t) return Int32Array.of(0);
  const d = t.data as Int8Array | Uint8Array;
  if (d.length === 1) return Int32Array.of(d[0]);
  if (d.length !== n) return undefined;
  if (rowsOf === undefined || rowsOf === n) return Int32Array.from(d);
  const out = new Int32Array(rowsOf);
  for (let r = 0; r < rowsOf; r++) out[r] = d[r % n];
  return out;
}

function create(rt: WasmRuntime, node: KernelNode, relaxed: boolean): KernelInstance {
  const reference = lazyReference(rt, node);
  const bc = constB(node);
  let packed: PackedQB | undefined = bc && (!relaxed || isSevenBit(bc)) ? packQB(rt, bc, relaxed, true) : undefined;
  return {
    run(inputs, ctx) {
      const [a, b] = inputs;
      if (!a || !b || b.dims.length !== 2 || a.dims.length < 1 || a.dtype !== node.inputTypes[0] || b.dtype !== node.inputTypes[1]) return reference(inputs, ctx);
      const K = a.dims[a.dims.length - 1];
      const [Kb, N] = b.dims;
      if (K !== Kb) return reference(inputs, ctx);
      const Mrow = a.dims.length === 1 ? 1 : a.dims[a.dims.length - 2];
      const M = a.dims.length === 1 ? 1 : prod(a.dims.slice(0, -1));
      const za = zeroPoints(inputs[2], Mrow, M);
      const zb = zeroPoints(inputs[3], N);
      if (!za || !zb || (inputs[2] && inputs[2].dtype !== a.dtype) || (inputs[3] && inputs[3].dtype !== b.dtype)) return reference(inputs, ctx);
      let bp = packed;
      const fresh = !bp || b.data !== bc?.data;
      if (fresh) {
        if (relaxed && !isSevenBit(b)) return reference(inputs, ctx);
        bp = packQB(rt, b, relaxed, false);
      }
      const outDims = a.dims.length === 1 ? [N] : [...a.dims.slice(0, -1), N];
      const y = ctx.alloc('int32', outDims);
      try {
        qgemmInto(rt, a.data as Int8Array | Uint8Array, a.dtype === 'int8', M, za, bp!, zb, y.data);
      } finally {
        if (fresh) freeQB(rt, bp!);
      }
      return [y];
    },
    dispose() {
      if (packed) freeQB(rt, packed);
      packed = undefined;
    },
  };
}

export function matmulIntegerVariants(rt: WasmRuntime): KernelVariant[] {
  const out: KernelVariant[] = [];
  for (const [ta, tb] of PAIRS) {
    const key = `MatMulInteger:${SHORT[ta]}x${SHORT[tb]}->i32`;
    out.push({ key, name: 'wasm-simd128-4x8', isa: 'wasm-simd128', tolerance: 'exact', tile: 8, create: (node) => create(rt, node, false) });
    if (rt.relaxed) {
      out.push({
        key,
        name: 'wasm-relaxed-4x8',
        isa: 'wasm-relaxed',
        tolerance: 'exact',
        tile: 8,
        supports: (node) => {
          const b = constB(node);
          return b !== undefined && isSevenBit(b);
        },
        create: (node) => create(rt, node, true),
      });
    }
  }
  return out;
}
