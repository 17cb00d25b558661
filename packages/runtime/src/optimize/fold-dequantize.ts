/**
 * Pass `fold-constant-dequantize`: a `DequantizeLinear` whose inputs are all constants (a quantized weight or int32
 * bias with its scale and zero point) is computed once, here, and replaced by a float initializer carrying the DQ's
 * output name. The value is computed by the same scalar reference kernel the session would run, so the folded
 * constant is bit-identical to the per-run result: `y = fround((x - zp) * scale)` per element (see the kernels'
 * DequantizeLinear). Example: int8 weight [-2, 3], zp 0, scale 0.5 -> initializer [-1, 1.5].
 *
 * Left alone: a DQ whose output is a graph output or a kept name (`keep`), a DQ nothing reads (dead code), and DQs
 * inside subgraphs.
 * Identity rule: nothing folded -> the same model back.
 */
import { createReferenceRegistry } from '@lowbit/kernels';
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Model, Pass, PassContext } from '@lowbit/onnx-ir';
import { addTensorInitializer, Constants, evaluateConstantNode, isOp, onnxOpset, passOptions, removable, resultOfGraph } from './support.js';

export const foldConstantDequantize: Pass = {
  name: 'fold-constant-dequantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = onnxOpset(m);
    const idx = graphIndex(m.graph);
    let registry: ReturnType<typeof createReferenceRegistry> | undefined;
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'DequantizeLinear')) continue;
        const y = n.outputs[0];
        if (!y || n.outputs.length !== 1 || !removable(m.graph, opts, y)) continue;
        // a DQ nothing reads any more (its consumer was fused away) is dead code: not worth computing
        if (idx.consumers(y).length === 0 && idx.captures(y).length === 0) continue;
        const inputs = n.inputs.map((name) => (name ? consts.tensor(name) ?? undefined : null));
        if (inputs.some((t) => t === undefined) || !inputs[0]) continue;
        registry ??= createReferenceRegistry();
        const [out] = evaluateConstantNode(n, inputs as never, opset, registry);
        if (!out) continue;
        e.removeNode(n);
        addTensorInitializer(e, y, out);
        e.removeValueInfo(y);
      }
    });
    return resultOfGraph(m, g);
  },
};
