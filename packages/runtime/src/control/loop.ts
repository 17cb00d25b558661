/**
 * Loop: `for (i = 0; i < M && cond; i++) { cond, v... , scan... = body(i, cond, v...) }`.
 *
 * Inputs: M (optional int64 max trip count), cond (optional bool), then N loop-carried initial values.
 * Body inputs: iteration number (int64 scalar), cond_in (bool scalar), the N carried values. Body outputs:
 * cond_out, the N carried values for the next iteration, then K scan outputs. Node outputs: the final N carried
 * values (the initial ones when the body never runs), then each scan output stacked along a new axis 0 over the
 * iterations (all iterations must produce the same shape; zero iterations give [0, ...declared shape]).
 * Carried values may be tensors or sequences. The body reads outer-scope values by name.
 */
import type { Tensor } from '@lowbit/kernels';
import type { BuiltinOp } from '../plan-contract.js';
import { isTensor, releaseValue, retainValue, type Value } from '../values.js';
import { declaredDtype, requireGraph, staticShape } from './subgraph-types.js';
import { boolScalar, int64Scalar, scalarInt, stackAlong, truthy } from './tensor-util.js';

export const loopOp: BuiltinOp = {
  opType: 'Loop',
  sinceVersion: 1,
  create(ctx) {
    const body = requireGraph(ctx, 'body');
    const nCarried = ctx.node.inputs.length - 2;
    if (nCarried < 0) ctx.fail(`needs at least 2 inputs (M, cond), has ${ctx.node.inputs.length}`);
    if (body.inputs.length !== nCarried + 2) ctx.fail(`body has ${body.inputs.length} inputs, expected ${nCarried + 2} (iteration, cond, ${nCarried} carried)`, { attribute: 'body' });
    const nScan = body.outputs.length - 1 - nCarried;
    if (nScan < 0) ctx.fail(`body has ${body.outputs.length} outputs, expected at least ${nCarried + 1}`, { attribute: 'body' });
    if (ctx.node.outputs.length > nCarried + nScan) ctx.fail(`declares ${ctx.node.outputs.length} outputs, the body gives ${nCarried} carried + ${nScan} scan outputs`);
    const plan = ctx.compileSubgraph('body', body);
    const scanInfo = body.outputs.slice(1 + nCarried);
    return {
      subplans: [plan],
      outputTypes: body.outputs.slice(1).map((o, i) => declaredDtype(o) ?? (i < nCarried ? ctx.inputTypes[i + 2] ?? undefined : undefined)),
      run(inputs, rc) {
        const m = inputs[0];
        const c = inputs[1];
        if (m && !isTensor(m)) return ctx.fail('input[0] (M) must be a tensor', { inputIndex: 0 });
        if (c && !isTensor(c)) return ctx.fail('input[1] (cond) must be a tensor', { inputIndex: 1 });
        const maxTrip = m ? scalarInt(m) : Infinity;
        let cond = c ? truthy(c) : true;
        let carried: (Value | null)[] = inputs.slice(2);
        for (const v of carried) retainValue(rc.pool, v);
        const scans: Tensor[][] = Array.from({ length: nScan }, () => []);
        try {
          for (let i = 0; i < maxTrip && cond; i++) {
            const outs = rc.runSubgraph(plan, [int64Scalar(i), boolScalar(cond), ...carried]);
            for (const v of carried) releaseValue(rc.pool, v);
            const condOut = outs[0];
            if (!isTensor(condOut)) return ctx.fail('body output 0 (cond) must be a tensor');
            cond = truthy(condOut);
            releaseValue(rc.pool, condOut);
            carried = outs.slice(1, 1 + nCarried);
            outs.slice(1 + nCarried).forEach((v, k) => {
              if (!isTensor(v)) return ctx.fail(`scan output ${k} must be a tensor, got a sequence`);
              scans[k].push(v);
            });
          }
          const stacked = scans.map((parts, k) => {
            const dt = parts[0]?.dtype ?? declaredDtype(scanInfo[k]) ?? 'float32';
            const t = stackAlong(parts, 0, dt, staticShape(scanInfo[k]) ?? [], rc.pool);
            rc.pool.retain(t);
            return t;
          });
          return [...carried, ...stacked];
        } finally {
          for (const parts of scans) for (const t of parts) rc.pool.release(t);
        }
      },
    };
  },
};
