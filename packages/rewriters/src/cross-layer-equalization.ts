/**
 * Pass `cross-layer-equalization` (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias
 * Correction", 2019): for a chain `Conv A -> Relu -> Conv B` (A's output and the Relu's read by nothing else), output
 * channel i of A and input channel i of B are rescaled so both have the same weight range, which per-tensor weight
 * quantization then covers with less error. The function is unchanged because Relu is positively homogeneous:
 * `relu(x / s) * s = relu(x)` for `s > 0`.
 *
 * With `r1[i] = max |W_A[i, ...]|` and `r2[i] = max |W_B[:, i, ...]|` (B ungrouped; B depthwise: its output channels
 * reading input i), `s[i] = sqrt(r1[i] / r2[i])`; then `W_A[i] /= s[i]`, `b_A[i] /= s[i]`, `W_B[..i..] *= s[i]`, so
 * both ranges become `sqrt(r1[i] r2[i])`. Channels with a zero range keep `s = 1`. Values are float32 (`Math.fround`).
 * Example: r1 = 8, r2 = 0.5 -> s = 4, both ranges 2. Iterates over the chains `iterations` times (default 4; each
 * pass changes the ranges the next chain sees). Main graph only; A may be grouped or depthwise.
 */
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Graph, Model, Node, TensorRef } from '@lowbit/onnx-ir';
import { readInt } from './attrs.js';
import { Constants, readersOf, tidyGraph } from './edit-support.js';
import { withGraph } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { floatTensor, tensorFloats } from './tensor-data.js';

const PASS = 'cross-layer-equalization';

export interface CrossLayerEqualizationOptions {
  readonly iterations?: number;
}

interface Chain {
  readonly a: Node;
  readonly b: Node;
}

function chains(g: Graph, consts: Constants): Chain[] {
  const idx = graphIndex(g);
  const out: Chain[] = [];
  for (const a of g.nodes) {
    if (a.opType !== 'Conv' || !a.outputs[0] || !consts.get(a.inputs[1]) || (a.inputs[2] && !consts.get(a.inputs[2]))) continue;
    const r = readersOf(g, a.outputs[0]);
    if (r.length !== 1 || r[0].opType !== 'Relu' || idx.isGraphOutput(a.outputs[0]) || !r[0].outputs[0]) continue;
    const rb = readersOf(g, r[0].outputs[0]);
    if (rb.length !== 1 || rb[0].opType !== 'Conv' || idx.isGraphOutput(r[0].outputs[0]) || rb[0].inputs[0] !== r[0].outputs[0]) continue;
    const b = rb[0];
    if (!consts.get(b.inputs[1])) continue;
    out.push({ a, b });
  }
  return out;
}

export function crossLayerEqualization(options: CrossLayerEqualizationOptions = {}): RewritePass {
  return {
    name: PASS,
    run(m: Model) {
      const g = m.graph;
      const consts = new Constants(g);
      const found = chains(g, consts);
      if (found.length === 0) return result(m, m);
      const values = new Map<string, { t: TensorRef; v: Float32Array }>();
      const get = (name: string): Float32Array => {
        let e = values.get(name);
        if (!e) {
          const t = consts.get(name)!;
          e = { t, v: Float32Array.from(tensorFloats(t, PASS)) };
          values.set(name, e);
        }
        return e.v;
      };
      // a weight shared with another node cannot be rescaled for this chain alone
      const shared = (name: string | null): boolean => !!name && graphIndex(g).consumers(name).length > 1;
      const usable = found.filter(({ a, b }) => !shared(a.inputs[1]) && !shared(a.inputs[2]) && !shared(b.inputs[1]));
      let changed = false;
      for (let it = 0; it < (options.iterations ?? 4); it++) {
        for (const { a, b } of usable) {
          const wa = get(a.inputs[1]!);
          const da = consts.get(a.inputs[1])!.dims;
          const wb = get(b.inputs[1]!);
          const db = consts.get(b.inputs[1])!.dims;
          const C = da[0];
          const perA = wa.length / C;
          const groupB = readInt(b, 'group', 1);
          const coutB = db[0];
          const cinB = db[1];
          const perB = wb.length / (coutB * cinB);
          const depthwise = groupB === C && cinB === 1 && coutB % C === 0;
          if (!(groupB === 1 && cinB === C) && !depthwise) continue;
          const mult = depthwise ? coutB / C : 0;
          const ba = a.inputs[2] ? get(a.inputs[2]) : undefined;
          for (let i = 0; i < C; i++) {
            let r1 = 0;
            for (let k = 0; k < perA; k++) r1 = Math.max(r1, Math.abs(wa[i * perA + k]));
            let r2 = 0;
            const eachB = (f: (idx: number) => void): void => {
              if (depthwise) for (let j = 0; j < mult; j++) for (let k = 0; k < perB; k++) f((i * mult + j) * perB + k);
              else for (let o = 0; o < coutB; o++) for (let k = 0; k < perB; k++) f((o * cinB + i) * perB + k);
            };
            eachB((x) => { r2 = Math.max(r2, Math.abs(wb[x])); });
            if (!(r1 > 0 && r2 > 0)) continue;
            const s = Math.sqrt(r1 / r2);
            if (Math.abs(s - 1) < 1e-6) continue;
            changed = true;
            for (let k = 0; k < perA; k++) wa[i * perA + k] = Math.fround(wa[i * perA + k] / s);
            if (ba) ba[i] = Math.fround(ba[i] / s);
            eachB((x) => { wb[x] = Math.fround(wb[x] * s); });
          }
        }
      }
      if (!changed) return result(m, m);
      const edited = editGraph(g, (e) => {
        for (const [name, { t, v }] of values) {
          const fresh = e.freshName(`${name}_equalized`);
          consts.add(e, floatTensor(fresh, t.dims, v));
          for (const n of e.users(name)) e.updateNode(n, { inputs: n.inputs.map((x) => (x === name ? fresh : x)) });
        }
      });
      return result(m, withGraph(m, tidyGraph(g, edited, { pruneInitializers: true })));
    },
  };
}
