/**
 * lowbit.QLookup (Lowbit-internal, domain `lowbit`, version 1): an 8-bit element-wise function given as a table,
 *
 *   out[i] = table[byte(x[i])]        (byte: the element's bits as an unsigned byte, so int8 -1 reads table[255])
 *
 * which the runtime's optimiser fuses from DequantizeLinear -> element-wise float ops on scalar constants ->
 * QuantizeLinear (pass `fuse-quantized-lookup`), the table being what those nodes compute on the 256 possible bytes.
 * A float32 table (the same chain without the QuantizeLinear, its float result read by other ops) gives a float32
 * output. Inputs: x (uint8 or int8, any shape), table (uint8, int8 or float32, exactly 256 elements). Output: the
 * table's dtype, x's dims. Exact: only copies bits. Example: x = uint8 [0, 2, 255], table[k] = 255 - k -> [255, 253, 0].
 */
import type { KernelVariant } from '../contract.js';
import { fail, input } from '../nn/checks.js';

/** The byte-table lookup over raw bytes: out[i] = table[x[i]]. */
export function lookupBytes(x: Uint8Array, table: Uint8Array, out: Uint8Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = table[x[i]];
}

/** The float table lookup over raw bits: out[i] = table[x[i]] (32-bit words, so NaN payloads are kept). */
export function lookupWords(x: Uint8Array, table: Uint32Array, out: Uint32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = table[x[i]];
}

/** The bytes of a typed array's view (int8 tensors and float tables are looked up through their bytes). */
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const wordsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

export const QLOOKUP_KERNELS: KernelVariant[] = (['u8', 'i8'] as const).map((s): KernelVariant => ({
  key: `lowbit.QLookup:${s}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  writesAllOutputs: true,
  create(node) {
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['uint8', 'int8'] as const);
        const table = input(node, inputs, 1, ['uint8', 'int8', 'float32'] as const);
        if (table.data.length !== 256) fail(node, 'input[1] (table)', { inputIndex: 1, expected: '256 elements', actual: `${table.data.length} (dims [${table.dims.join(', ')}])` });
        const y = ctx.alloc(table.dtype, x.dims);
        if (table.dtype === 'float32') lookupWords(bytesOf(x.data as Uint8Array), wordsOf(table.data as Float32Array), wordsOf(y.data as Float32Array));
        else lookupBytes(bytesOf(x.data as Uint8Array), bytesOf(table.data as Uint8Array), bytesOf(y.data as Uint8Array));
        return [y];
      },
    };
  },
}));
