/**
 * Pass `fuse-residual-add`: an Add whose one operand is the float output of an int8 GEMM with constant weights that
 * ends in float32 (`lowbit.DynamicQMatMul` after `fuse-dynamic-matmul`, `lowbit.QLinearMatMulToFloat` after
 * `fuse-qlinear-matmul-dequantize`) and whose other operand is an activation (a transformer's residual connection,
 * `Add(MatMul(x) + bias, x)`),
 *
 *   y = lowbit.DynamicQMatMul(x, w_q, w_s, w_zp [, bias]);  z = Add(y, r) | Add(r, y)
 *   y = lowbit.QLinearMatMulToFloat(a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp [, bias]);  z = Add(y, r) | Add(r, y)
 *
 * becomes the same GEMM node with r as its residual input (DynamicQMatMul's input 5, QLinearMatMulToFloat's input 9,
 * the bias slot '' when there is none) and z as its output: the kernel adds r to each result after its bias (the
 * native GEMM over each finished block while it is in cache), so y never exists as a tensor and the Add's pass over
 * three tensors and its step go. Exact: the kernels' last step is the Add's float32 addition, fround(y + r), and float
 * addition commutes bit for bit, so either operand order gives the literal graph's bits (packages/kernels/src/quant/
 * dynamic-qmatmul.ts, qlinear-matmul-to-float.ts). A residual whose shape differs from y's is added with ONNX
 * broadcasting by the same kernels (`addResidual`), so the fusion never changes a result or a shape.
 *
 * Preconditions: Add of opset 7 or later (multidirectional broadcasting); y read by that Add alone (not a graph output,
 * not kept, not captured by a subgraph); the GEMM's weights an initializer (its native form) and no residual yet; r a
 * different value that is not a constant (a constant operand is a bias, which the GEMM fusions already fold where
 * they can). Identity rule: nothing fused -> the same model back.
 */
import { editGraph, graphIndex, normalizeDomain } from '@lowbit/onnx-ir';
import type { Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, soleConsumer, type OptimizePassOptions } from './support.js';

interface Match {
  readonly add: Node;
  readonly gemm: Node;
  readonly residual: string;
}

export const fuseResidualAdd: Pass = {
  name: 'fuse-residual-add',
  run(m: Model, ctx: PassContext) {
    if (onnxOpset(m) < 7) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const matches = m.graph.nodes.filter((n) => isOp(n, 'Add')).map((n) => match(m.graph, consts, opts, n)).filter((x): x is Match => x !== undefined);
    if (matches.length === 0) return { model: m, modified: false };
    const g = editGraph(m.graph, (e) => {
      for (const { add, gemm, residual } of matches) {
        const slot = RESIDUAL_INPUT[gemm.opType]!;
        const inputs = gemm.inputs.slice(0, slot);
        while (inputs.length < slot) inputs.push('');
        e.removeNode(gemm);
        e.removeValueInfo(gemm.outputs[0]!);
        e.replaceNode(add, { opType: gemm.opType, domain: LOWBIT_DOMAIN, inputs: [...inputs, residual], outputs: [add.outputs[0]!], attributes: [...gemm.attributes], name: e.freshName(`${gemm.name || gemm.opType}_residual`) });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g }, modified: true };
  },
};

/** The residual input of each GEMM op this pass extends, and the input that holds its constant weights. */
const RESIDUAL_INPUT: Record<string, number> = { DynamicQMatMul: 5, QLinearMatMulToFloat: 9 };
const WEIGHTS_INPUT: Record<string, number> = { DynamicQMatMul: 1, QLinearMatMulToFloat: 3 };
const isGemm = (n: Node | undefined): n is Node => n !== undefined && n.opType in RESIDUAL_INPUT && normalizeDomain(n.domain) === LOWBIT_DOMAIN;

function match(g: Graph, c: Constants, opts: OptimizePassOptions, add: Node): Match | undefined {
  const [a, b] = add.inputs;
  if (!a || !b || a === b || add.inputs.length !== 2 || !add.outputs[0]) return undefined;
  const idx = graphIndex(g);
  for (const [y, r] of [[a, b], [b, a]] as const) {
    const gemm = idx.producer(y)?.node;
    if (!isGemm(gemm) || gemm.outputs[0] !== y || gemm.outputs.length !== 1 || gemm.inputs[RESIDUAL_INPUT[gemm.opType]!]) continue;
    const w = gemm.inputs[WEIGHTS_INPUT[gemm.opType]!];
    if (!w || !c.tensor(w)) continue;
    if (soleConsumer(g, opts, y) !== add || c.tensor(r)) continue;
    return { add, gemm, residual: r };
  }
  return undefined;
}
