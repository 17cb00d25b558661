#!/usr/bin/env node
// A/B of the shared input quantization of dynamic-int8 convolutions (fuse-dynamic.ts's quantized-input form,
// lowbit.DynamicQConv:u8) on a dynamic end-to-end variant (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps it): the graph
// as the optimiser makes it (B), and the same graph with every quantized-input DynamicQConv turned back into the float
// form that quantizes its input itself (A: each sibling quantizes the tensor again). Both sessions run the optimised
// graphs as given (graphOptimization 'none'), alternating A B every round; prints wall medians, B/A, and whether both
// give the same output bytes.
// Usage: node benchmarks/dynamic-hoist-ab.mjs [ultraface-rfb-320|ppocr-mobile-v2-cls] [rounds=60] [threads=1]
import { decodeModel } from '@lowbit/onnx-ir';
import { optimizeModel, Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { abGraphs } from './support.mjs';

const [name = 'ultraface-rfb-320', roundsArg = '60', threadsArg = '1'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, 'dynamic');
const optimized = await optimizeModel(decodeModel(bytes));

/** Every DynamicQConv reading a DynamicQuantizeLinear's x_q reads that node's float input again (and quantizes it). */
function unshare(m) {
  const producer = new Map(m.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  const nodes = m.graph.nodes.map((n) => {
    if (n.opType !== 'DynamicQConv' || n.inputs.length < 7) return n;
    const dql = producer.get(n.inputs[0]);
    if (dql?.opType !== 'DynamicQuantizeLinear') return n; // x_q from a quantizing producer (DynamicQConvQuantize): no float input to re-read
    const inputs = [dql.inputs[0], ...n.inputs.slice(1, 5)];
    while (inputs.length > 4 && !inputs[inputs.length - 1]) inputs.pop();
    return { ...n, inputs };
  });
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const outs = new Set(m.graph.outputs.map((o) => o.name));
  const kept = nodes.filter((n) => n.opType !== 'DynamicQuantizeLinear' || n.outputs.some((o) => read.has(o) || outs.has(o)));
  return { ...m, graph: { ...m.graph, nodes: kept } };
}

const variants = { A: unshare(optimized), B: optimized };
const count = (m, op) => m.graph.nodes.filter((n) => n.opType === op).length;
for (const [k, m] of Object.entries(variants)) console.log(`${k}: ${count(m, 'DynamicQConv')} DynamicQConv, ${count(m, 'DynamicQuantizeLinear')} DynamicQuantizeLinear`);
await abGraphs({ Session, Tensor }, variants, { input, dims, sample }, Number(roundsArg), Number(threadsArg), `${name} ${threadsArg} thr`);
