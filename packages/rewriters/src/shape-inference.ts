/**
 * Pass `shape-inference`: derives static element types and shapes for intermediate values (rules in
 * shape-rules.ts) and records them in the graph's value_info. Existing value_info entries and graph outputs are never
 * overwritten, values whose type cannot be derived get no entry, and nodes in subgraphs are not visited.
 * Identity rule: nothing new to record -> the same model back.
 */
import type { Model, TensorRef, ValueInfo } from '@lowbit/onnx-ir';
import { Constants } from './edit-support.js';
import { onnxOpset } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { inferNode, type ValueType } from './shape-rules.js';

export function shapeInference(): RewritePass {
  return {
    name: 'shape-inference',
    run(m: Model) {
      const g = m.graph;
      const consts = new Constants(g);
      const opset = onnxOpset(m);
      const types = new Map<string, ValueType>();
      const fromVi = (v: ValueInfo): void => {
        if (v.type?.kind === 'tensor') types.set(v.name, { elemType: v.type.elemType, shape: v.type.shape });
      };
      g.inputs.forEach(fromVi);
      g.valueInfo.forEach(fromVi);
      for (const t of g.initializers) types.set(t.name, { elemType: t.dtype, shape: t.dims });
      const known = new Set([...g.valueInfo.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.inputs.map((v) => v.name)]);
      const added: ValueInfo[] = [];
      for (const n of g.nodes) {
        const ins = n.inputs.map((i) => (i ? types.get(i) : undefined));
        const cs = n.inputs.map((i): TensorRef | undefined => consts.get(i));
        const outs = inferNode({ node: n, inputs: ins, constants: cs, opset });
        n.outputs.forEach((o, k) => {
          const t = outs[k];
          if (!o || !t) return;
          if (!types.has(o)) types.set(o, t);
          if (known.has(o)) return;
          known.add(o);
          added.push({ name: o, type: { kind: 'tensor', elemType: t.elemType, shape: t.shape } });
        });
      }
      g.outputs.forEach(fromVi);
      if (added.length === 0) return result(m, m);
      return result(m, { ...m, graph: { ...g, valueInfo: [...g.valueInfo, ...added] } });
    },
  };
}
