/**
 * Signal-to-quantization-noise ratio per value: SQNR = 10 log10(sum ref^2 / sum (ref - test)^2) dB over every
 * element of every evaluated sample; +Infinity when the two are identical. Values are matched by name: a QDQ model
 * keeps the float model's tensor names for the (dequantized-domain) outputs of its nodes.
 */
import type { Model } from '@lowbit/onnx-ir';
import type { LayerSqnr } from './protocol.js';

export function sqnrDb(sumRefSq: number, sumErrSq: number): number {
  if (sumErrSq === 0) return Infinity;
  return 10 * Math.log10(sumRefSq / sumErrSq);
}

export class SqnrAccumulator {
  readonly #sums = new Map<string, { ref: number; err: number }>();
  readonly #order: { name: string; opType: string }[];
  readonly #output: string;

  constructor(floatModel: Model) {
    this.#order = floatModel.graph.nodes.flatMap((n) => n.outputs.filter((o): o is string => typeof o === 'string' && o !== '').map((o) => ({ name: o, opType: n.opType })));
    this.#output = floatModel.graph.outputs[0]?.name ?? '';
  }

  /** Adds one sample of value `name`: `ref` from the float model (absent: not a float value there), `test` quantized. */
  add(name: string, ref: Float32Array | undefined, test: Float32Array): void {
    if (!ref || ref.length !== test.length) return;
    const s = this.#sums.get(name) ?? { ref: 0, err: 0 };
    for (let i = 0; i < ref.length; i++) {
      const d = ref[i]! - test[i]!;
      s.ref += ref[i]! * ref[i]!;
      s.err += d * d;
    }
    this.#sums.set(name, s);
  }

  /** Per-layer SQNR in graph order (layers whose output the quantized model no longer has are left out). */
  layers(): LayerSqnr[] {
    return this.#order.filter((l) => this.#sums.has(l.name)).map((l) => {
      const s = this.#sums.get(l.name)!;
      return { ...l, sqnr: sqnrDb(s.ref, s.err) };
    });
  }

  outputSqnr(): number {
    const s = this.#sums.get(this.#output);
    return s ? sqnrDb(s.ref, s.err) : NaN;
  }
}
