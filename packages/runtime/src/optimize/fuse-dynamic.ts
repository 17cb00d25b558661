/**
 * Pass `fuse-dynamic-matmul`: the dynamic-quantization chain that `dynamic-quantize` (and onnxruntime's quantizer)
 * emits for a MatMul/Gemm with constant weights,
 *
 *   DynamicQuantizeLinear(x) -> (x_q, x_s, x_zp)
 *   MatMulInteger(x_q, w_q, x_zp, w_zp) -> Cast(to float) -> Mul(., Mul(x_s, w_s)) [-> Add(., bias)]
 *
 * becomes one `lowbit.DynamicQMatMul(x, w_q, w_s, w_zp [, bias])`, and the Conv form
 *
 *   ConvInteger(x_q, w_q, x_zp, w_zp) -> Cast(to float) -> Mul(., Mul(x_s, w_s)) [-> Add(., bias [1, M, 1, ...])]
 *
 * becomes `lowbit.DynamicQConv(x, w_q, w_s, w_zp [, bias [M]])` with ConvInteger's attributes. A MatMul whose B is an
 * activation (attention's probs x V) quantized by its own DynamicQuantizeLinear(b) -> (w_q, w_s, w_zp) fuses the same
 * way, without a bias: `lowbit.DynamicQMatMul(x, w_q, w_s, w_zp)` reads that node's outputs. Exact: the fused
 * kernels perform the same float32 operations in the same order (packages/kernels/src/quant/dynamic-qmatmul.ts,
 * dynamic-qconv.ts), so results are bit-identical.
 *
 * A Relu, a Clip with constant bounds, HardSigmoid, or HardSwish written out (Div(Mul(y, Clip(Add(y, 3), 0, 6)), 6))
 * that alone reads the fused convolution's output joins it as DynamicQConv's `activation` attributes
 * (dynamic-activation.ts); the kernels repeat those nodes' float operations, so this stays exact.
 *
 * When DynamicQuantizeLinear(x)'s x_q is read by more than that ConvInteger (sibling convolutions reading one tensor),
 * or x_q / x_zp must stay observable, the Conv takes DynamicQConv's quantized-input form instead:
 * `lowbit.DynamicQConv(x_q, w_q, w_s, w_zp, bias | '', x_s, x_zp)` reading the DynamicQuantizeLinear, which stays (once
 * for all its readers): x is quantized once instead of once per convolution. Same numerics (the kernel's steps from the
 * integer sums on are the same), so still bit-identical.
 *
 * Preconditions: w_q an 8-bit constant (2-D [K, N] for MatMul) or, for MatMul, DynamicQuantizeLinear(b)'s outputs, w_s float32 and w_zp constants with 1 or N values
 * (Conv: w_s one value, w_zp 1 or M), bias (when fused) a float32 constant with 1 or N values (or [1, .., 1, N] when the
 * MatMul input's declared rank is at least the bias's; Conv: M values laid along the channel axis), every removed intermediate read only inside the chain and neither a graph
 * output nor kept, and a `lowbit.DynamicQMatMul` kernel ranking no lower than MatMulInteger's. The model gains the
 * `lowbit` opset import (version 1). Identity rule: nothing fused -> the same model back.
 */
import { DataType, editGraph, graphIndex, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { attrInt } from '@lowbit/onnx-ir';
import { matchActivation } from './dynamic-activation.js';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, removable, soleConsumer, type OptimizePassOptions } from './support.js';

const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8' };

