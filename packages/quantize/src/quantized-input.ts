/**
 * Refusing an input model that is already quantized (QDQ, QOperator, dynamic or weight-only form): quantizing it again
 * would stack a second set of Q/DQ on float islands, or re-round weights that are already integers, and the output
 * could grow instead of shrink. The check walks every graph (control-flow bodies included) for the operators the
 * quantizers themselves write. `allowQuantizedInput: true` (CLI `--allow-quantized-input`) skips it: the quantizer
 * then quantizes only what is still float (nodes already reading DequantizeLinear outputs are left alone).
 */
import { LowbitError, subgraphsOf, type Graph, type Model } from '@lowbit/onnx-ir';

/** Operators that only a quantized model holds (standard and com.microsoft). */
const QUANTIZED_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QGemm', 'MatMulNBits',
  'DynamicQuantizeLSTM', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'QAttention', 'GatherBlockQuantized', 'MatMulBnb4',
]);

export interface AlreadyQuantizedContext {
  readonly where: string;
  /** Quantized operators found, by op type, at every depth. */
  readonly ops: Readonly<Record<string, number>>;
  /** The first one met: its name and the names of the nodes whose bodies hold it (outermost first). */
  readonly firstNode: string;
  readonly nodePath: readonly string[];
}

/** The input model is already quantized (code `ALREADY_QUANTIZED`; the CLI exits with the model error code, 3). */
export class AlreadyQuantizedError extends LowbitError<AlreadyQuantizedContext> {
  static readonly CODE = 'ALREADY_QUANTIZED';
  constructor(context: AlreadyQuantizedContext) {
    const ops = Object.entries(context.ops).map(([k, v]) => `${v} ${k}`).join(', ');
    const at = context.nodePath.length > 1 ? ` in the body of ${context.nodePath.slice(0, -1).map((n) => `"${n}"`).join(' > ')}` : '';
    super(AlreadyQuantizedError.CODE, `${context.where}: the input model is already quantized (${ops}; first: node "${context.firstNode}"${at}), expected a float model; pass allowQuantizedInput: true (CLI --allow-quantized-input) to quantize only what is still float`, { context });
  }
}

/** The quantized operators of `m` by op type (empty for a float model) and the first one's path. */
export function quantizedOperators(m: Model): { ops: Record<string, number>; first: readonly string[] | undefined } {
  const ops: Record<string, number> = {};
  let first: readonly string[] | undefined;
  const walk = (g: Graph, path: readonly string[]): void => {
    for (const n of g.nodes) {
      const here = [...path, n.name || n.opType];
      if (QUANTIZED_OPS.has(n.opType) || n.opType.startsWith('QLinear')) {
        ops[n.opType] = (ops[n.opType] ?? 0) + 1;
        first ??= here;
      }
      for (const sg of subgraphsOf(n)) walk(sg, here);
    }
  };
  walk(m.graph, []);
  return { ops: Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b))), first };
}

/** Throws AlreadyQuantizedError when `m` holds quantized operators. */
export function checkNotQuantized(m: Model, where: string): void {
  const { ops, first } = quantizedOperators(m);
  if (first) throw new AlreadyQuantizedError({ where, ops, firstNode: first[first.length - 1], nodePath: first });
}
