/**
 * Pass `initializers-not-inputs`: IR < 4 models (mnist-8) list every initializer as a graph input too, which makes
 * weights overridable and so not constants. This pass removes those graph inputs (weights become true constants) and
 * raises the IR version to 4. Identity rule: no initializer among the inputs -> same model back.
 */
import { result, type RewritePass } from './pass-contract.js';

export function initializersNotInputs(): RewritePass {
  return {
    name: 'initializers-not-inputs',
    run(m) {
      const inits = new Set(m.graph.initializers.map((t) => t.name));
      const inputs = m.graph.inputs.filter((v) => !inits.has(v.name));
      if (inputs.length === m.graph.inputs.length) return result(m, m);
      return result(m, { ...m, irVersion: Math.max(m.irVersion, 4), graph: { ...m.graph, inputs } });
    },
  };
}
