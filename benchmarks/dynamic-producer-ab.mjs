#!/usr/bin/env node
// A/B of the quantizing producer (fuse-dynamic-quantize.ts, lowbit.DynamicQConvQuantize) on a dynamic end-to-end variant
// (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps it): the graph as the optimiser makes it (B), and the same graph as it
// was without the pass (A: each DynamicQConvQuantize a DynamicQConv writing its float output, which a lone reader
// quantizes itself and shared readers through one DynamicQuantizeLinear). Both sessions run the optimised graphs as given (graphOptimization
// 'none'), alternating A B every round; prints wall medians, B/A, and whether both give the same output bytes.
// Usage: node benchmarks/dynamic-producer-ab.mjs [ultraface-rfb-320|ppocr-mobile-v2-cls] [rounds=60] [threads=1]
import { decodeModel } from '@lowbit/onnx-ir';
import { optimizeModel, Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { abGraphs } from './support.mjs';

const [name = 'ultraface-rfb-320', roundsArg = '60', threadsArg = '1'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, 'dynamic');
const optimized = await optimizeModel(decodeModel(bytes));

/**
 * The graph without the pass, as fuse-dynamic-matmul alone leaves it: every DynamicQConvQuantize back to DynamicQConv
 * (float output); a lone DynamicQConv reader of its bytes back to the float form (it quantizes its input itself, as
 * fuse-dynamic makes a sole reader), else a DynamicQuantizeLinear that the readers share.
 */
function split(m) {
  const readers = new Map();
  for (const n of m.graph.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outs = new Set(m.graph.outputs.map((o) => o.name));
  const back = new Map(); // reader -> its float input
  const nodes = m.graph.nodes.flatMap((n) => {
    if (n.opType !== 'DynamicQConvQuantize') return [n];
    const y = `${n.outputs[0]}__float`;
    const rs = n.outputs.flatMap((o) => readers.get(o) ?? []);
    const lone = rs.length === 3 && new Set(rs).size === 1 && rs[0].opType === 'DynamicQConv' && rs[0].inputs[0] === n.outputs[0] && !n.outputs.some((o) => outs.has(o));
    const conv = { ...n, opType: 'DynamicQConv', outputs: [y] };
    if (lone) {
      back.set(rs[0], y);
      return [conv];
    }
    return [conv, { opType: 'DynamicQuantizeLinear', domain: '', inputs: [y], outputs: n.outputs, attributes: [], name: `${n.name}__dql` }];
  }).map((n) => {
    const y = back.get(n);
    if (!y) return n;
    const inputs = [y, ...n.inputs.slice(1, 5)];
    while (inputs.length > 4 && !inputs[inputs.length - 1]) inputs.pop();
    return { ...n, inputs };
  });
  // (a reader that is itself a producer was rewritten above before its own input was: redo the input of those)
  const fixed = nodes.map((n) => {
    const orig = m.graph.nodes.find((o) => o.name === n.name && o.opType === 'DynamicQConvQuantize');
    const y = orig && [...back].find(([r]) => r === orig)?.[1];
    if (!y) return n;
    const inputs = [y, ...n.inputs.slice(1, 5)];
    while (inputs.length > 4 && !inputs[inputs.length - 1]) inputs.pop();
    return { ...n, inputs };
  });
  return { ...m, graph: { ...m.graph, nodes: fixed } };
}

const variants = { A: split(optimized), B: optimized };
const count = (m, op) => m.graph.nodes.filter((n) => n.opType === op).length;
for (const [k, m] of Object.entries(variants)) console.log(`${k}: ${count(m, 'DynamicQConv')} DynamicQConv, ${count(m, 'DynamicQConvQuantize')} DynamicQConvQuantize, ${count(m, 'DynamicQuantizeLinear')} DynamicQuantizeLinear`);
await abGraphs({ Session, Tensor }, variants, { input, dims, sample }, Number(roundsArg), Number(threadsArg), `${name} ${threadsArg} thr`);
