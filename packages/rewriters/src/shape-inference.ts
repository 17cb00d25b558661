/**
 * Pass `shape-inference`: records in the graph's value_info the element types and shapes of intermediate values that
 * onnx-ir's static inference (`inferShapes`, the engine the runtime uses too) derives. Existing value_info entries,
 * graph inputs and graph outputs are never overwritten; a value gets an entry only when both its element type and its
 * rank are known. Nodes in subgraphs are not visited. Known dims that contradict each other are a NodeError naming the
 * node. Identity rule: nothing new to record -> the same model back.
 */
import { importedOpset, inferShapes, NodeError, nodeLabel, ShapeConflict, type Model, type NodeShapeConflict, type ValueInfo } from '@lowbit/onnx-ir';
import { result, type RewritePass } from './pass-contract.js';

export function shapeInference(): RewritePass {
  return {
    name: 'shape-inference',
    run(m: Model) {
      const g = m.graph;
      let inferred;
      try {
        inferred = inferShapes(g, { opsetOf: (n) => importedOpset(m.opsetImports, n.domain) ?? 1 });
      } catch (e) {
        if (!(e instanceof ShapeConflict)) throw e;
        const n = (e as NodeShapeConflict).node;
        throw new NodeError({ name: nodeLabel(n), opType: n.opType }, `static shapes conflict: ${e.message}`, { inputIndex: e.inputIndex, cause: e });
      }
      const known = new Set([...g.valueInfo, ...g.outputs, ...g.inputs].map((v) => v.name));
      const added: ValueInfo[] = [];
      for (const n of g.nodes) {
        for (const o of n.outputs) {
          if (!o || known.has(o)) continue;
          const elemType = inferred.elemTypes.get(o);
          const shape = inferred.shapes.get(o);
          if (elemType === undefined || !shape) continue;
          known.add(o);
          added.push({ name: o, type: { kind: 'tensor', elemType, shape } });
        }
      }
      if (added.length === 0) return result(m, m);
      return result(m, { ...m, graph: { ...g, valueInfo: [...g.valueInfo, ...added] } });
    },
  };
}
