/**
 * Pass `fuse-dynamic-matmul`: the dynamic-quantization chain that `dynamic-quantize` (and onnxruntime's quantizer)
 * emits for a MatMul/Gemm with constant weights,
 *
 *   DynamicQuantizeLinear(x) -> (x_q, x_s, x_zp)
 *   MatMulInteger(x_q, w_q, x_zp, w_zp) -> Cast(to float) -> Mul(., Mul(x_s, w_s)) [-> Add(., bias)]
 *
 * becomes one `lowbit.DynamicQMatMul(x, w_q, w_s, w_zp [, bias])`. Exact: the fused kernel performs the same float32
 * operations in the same order (see packages/kernels/src/quant/dynamic-qmatmul.ts), so results are bit-identical.
 *
 * Preconditions: w_q a 2-D 8-bit constant, w_s float32 and w_zp constants with 1 or N values, bias (when fused) a
 * float32 constant with 1 or N values, every removed intermediate read only inside the chain and neither a graph
 * output nor kept, and a `lowbit.DynamicQMatMul` kernel ranking no lower than MatMulInteger's. The model gains the
 * `lowbit` opset import (version 1). Identity rule: nothing fused -> the same model back.
 */
import { DataType, editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { attrInt } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, removable, type OptimizePassOptions } from './support.js';

const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8' };

export const fuseDynamicMatMul: Pass = {
  name: 'fuse-dynamic-matmul',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'MatMulInteger')) continue;
        const chain = matchChain(m.graph, consts, opts, n);
        if (!chain) continue;
        for (const r of chain.remove) e.removeNode(r);
        for (const r of chain.remove) for (const o of r.outputs) if (o && o !== chain.output) e.removeValueInfo(o);
        e.replaceNode(chain.last, {
          opType: 'DynamicQMatMul', domain: LOWBIT_DOMAIN, inputs: chain.inputs, outputs: [chain.output],
          name: e.freshName(`${n.name || 'MatMulInteger'}_dynamic`),
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

interface Chain { readonly remove: Node[]; readonly last: Node; readonly output: string; readonly inputs: string[] }

/** The only consumer node of `value` (one use, no subgraph capture), when `value` may disappear. */
function soleConsumer(g: Graph, opts: OptimizePassOptions, value: string | null | undefined): Node | undefined {
  if (!value || !removable(g, opts, value)) return undefined;
  const idx = graphIndex(g);
  const uses = idx.consumers(value);
  return uses.length === 1 && idx.captures(value).length === 0 ? uses[0].node : undefined;
}

function per(c: Constants, name: string | null | undefined, n: number, dtype?: string): boolean {
  const t = c.tensor(name);
  return !!t && (dtype === undefined || t.dtype === dtype) && (t.data.length === 1 || (t.data.length === n && t.dims.length === 1)) && t.dims.length <= 1;
}

function matchChain(g: Graph, c: Constants, opts: OptimizePassOptions, mi: Node): Chain | undefined {
  const idx = graphIndex(g);
  const [xq, wq, xzp, wzp] = mi.inputs;
  const dql = idx.producer(xq ?? '')?.node;
  if (!isOp(dql, 'DynamicQuantizeLinear') || dql.outputs[0] !== xq || !xzp || dql.outputs[2] !== xzp || !dql.inputs[0]) return undefined;
  const w = c.tensor(wq);
  if (!w || w.dims.length !== 2 || !(w.dtype in SHORT) || !wzp) return undefined;
  const N = w.dims[1];
  if (!per(c, wzp, N, w.dtype)) return undefined;
  const cast = soleConsumer(g, opts, mi.outputs[0]);
  if (!isOp(cast, 'Cast') || attrInt(cast, 'to', 0) !== DataType.FLOAT) return undefined;
  const mul = soleConsumer(g, opts, cast.outputs[0]);
  if (!isOp(mul, 'Mul') || !mul.outputs[0]) return undefined;
  const sc = mul.inputs[0] === cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
  const scaleMul = idx.producer(sc ?? '')?.node;
  if (!isOp(scaleMul, 'Mul')) return undefined;
  const xs = dql.outputs[1];
  const ws = scaleMul.inputs[0] === xs ? scaleMul.inputs[1] : scaleMul.inputs[1] === xs ? scaleMul.inputs[0] : undefined;
  if (!xs || !ws || !per(c, ws, N, 'float32')) return undefined;
  const remove: Node[] = [mi, cast];
  let last = mul;
  const inputs = [dql.inputs[0], wq!, ws, wzp];
  const add = soleConsumer(g, opts, mul.outputs[0]);
  if (isOp(add, 'Add') && add.outputs[0]) {
    const bias = add.inputs[0] === mul.outputs[0] ? add.inputs[1] : add.inputs[0];
    if (bias && bias !== mul.outputs[0] && per(c, bias, N, 'float32')) {
      remove.push(mul);
      last = add;
      inputs.push(bias);
    }
  }
  if (!fusionPays(opts, `${LOWBIT_DOMAIN}.DynamicQMatMul:f32`, `MatMulInteger:u8x${SHORT[w.dtype]}->i32`)) return undefined;
  return { remove, last, output: last.outputs[0]!, inputs };
}
