/**
 * Two Lowbit-internal ops (domain `lowbit`, version 1) that keep a squeeze-excite block's 8-bit activation in bytes
 * where a static QDQ graph reads it as float: the activation `a = table[byte(x)]` (a `lowbit.QLookup` with a float32
 * table, or a per-tensor DequantizeLinear as its 256 values) is averaged per channel and scaled per channel, and
 * neither needs `a` itself (the runtime's pass `fuse-lookup-gate` forms them):
 *
 *   lowbit.QLookupGlobalAveragePool(x, table)          = GlobalAveragePool(table[byte(x)])
 *   lowbit.QLookupGlobalAveragePool(x, table, ys, yz)  = QuantizeLinear(GlobalAveragePool(table[byte(x)]), ys, yz)
 *   lowbit.QLookupMulQuantize(x, table, gate, ys, yz)  = QuantizeLinear(Mul(table[byte(x)], gate), ys, yz)
 *   lowbit.QLookupMulQuantize(x, table, g8, ys, yz, gt) = the same with gate = gt[byte(g8)] (an 8-bit gate read
 *                                                          through its own float32 table of 256, e.g. HardSigmoid's)
 *
 * GlobalAveragePool as its reference: per [n, c] plane, the float32 sum in row-major order, then fround(sum / count).
 * QLookupMulQuantize: the product is one float32 multiplication, QuantizeLinear per tensor (float32 scale, 8-bit zero
 * point): `saturate(roundHalfEven(fround(p / ys)) + yz)`, NaN giving the range's low end, as `@lowbit/qparams`
 * `quantize`. When `gate` broadcasts onto x one value per leading [n, c] plane (the squeeze-excite shape) the output
 * of each plane is read from a 256-entry byte table made for that plane's gate value (planes of 256 or more
 * elements) or computed per element; any other broadcast is computed element by element through the broadcast index.
 * Both are bit-identical to the ops they replace (NaN payloads of the float average aside). Inputs: x uint8 or int8
 * (rank >= 3 for the pool), table float32 of 256 elements, gate float32 (uint8/int8 with a gate table, float32 of 256
 * elements), ys float32 and yz uint8/int8 with one element each. Output: float32 [N, C, 1, ...] for the pool (yz's
 * dtype when it quantizes); yz's dtype with the broadcast dims of x and gate for the scale.
 * Example: x = uint8 [[[0, 1]]], table[k] = k, gate = [[[2]]], ys = 1, yz = 0 -> pool [[[0.5]]], scale [[[0, 2]]].
 */
import { roundHalfEven } from '@lowbit/qparams';
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { expectRank, fail, input, optionalInput } from '../nn/checks.js';
import { broadcastShapes } from '../ops/util/broadcast.js';
import { Tensor } from '../tensor.js';

const Q8 = ['uint8', 'int8'] as const;

function lookupTable(node: KernelNode, inputs: readonly (Tensor | null)[]): Float32Array {
  const table = input(node, inputs, 1, ['float32'] as const);
  if (table.data.length !== 256) fail(node, 'input[1] (table)', { inputIndex: 1, expected: '256 elements', actual: `${table.data.length} (dims [${table.dims.join(', ')}])` });
  return table.data;
}

/** x's elements as unsigned bytes (int8 -1 reads entry 255). */
const bytesOf = (x: Tensor): Uint8Array => new Uint8Array((x.data as Uint8Array).buffer, (x.data as Uint8Array).byteOffset, x.data.length);

/** The optional per-tensor output quantization at inputs[i], inputs[i + 1] (both or neither), as [scale, zero point]. */
function outputQuant(node: KernelNode, inputs: readonly (Tensor | null)[], i: number): [number, Tensor<'uint8' | 'int8'>] | undefined {
  const ys = optionalInput(node, inputs, i, ['float32'] as const);
  const yz = optionalInput(node, inputs, i + 1, Q8);
  if (!ys && !yz) return undefined;
  if (!ys || ys.data.length !== 1) fail(node, `input[${i}] (y_scale)`, { inputIndex: i, expected: 'one element (per tensor)', actual: ys ? `${ys.data.length}` : 'omitted' });
  if (!yz || yz.data.length !== 1) fail(node, `input[${i + 1}] (y_zero_point)`, { inputIndex: i + 1, expected: 'one element (per tensor)', actual: yz ? `${yz.data.length}` : 'omitted' });
  return [ys.data[0], yz];
}

/** Range of an 8-bit dtype. */
const rangeOf = (d: 'uint8' | 'int8'): [number, number] => (d === 'uint8' ? [0, 255] : [-128, 127]);

function createPool(node: KernelNode): KernelInstance {
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, Q8);
      expectRank(node, x, 0, 3, 10);
      const table = lookupTable(node, inputs);
      const q = outputQuant(node, inputs, 2);
      const [N, C] = x.dims;
      let plane = 1;
      for (let k = 2; k < x.dims.length; k++) plane *= x.dims[k];
      const dims = [N, C, ...x.dims.slice(2).map(() => 1)];
      const y = q ? ctx.alloc(q[1].dtype, dims) : ctx.alloc('float32', dims);
      const [lo, hi] = q ? rangeOf(q[1].dtype) : [0, 0];
      const b = bytesOf(x);
      for (let i = 0; i < N * C; i++) {
        let acc = 0;
        for (let j = i * plane, end = j + plane; j < end; j++) acc = Math.fround(acc + table[b[j]]);
        const avg = Math.fround(acc / plane);
        y.data[i] = q ? quantizeOne(avg, q[0], q[1].data[0], lo, hi) : avg;
      }
      return [y];
    },
  };
}

