/**
 * Calibration and emission read one plan: on real models, the tensors `planStatic` hands to calibration are exactly
 * the ones `insert-qdq` quantizes. Checked on the emitted graphs (main graph and control-flow bodies):
 * - every calibration target is quantized: the input of its own QuantizeLinear, or (a value a shape op derives from
 *   an already quantized input, Conv -> MaxPool -> Conv) the output of a DequantizeLinear after that shape op;
 * - every activation quantized with its own parameters was a calibration target (the ranges given are those of the
 *   targets only, so emission asking for any other range would fail the run).
 * The Q/DQ pairs copied after a float shape op (lossless, same parameters as their source) are not new targets.
 */
import { describe, expect, it } from 'vitest';
import { createPassContext, subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph, Node } from '@lowbit/onnx-ir';
import { insertQdqDeep, SHARED_PARAM_OPS } from '@lowbit/rewriters';
import { testdataPath } from '@lowbit/testing';
import { qdqOptions } from './quantize-static.js';
import { planStatic } from './static-plan.js';
import type { StaticQuantizeOptions } from './types.js';

function allNodes(g: Graph, out: Node[] = []): Node[] {
  for (const n of g.nodes) {
    out.push(n);
    for (const b of subgraphsOf(n)) allNodes(b, out);
  }
  return out;
}

/** A deterministic range per name (min < 0 < max), so no calibration run is needed. */
function rangeOf(name: string): { min: number; max: number } {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return { min: -0.25 - (h % 97) / 16, max: 0.25 + ((h >>> 8) % 89) / 16 };
}

const models = ['mnist-8', 'opt-mnist', 'ppocr-mobile-v2-cls', 'ultraface-rfb-320', 'silero-vad-legacy'];
const optionSets: StaticQuantizeOptions[] = [{}, { perChannel: true, quantizeOutputs: 'consumed', activationType: 'int8' }];

describe('one quantization plan: calibration targets == the activations insert-qdq quantizes', () => {
  for (const name of models) {
    it(name, async () => {
      for (const options of optionSets) {
        const plan = await planStatic(testdataPath('models', `${name}.onnx`), options, 'test');
        const targets = new Set(plan.tensors);
        expect(targets.size).toBe(plan.tensors.length);
        const ranges = new Map(plan.tensors.map((t) => [t, rangeOf(t)]));
        const q = (await insertQdqDeep(qdqOptions(plan, options, ranges)).run(plan.model, createPassContext())).model;
        const nodes = allNodes(q.graph);
        const producer = new Map<string, Node>();
        for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
        const ownQ = new Set<string>();
        for (const n of nodes) {
          if (n.opType !== 'QuantizeLinear') continue;
          const x = n.inputs[0]!;
          const p = producer.get(x);
          const src = p && (SHARED_PARAM_OPS as readonly string[]).includes(p.opType) && p.inputs[0] ? producer.get(p.inputs[0]) : undefined;
          const lossless = src?.opType === 'DequantizeLinear' && src.inputs[1] === n.inputs[1];
          if (!lossless) ownQ.add(x);
        }
        const derived = new Set<string>();
        for (const n of nodes) {
          const p = n.opType === 'DequantizeLinear' ? producer.get(n.inputs[0]!) : undefined;
          if (p && (SHARED_PARAM_OPS as readonly string[]).includes(p.opType)) derived.add(n.outputs[0]!);
        }
        const unquantized = plan.tensors.filter((t) => !ownQ.has(t) && !derived.has(t));
        const uncalibrated = [...ownQ].filter((t) => !targets.has(t));
        expect({ options, unquantized, uncalibrated }).toEqual({ options, unquantized: [], uncalibrated: [] });
        expect(ownQ.size).toBeGreaterThan(2);
      }
    }, 120_000);
  }
});
