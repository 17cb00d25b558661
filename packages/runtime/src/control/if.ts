/**
 * If: runs `then_branch` when the one-element condition is nonzero, else `else_branch`. Branches take no inputs
 * and read the enclosing scope; their outputs become the node's outputs (no copy).
 */
import type { BuiltinOp } from '../plan-contract.js';
import { truthy } from './tensor-util.js';
import { declaredDtype, requireGraph } from './subgraph-types.js';
import { isTensor } from '../values.js';

export const ifOp: BuiltinOp = {
  opType: 'If',
  sinceVersion: 1,
  create(ctx) {
    const thenG = requireGraph(ctx, 'then_branch');
    const elseG = requireGraph(ctx, 'else_branch');
    const n = ctx.node.outputs.length;
    for (const [name, g] of [['then_branch', thenG], ['else_branch', elseG]] as const) {
      if (g.outputs.length !== n) ctx.fail(`${name} has ${g.outputs.length} outputs, the node declares ${n}`, { attribute: name });
    }
    const thenP = ctx.compileSubgraph('then_branch', thenG);
    const elseP = ctx.compileSubgraph('else_branch', elseG);
    return {
      subplans: [thenP, elseP],
      outputTypes: thenG.outputs.map((o, i) => declaredDtype(o) ?? declaredDtype(elseG.outputs[i])),
      run(inputs, rc) {
        const c = inputs[0];
        if (!c || !isTensor(c)) return ctx.fail('input[0] (cond) must be a tensor', { inputIndex: 0 });
        return rc.runSubgraph(truthy(c) ? thenP : elseP, []);
      },
    };
  },
};