/** Per-tensor QuantizeLinear of one float32 value (see the header). */
function quantizeOne(v: number, scale: number, zp: number, lo: number, hi: number): number {
  const t = Math.fround(v / scale);
  const q = t !== t ? lo : roundHalfEven(t) + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

/** The gate as float32: input 2 itself, or with a gate table (input 5) the table entries of its bytes. */
function gateValues(node: KernelNode, inputs: readonly (Tensor | null)[]): Tensor<'float32'> {
  const gt = optionalInput(node, inputs, 5, ['float32'] as const);
  if (!gt) return input(node, inputs, 2, ['float32'] as const);
  if (gt.data.length !== 256) fail(node, 'input[5] (gate table)', { inputIndex: 5, expected: '256 elements', actual: `${gt.data.length} (dims [${gt.dims.join(', ')}])` });
  const g8 = input(node, inputs, 2, Q8);
  const gb = bytesOf(g8);
  return new Tensor('float32', Float32Array.from(gb, (v) => gt.data[v]), g8.dims);
}

function createScale(node: KernelNode): KernelInstance {
  const bytes = new Uint8Array(256);
  return {
    run(inputs, ctx: RunContext) {
      const x = input(node, inputs, 0, Q8);
      const table = lookupTable(node, inputs);
      const gate = gateValues(node, inputs);
      const ys = input(node, inputs, 3, ['float32'] as const);
      const yz = input(node, inputs, 4, Q8);
      if (ys.data.length !== 1) fail(node, 'input[3] (y_scale)', { inputIndex: 3, expected: 'one element (per tensor)', actual: `${ys.data.length}` });
      if (yz.data.length !== 1) fail(node, 'input[4] (y_zero_point)', { inputIndex: 4, expected: 'one element (per tensor)', actual: `${yz.data.length}` });
      const dims = broadcastShapes(node, [x.dims, gate.dims]);
      const scale = ys.data[0];
      const zp = yz.data[0];
      const [lo, hi] = yz.dtype === 'uint8' ? [0, 255] : [-128, 127];
      const y = ctx.alloc(yz.dtype, dims);
      const out = y.data as Uint8Array | Int8Array;
      const b = bytesOf(x);
      const r = x.dims.length;
      // One gate value per leading [n, c] plane of x (output dims = x's dims).
      const perPlane = r >= 2 && gate.dims.length === r && dims.every((d, k) => d === x.dims[k])
        && (gate.dims[0] === 1 || gate.dims[0] === x.dims[0]) && (gate.dims[1] === 1 || gate.dims[1] === x.dims[1])
        && gate.dims.every((d, k) => k < 2 || d === 1);
      if (perPlane) {
        const [N, C] = x.dims;
        const plane = N * C === 0 ? 0 : x.data.length / (N * C);
        const gN = gate.dims[0] === 1 ? 0 : gate.dims[1];
        const gC = gate.dims[1] === 1 ? 0 : 1;
        for (let n = 0; n < N; n++) {
          for (let c = 0; c < C; c++) {
            const g = gate.data[n * gN + c * gC];
            const start = (n * C + c) * plane;
            if (plane >= 256) {
              for (let k = 0; k < 256; k++) bytes[k] = quantizeOne(Math.fround(table[k] * g), scale, zp, lo, hi) & 255;
              const ob = new Uint8Array(out.buffer, out.byteOffset + start, plane);
              for (let j = 0; j < plane; j++) ob[j] = bytes[b[start + j]];
            } else {
              for (let j = start; j < start + plane; j++) out[j] = quantizeOne(Math.fround(table[b[j]] * g), scale, zp, lo, hi);
            }
          }
        }
        return [y];
      }
      // Any other broadcast: element by element through the broadcast index of each input.
      const rank = dims.length;
      const stride = (d: readonly number[]): number[] => {
        const s = new Array<number>(rank).fill(0);
        let acc = 1;
        for (let k = d.length - 1; k >= 0; k--) {
          const axis = rank - d.length + k;
          s[axis] = d[k] === 1 ? 0 : acc;
          acc *= d[k];
        }
        return s;
      };
      const sx = stride(x.dims);
      const sg = stride(gate.dims);
      const idx = new Array<number>(rank).fill(0);
      for (let i = 0; i < out.length; i++) {
        let ix = 0;
        let ig = 0;
        for (let k = 0; k < rank; k++) {
          ix += idx[k] * sx[k];
          ig += idx[k] * sg[k];
        }
        out[i] = quantizeOne(Math.fround(table[b[ix]] * gate.data[ig]), scale, zp, lo, hi);
        for (let k = rank - 1; k >= 0; k--) {
          if (++idx[k] < dims[k]) break;
          idx[k] = 0;
        }
      }
      return [y];
    },
  };
}

export const QLOOKUP_GATE_KERNELS: KernelVariant[] = (['u8', 'i8'] as const).flatMap((s): KernelVariant[] => [
  { key: `lowbit.QLookupGlobalAveragePool:${s}`, name: 'scalar', isa: 'scalar', tolerance: 'exact', writesAllOutputs: true, create: createPool },
  { key: `lowbit.QLookupMulQuantize:${s}`, name: 'scalar', isa: 'scalar', tolerance: 'exact', writesAllOutputs: true, create: createScale },
]);