export const fuseDynamicMatMul: Pass = {
  name: 'fuse-dynamic-matmul',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = m.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'MatMulInteger') && !isOp(n, 'ConvInteger')) continue;
        const chain = matchChain(m.graph, consts, opts, n, opset);
        if (!chain) continue;
        for (const r of chain.remove) e.removeNode(r);
        for (const r of chain.remove) for (const o of r.outputs) if (o && o !== chain.output) e.removeValueInfo(o);
        const inputs = [...chain.inputs];
        if (chain.channelBias) {
          const name = e.freshName(`${n.name || n.opType}_bias`);
          e.addInitializer(tensorFromValues(name, DataType.FLOAT, [chain.channelBias.length], chain.channelBias));
          inputs.push(name);
        }
        if (chain.quantized) {
          while (inputs.length < 5) inputs.push('');
          inputs.push(...chain.quantized);
        }
        const conv = n.opType === 'ConvInteger';
        e.replaceNode(chain.last, {
          opType: conv ? 'DynamicQConv' : 'DynamicQMatMul', domain: LOWBIT_DOMAIN, inputs, outputs: [chain.output],
          attributes: conv ? [...n.attributes, ...(chain.activation ?? [])] : [], name: e.freshName(`${n.name || n.opType}_dynamic`),
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

interface Chain {
  readonly remove: Node[];
  readonly last: Node;
  readonly output: string;
  readonly inputs: string[];
  /** Conv (or MatMul with a [1, .., N] bias): the bias as M (N) values (a new initializer), when fused. */
  readonly channelBias?: Float32Array;
  /** Conv: the fused activation's attributes (dynamic-activation.ts). */
  readonly activation?: Attr[];
  /** Conv in the quantized-input form: DynamicQuantizeLinear's x_s and x_zp (inputs 5 and 6; input 0 is its x_q). */
  readonly quantized?: readonly [string, string];
}

function per(c: Constants, name: string | null | undefined, n: number, dtype?: string): boolean {
  const t = c.tensor(name);
  return !!t && (dtype === undefined || t.dtype === dtype) && (t.data.length === 1 || (t.data.length === n && t.dims.length === 1)) && t.dims.length <= 1;
}

function matchChain(g: Graph, c: Constants, opts: OptimizePassOptions, mi: Node, opset: number): Chain | undefined {
  const idx = graphIndex(g);
  const [xq, wq, xzp, wzp] = mi.inputs;
  const dql = idx.producer(xq ?? '')?.node;
  if (!isOp(dql, 'DynamicQuantizeLinear') || dql.outputs[0] !== xq || !xzp || dql.outputs[2] !== xzp || !dql.inputs[0]) return undefined;
  const conv = mi.opType === 'ConvInteger';
  const w = c.tensor(wq);
  // B an activation quantized by its own DynamicQuantizeLinear (attention): its scale and zero point are that node's.
  const bdql = w ? undefined : idx.producer(wq ?? '')?.node;
  const dynamicB = !conv && isOp(bdql, 'DynamicQuantizeLinear') && bdql.outputs[0] === wq && !!wzp && bdql.outputs[2] === wzp && !!bdql.outputs[1];
  if (!dynamicB && (!w || (conv ? w.dims.length < 3 : w.dims.length !== 2) || !(w.dtype in SHORT) || !wzp)) return undefined;
  const N = w ? (conv ? w.dims[0] : w.dims[1]) : 0;
  if (w && !per(c, wzp, N, w.dtype)) return undefined;
  const cast = soleConsumer(g, opts, mi.outputs[0]);
  if (!isOp(cast, 'Cast') || attrInt(cast, 'to', 0) !== DataType.FLOAT) return undefined;
  const mul = soleConsumer(g, opts, cast.outputs[0]);
  if (!isOp(mul, 'Mul') || !mul.outputs[0]) return undefined;
  const sc = mul.inputs[0] === cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
  const scaleMul = idx.producer(sc ?? '')?.node;
  if (!isOp(scaleMul, 'Mul')) return undefined;
  const xs = dql.outputs[1];
  const ws = scaleMul.inputs[0] === xs ? scaleMul.inputs[1] : scaleMul.inputs[1] === xs ? scaleMul.inputs[0] : undefined;
  if (!xs || !ws || (dynamicB ? ws !== bdql!.outputs[1] : !per(c, ws, conv ? 1 : N, 'float32'))) return undefined;
  const remove: Node[] = [mi, cast];
  let last = mul;
  const inputs = [dql.inputs[0], wq!, ws, wzp];
  let channelBias: Float32Array | undefined;
  const add = dynamicB ? undefined : soleConsumer(g, opts, mul.outputs[0]);
  if (isOp(add, 'Add') && add.outputs[0] && w) {
    const bias = add.inputs[0] === mul.outputs[0] ? add.inputs[1] : add.inputs[0];
    const bt = bias && bias !== mul.outputs[0] ? c.tensor(bias) : undefined;
    // MatMul: N values (or 1) along the last axis; a bias of more axes ([1, N], as mnist-8's) joins when all but its
    // last are 1 and the product has at least its rank (so the Add broadcast changes no shape), passed on as N values.
    const rowBias = !conv && bt && !per(c, bias, N, 'float32') && alongLast(bt.dims, N, rankOf(g, dql.inputs[0]!)) && bt.dtype === 'float32';
    if (bias && bt && (conv ? alongChannels(bt.dims, N, w.dims.length) && bt.dtype === 'float32' : per(c, bias, N, 'float32') || rowBias)) {
      remove.push(mul);
      last = add;
      if (conv || rowBias) channelBias = Float32Array.from(bt.data as Float32Array);
      else inputs.push(bias);
    }
  }
  const act = conv && last.outputs[0] ? matchActivation(g, c, opts, last.outputs[0], opset) : undefined;
  if (act) {
    remove.push(last, ...act.remove);
    last = act.last;
  }
  const activation = act?.attrs;
  const op = conv ? 'DynamicQConv' : 'DynamicQMatMul';
  // A Conv whose x_q something else reads too (sibling convolutions) or that stays observable takes the quantized-input
  // form: DynamicQuantizeLinear(x) stays, once, and the fused node reads its x_q, x_s, x_zp (inputs 0, 5, 6).
  const shared = conv && (idx.consumers(xq!).length + idx.captures(xq!).length > 1 || !removable(g, opts, xq!) || !removable(g, opts, xzp));
  if (shared) inputs[0] = xq!;
  if (!fusionPays(opts, `${LOWBIT_DOMAIN}.${op}:${shared ? 'u8' : 'f32'}`, `${mi.opType}:u8x${w ? SHORT[w.dtype] : 'u8'}->i32`)) return undefined;
  return { remove, last, output: last.outputs[0]!, inputs, ...(channelBias ? { channelBias } : {}), ...(activation ? { activation } : {}), ...(shared ? { quantized: [xs, xzp] as const } : {}) };
}

/** True when a constant of `dims` (rank >= 2) is N values along the last axis of a product of rank `rank` (>= dims.length). */
function alongLast(dims: readonly number[], N: number, rank: number | undefined): boolean {
  if (rank === undefined || dims.length < 2 || dims.length > rank) return false;
  return dims.every((d, i) => d === (i === dims.length - 1 ? N : 1));
}

/** Rank of `x` when the graph declares its shape (a graph input, value info or output). */
function rankOf(g: Graph, x: string): number | undefined {
  const v = graphIndex(g).input(x) ?? graphIndex(g).valueInfo(x) ?? g.outputs.find((o) => o.name === x);
  return v?.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : undefined;
}

/** True when a constant of `dims` broadcasts onto `[N, M, spatial...]` (rank `rank`) along the channel axis only. */
function alongChannels(dims: readonly number[], M: number, rank: number): boolean {
  if (dims.reduce((a, b) => a * b, 1) !== M || dims.length > rank) return false;
  const padded = [...new Array<number>(rank - dims.length).fill(1), ...dims];
  return padded.every((d, i) => d === (i === 1 ? M : 1));
}
