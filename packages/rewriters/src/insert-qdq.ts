/**
 * Pass `insert-qdq`: static quantization in QDQ form.
 *
 * - Compute ops (Conv, MatMul, Gemm): the activation input gets `QuantizeLinear -> DequantizeLinear` with parameters
 *   from its calibrated range; a constant weight is quantized offline (per-tensor, or per-channel on axis 0 for Conv,
 *   axis 1 for MatMul `[K,N]` and Gemm with transB=0, axis 0 for Gemm with transB=1) and read through a
 *   `DequantizeLinear`; a constant 1-D bias becomes int32 with `scale_b[c] = fround(scale_x * scale_w[c])`, zero
 *   point 0 (`b_q = roundHalfEven(b / scale_b)`; a bias that would not fit int32 stays float); the output is quantized
 *   too, after a Relu/Clip that is
 *   its only consumer (so the Q sits where runtimes fuse Conv+Relu).
 * - Shape/selection ops (Reshape, Transpose, MaxPool, Flatten, Squeeze, Unsqueeze, and Concat when all its inputs
 *   share one set of parameters) whose data input is quantized run on the quantized tensor and share its parameters:
 *   no Q/DQ pair around them (MaxPool only for 8-bit types at opset 12+, the only integer types it accepts).
 * - Values already produced by DequantizeLinear are left alone, so the pass is idempotent.
 *
 * Worked example (uint8 activations, int8 symmetric weights): x range [0, 2.55] -> scale_x = 0.01, zp 0; a weight
 * channel with max |w| 1.27 -> scale_w = 0.01; bias 0.5 -> scale_b = fround(0.01 * 0.01) = 1e-4, b_q = 5000.
 * Every scale/zero point comes from `qparams-bridge.ts` (i.e. @lowbit/qparams). Per-channel needs opset 13+ (run `opset-upgrade`).
 */
import { editGraph, eliminateDeadCode } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';
import { Constants, tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { emitActivations, emitWeights, resolveActivations } from './qdq-emit.js';
import type { TensorRange, NodeSelection } from './quant-options.js';
import { planQuantization, type OutputPolicy, type QuantPlanOptions } from './quant-plan.js';

export { COMPUTE_OPS, SHARED_PARAM_OPS, DEFAULT_STATIC_OPS, weightAxis } from './quant-plan.js';
export type { OutputPolicy } from './quant-plan.js';

const PASS = 'insert-qdq';

export interface InsertQdqOptions extends QuantPlanOptions {
  /** Calibrated ranges of the activation tensors (see `staticQuantTargets`). */
  readonly ranges: ReadonlyMap<string, TensorRange> | Readonly<Record<string, TensorRange>>;
  /** Names new values/nodes must avoid besides the graph's own (the enclosing scopes', when run on a subgraph). */
  readonly reservedNames?: readonly string[];
}

/**
 * Names of the activation tensors `insert-qdq` will need ranges for (graph inputs and intermediate values): the
 * `targets` of the same `planQuantization` the pass emits from.
 */
export function staticQuantTargets(m: Model, sel: NodeSelection = {}, outputs: OutputPolicy = 'all'): string[] {
  return [...planQuantization(m, { ...sel, outputs }).targets];
}

export function insertQdq(options: InsertQdqOptions): RewritePass {
  return {
    name: PASS,
    run(m) {
      const g = m.graph;
      const opset = onnxOpset(m);
      if (opset < 10) throw new RewriteError({ pass: PASS, expected: 'opset >= 10 (QuantizeLinear)', actual: `opset ${opset}` }, 'run opset-upgrade first');
      // 1. plan: which values are quantized, with which types (shared with calibration), then their parameters
      const plan = planQuantization(m, options);
      const act = resolveActivations(plan, options.ranges, PASS);
      if (act.size === 0 && !plan.steps.some((s) => s.kind === 'compute')) return result(m, m);
      const consts = new Constants(g);
      const edited = editGraph(g, (e) => {
        // 2. activation Q/DQ, 3. weights and biases
        emitActivations(e, g, act, consts);
        emitWeights(e, plan, act, consts, opset, PASS);
      }, { reservedNames: options.reservedNames ?? [] });
      return result(m, withGraph(m, tidyGraph(g, eliminateDeadCode(edited), { pruneInitializers: true })));
    },
  };
}
