/**
 * lowbit.QLookup2 (Lowbit-internal, domain `lowbit`, version 1): a function of two 8-bit values given as a table,
 *
 *   out[i] = table[byte(a[i]) * 256 + byte(b[i])]        (a and b broadcast against each other, numpy-style)
 *
 * which the runtime's optimiser fuses from DequantizeLinear(a), DequantizeLinear(b) -> one binary element-wise float op
 * -> QuantizeLinear (pass `fuse-quantized-pair`; a static QDQ model's residual Add), the table being what those nodes
 * compute on the 65536 possible byte pairs. Inputs: a, b (uint8 or int8, any shapes that broadcast), table (uint8 or
 * int8, exactly 65536 elements). Output: the table's dtype, the broadcast dims. Exact: only copies bits.
 * Example: a = uint8 [1, 2], b = uint8 [3], table[i * 256 + j] = i + j -> [4, 5].
 */
import type { KernelVariant } from '../contract.js';
import { fail, input } from '../nn/checks.js';
import { broadcastIndex, broadcastShapes } from '../ops/util/broadcast.js';
import { bytesOf } from './qlookup.js';


export const QLOOKUP2_KERNELS: KernelVariant[] = (['u8', 'i8'] as const).map((s): KernelVariant => ({
  key: `lowbit.QLookup2:${s}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  writesAllOutputs: true,
  create(node) {
    return {
      run(inputs, ctx) {
        const a = input(node, inputs, 0, ['uint8', 'int8'] as const);
        const b = input(node, inputs, 1, ['uint8', 'int8'] as const);
        const table = input(node, inputs, 2, ['uint8', 'int8'] as const);
        if (table.data.length !== 65536) fail(node, 'input[2] (table)', { inputIndex: 2, expected: '65536 elements', actual: `${table.data.length} (dims [${table.dims.join(', ')}])` });
        const dims = broadcastShapes(node, [a.dims, b.dims]);
        const y = ctx.alloc(table.dtype, dims);
        const [ab, bb, t, out] = [bytesOf(a.data), bytesOf(b.data), bytesOf(table.data), bytesOf(y.data)];
        const ia = broadcastIndex(dims, a.dims);
        const ib = broadcastIndex(dims, b.dims);
        for (let i = 0; i < out.length; i++) out[i] = t[(ab[ia ? ia[i] : i] << 8) | bb[ib ? ib[i] : i]];
        return [y];
      },
    };
  },
}));
