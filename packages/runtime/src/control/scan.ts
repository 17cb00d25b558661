/**
 * Scan (opset 9+): N state values and M scan inputs; the body runs once per index t along each scan input's axis
 * (scan_input_axes, default 0; scan_input_directions 1 walks backwards), taking the states and the t-th slices and
 * giving the new states and K per-iteration scan outputs, stacked along scan_output_axes (default 0;
 * scan_output_directions 1 stacks in reverse). Node outputs: final states, then the stacked scan outputs.
 *
 * Opset 8 Scan has a leading optional sequence_lens input and a batch axis 0 on every state and scan value; it is
 * run as one opset-9 scan per batch entry (scan axis 1 of the original inputs), results stacked over the batch.
 * Only full-length sequences are supported there (sequence_lens omitted or all equal to the scan length).
 */
import type { Tensor, AttrValue } from '@lowbit/kernels';
import type { BuiltinOp, BuiltinRunContext } from '../plan-contract.js';
import type { Plan } from '../plan-contract.js';
import { isTensor } from '../values.js';
import { declaredDtype, requireGraph, staticShape } from './subgraph-types.js';
import { stackAlong, takeAlong } from './tensor-util.js';

function ints(v: AttrValue | undefined, n: number, dflt: number): number[] {
  if (Array.isArray(v)) return (v as (number | bigint)[]).map(Number);
  return Array.from({ length: n }, () => dflt);
}

interface ScanSpec {
  readonly plan: Plan;
  readonly nState: number;
  readonly nScanIn: number;
  readonly nScanOut: number;
  readonly inAxes: readonly number[];
  readonly inDirs: readonly number[];
  readonly outAxes: readonly number[];
  readonly outDirs: readonly number[];
}

/** One opset-9 scan; results carry one transit reference each. */
function runScan(spec: ScanSpec, states0: readonly Tensor[], scanIns: readonly Tensor[], rc: BuiltinRunContext, fail: (m: string) => never): Tensor[] {
  const axes = spec.inAxes.map((a, j) => (a < 0 ? a + scanIns[j].dims.length : a));
  const len = scanIns.length ? scanIns[0].dims[axes[0]] : 0;
  scanIns.forEach((t, j) => {
    if (t.dims[axes[j]] !== len) fail(`scan input ${j} has length ${t.dims[axes[j]]} along axis ${axes[j]}, expected ${len}`);
  });
  let states: Tensor[] = [...states0];
  for (const s of states) rc.pool.retain(s);
  const outs: Tensor[][] = Array.from({ length: spec.nScanOut }, () => []);
  try {
    for (let t = 0; t < len; t++) {
      const slices = scanIns.map((x, j) => takeAlong(x, axes[j], spec.inDirs[j] === 1 ? len - 1 - t : t, rc.pool));
      const res = rc.runSubgraph(spec.plan, [...states, ...slices]);
      for (const s of states) rc.pool.release(s);
      res.forEach((v, k) => {
        if (!isTensor(v)) fail(`body output ${k} must be a tensor`);
      });
      states = res.slice(0, spec.nState) as Tensor[];
      (res.slice(spec.nState) as Tensor[]).forEach((v, k) => outs[k].push(v));
    }
    const stacked = outs.map((parts, k) => {
      const ordered = spec.outDirs[k] === 1 ? [...parts].reverse() : parts;
      const outInfo = spec.plan.graph.outputs[spec.nState + k];
      const rank = (ordered[0]?.dims.length ?? staticShape(outInfo)?.length ?? 0) + 1;
      const axis = spec.outAxes[k] < 0 ? spec.outAxes[k] + rank : spec.outAxes[k];
      const r = stackAlong(ordered, axis, ordered[0]?.dtype ?? declaredDtype(outInfo) ?? 'float32', staticShape(outInfo) ?? [], rc.pool);
      rc.pool.retain(r);
      return r;
    });
    return [...states, ...stacked];
  } finally {
    for (const parts of outs) for (const t of parts) rc.pool.release(t);
  }
}

export const scanOp: BuiltinOp = {
  opType: 'Scan',
  sinceVersion: 8,
  create(ctx) {
    const body = requireGraph(ctx, 'body');
    const m = ctx.attrs.get('num_scan_inputs');
    if (typeof m !== 'number') return ctx.fail('attribute "num_scan_inputs" (int) is missing', { attribute: 'num_scan_inputs' });
    const v8 = ctx.opset < 9;
    const nIn = ctx.node.inputs.length - (v8 ? 1 : 0);
    const nState = nIn - m;
    if (nState < 0) ctx.fail(`has ${nIn} state+scan inputs but num_scan_inputs is ${m}`);
    const nScanOut = body.outputs.length - nState;
    if (body.inputs.length !== nIn) ctx.fail(`body has ${body.inputs.length} inputs, expected ${nIn}`, { attribute: 'body' });
    const plan = ctx.compileSubgraph('body', body);
    const spec: ScanSpec = {
      plan, nState, nScanIn: m, nScanOut,
      inAxes: v8 ? ints(undefined, m, 0) : ints(ctx.attrs.get('scan_input_axes'), m, 0),
      inDirs: ints(ctx.attrs.get(v8 ? 'directions' : 'scan_input_directions'), m, 0),
      outAxes: v8 ? ints(undefined, nScanOut, 0) : ints(ctx.attrs.get('scan_output_axes'), nScanOut, 0),
      outDirs: v8 ? ints(undefined, nScanOut, 0) : ints(ctx.attrs.get('scan_output_directions'), nScanOut, 0),
    };
    const fail = (msg: string): never => ctx.fail(msg);
    return {
      subplans: [plan],
      outputTypes: body.outputs.map((o) => declaredDtype(o)),
      run(inputs, rc) {
        const tensors = inputs.map((v, i) => {
          if (v !== null && !isTensor(v)) return ctx.fail(`input[${i}] must be a tensor`, { inputIndex: i });
          return v;
        });
        if (!v8) {
          const ins = tensors as Tensor[];
          return runScan(spec, ins.slice(0, nState), ins.slice(nState), rc, fail);
        }
        const lens = tensors[0];
        const rest = tensors.slice(1) as Tensor[];
        const batch = rest[0]?.dims[0] ?? 0;
        const seqLen = rest[nState]?.dims[1] ?? 0;
        if (lens && Array.from(lens.data as ArrayLike<number | bigint>, Number).some((l) => l !== seqLen)) {
          ctx.fail(`sequence_lens shorter than the scan length ${seqLen} are not supported`, { inputIndex: 0 });
        }
        const perBatch: Tensor[][] = [];
        try {
          for (let b = 0; b < batch; b++) {
            const sliced = rest.map((t) => takeAlong(t, 0, b, rc.pool));
            perBatch.push(runScan(spec, sliced.slice(0, nState), sliced.slice(nState), rc, fail));
          }
          return Array.from({ length: nState + nScanOut }, (_, k) => {
            const r = stackAlong(perBatch.map((p) => p[k]), 0, perBatch[0]?.[k]?.dtype ?? 'float32', [], rc.pool);
            rc.pool.retain(r);
            return r;
          });
        } finally {
          for (const p of perBatch) for (const t of p) rc.pool.release(t);
        }
      },
    };
  },
};
