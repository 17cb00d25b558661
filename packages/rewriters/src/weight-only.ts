/**
 * Pass `weight-only`: blockwise int8/int4/uint4 weights for MatMul (`B [K,N]`, blocks along K) and Gather tables
 * (`W [V,D]`, blocks along D), activations stay float.
 *
 * - `format: 'qdq'` (default): `DequantizeLinear(B_q, scale [ceil(K/bs), N], zp, axis=0, block_size=bs) -> MatMul`,
 *   which needs opset 21 (run `opset-upgrade` first).
 * - `format: 'matmulnbits'`: com.microsoft `MatMulNBits` (bits 4, uint4 storage; int4 is stored offset by +8).
 * - `algorithm: 'rtn'` rounds to nearest; `'gptq'` uses calibration activations per MatMul input (see gptq.ts).
 * - External float weights with `rtn` stream (weight-only-stream.ts): their quantized parts are lazy tensors computed
 *   one weight at a time, in chunks, when the model is saved; same bytes as the eager path.
 * Identity rule: nothing to quantize -> the same model back.
 */
import { DataType, editGraph } from '@lowbit/onnx-ir';
import type { GraphEditor, Model, Node, TensorRef, TensorStore } from '@lowbit/onnx-ir';
import { intAttr } from './attrs.js';
import { RewriteError } from './errors.js';
import { awqQuantize } from './awq.js';
import { gptqQuantize, rtnQuantize, type BlockQuantized } from './gptq.js';
import { Constants, tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph, withOpset } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { Q_DATATYPE, quantizeWith, weightQParams, type QSpec } from './qparams-bridge.js';
import type { IntQuantDType, Scheme } from '@lowbit/qparams';
import { isSelected, type NodeSelection } from './quant-options.js';
import { floatTensor, makeTensor, tensorFloats } from './tensor-data.js';
import { streamGather, streamMatMulNBits, streamMatMulQdq, type StreamIo, type StreamNames } from './weight-only-stream.js';

const PASS = 'weight-only';

/** Calibration activations for one MatMul input: `samples` rows of K values. */
export interface ActivationSamples {
  readonly data: Float32Array;
  readonly samples: number;
}

export interface WeightOnlyOptions extends NodeSelection {
  readonly dtype?: Extract<IntQuantDType, 'int8' | 'uint8' | 'int4' | 'uint4'>;
  readonly scheme?: Scheme;
  /** 16..256; default 32. */
  readonly blockSize?: number;
  readonly algorithm?: 'rtn' | 'gptq' | 'awq';
  /** GPTQ and AWQ: activations keyed by the MatMul's input value name. */
  readonly activations?: ReadonlyMap<string, ActivationSamples>;
  readonly damp?: number;
  readonly actOrder?: boolean;
  readonly format?: 'qdq' | 'matmulnbits';
  /** Where external weights are read from (default: the file system, confined to the model's folder). */
  readonly store?: TensorStore;
  /** Stream external weights (rtn only; default true). false quantizes them while the pass runs, like inline ones. */
  readonly streamExternal?: boolean;
  /** Float bytes read per chunk when streaming (default 16 MiB). */
  readonly streamChunkBytes?: number;
}

export function weightOnlyQuantize(options: WeightOnlyOptions = {}): RewritePass {
  const dtype = options.dtype ?? 'int4';
  const bs = options.blockSize ?? 32;
  const spec: QSpec = { dtype, scheme: options.scheme ?? (dtype.startsWith('u') ? 'asymmetric' : 'symmetric') };
  const format = options.format ?? 'qdq';
  return {
    name: PASS,
    requires(m) {
      if (bs < 16 || bs > 256 || (bs & (bs - 1)) !== 0) throw new RewriteError({ pass: PASS, expected: 'a power of two in 16..256', actual: String(bs) }, 'bad block size');
      if (format === 'qdq' && onnxOpset(m) < 21) throw new RewriteError({ pass: PASS, expected: 'opset >= 21 for blocked DequantizeLinear', actual: `opset ${onnxOpset(m)}` }, 'run opset-upgrade first');
      if (format === 'matmulnbits' && dtype !== 'int4' && dtype !== 'uint4') throw new RewriteError({ pass: PASS, expected: 'int4|uint4', actual: dtype }, 'MatMulNBits is 4-bit here');
    },
    run(m: Model, ctx) {
      this.requires!(m, ctx);
      const consts = new Constants(m.graph);
      const io: StreamIo = { store: options.store, chunkBytes: options.streamChunkBytes };
      const streams = (w: TensorRef) => w.kind === 'external' && (options.algorithm ?? 'rtn') === 'rtn' && options.streamExternal !== false;
      let usedContrib = false;
      const edited = editGraph(m.graph, (e) => {
        for (const n of m.graph.nodes) {
          if (!isSelected(options, n, ['MatMul', 'Gather'])) continue;
          if (n.opType === 'Gather') { if (format === 'qdq') gather(e, consts, n, spec, bs, streams, io); continue; }
          const w = consts.get(n.inputs[1]);
          if (!w || w.dtype !== DataType.FLOAT || w.dims.length !== 2) continue;
          const [k, nn] = w.dims;
          if (streams(w)) {
            const base = n.inputs[1]!;
            if (format === 'qdq') {
              const names = { q: e.freshName(`${base}_quantized`), scale: e.freshName(`${base}_scale`), zeroPoint: e.freshName(`${base}_zero_point`) };
              const [wq, ws, wz] = streamMatMulQdq(w, names, spec, bs, io, PASS).map((t) => consts.add(e, t));
              const out = e.freshName(`${base}_dequantized`);
              e.addNode({ opType: 'DequantizeLinear', inputs: [wq, ws, wz], outputs: [out], attributes: [intAttr('axis', 0), intAttr('block_size', bs)], name: e.freshName(`${base}_DequantizeLinear`) });
              e.setInput(n, 1, out);
            } else {
              const names = { q: e.freshName(`${base}_nbits`), scale: e.freshName(`${base}_scale`), zeroPoint: e.freshName(`${base}_zero_point`) };
              const [bName, sName, zName] = streamMatMulNBits(w, names, spec, bs, dtype === 'int4' ? 8 : 0, io, PASS).map((t) => consts.add(e, t));
              nbitsNode(e, n, [bName, sName, zName], k, nn, bs);
              usedContrib = true;
            }
            continue;
          }
          const wv = tensorFloats(w, PASS);
          let bq: BlockQuantized;
          if (options.algorithm === 'awq') {
            const act = options.activations?.get(n.inputs[0]!);
            if (!act) throw new RewriteError({ pass: PASS, nodeName: n.name, opType: n.opType, inputIndex: 0, tensor: n.inputs[0]! }, 'AWQ needs calibration activations for this input');
            const r = awqQuantize(wv, k, nn, act.data, act.samples, spec, bs);
            bq = r.quantized;
            if (r.alpha > 0) {
              // the activation is scaled by 1/s before the MatMul (see awq.ts)
              const inv = consts.add(e, floatTensor(e.freshName(`${n.inputs[0]}_awq_scale`), [k], r.scales.map((v) => Math.fround(1 / v))));
              const xs = e.freshName(`${n.inputs[0]}_awq`);
              e.addNode({ opType: 'Mul', inputs: [n.inputs[0]!, inv], outputs: [xs], name: e.freshName(`${n.name || 'MatMul'}_awq`) });
              e.setInput(n, 0, xs);
            }
          } else if ((options.algorithm ?? 'rtn') === 'gptq') {
            const act = options.activations?.get(n.inputs[0]!);
            if (!act) throw new RewriteError({ pass: PASS, nodeName: n.name, opType: n.opType, inputIndex: 0, tensor: n.inputs[0]! }, 'GPTQ needs calibration activations for this input');
            bq = gptqQuantize(wv, k, nn, act.data, act.samples, spec, { blockSize: bs, damp: options.damp, actOrder: options.actOrder });
          } else {
            bq = rtnQuantize(wv, k, nn, spec, bs);
          }
          const base = n.inputs[1]!;
          if (format === 'qdq') {
            const wq = consts.add(e, makeTensor(e.freshName(`${base}_quantized`), Q_DATATYPE[dtype], [k, nn], bq.q));
            const ws = consts.add(e, floatTensor(e.freshName(`${base}_scale`), bq.params.dims, bq.params.scales));
            const wz = consts.add(e, makeTensor(e.freshName(`${base}_zero_point`), Q_DATATYPE[dtype], bq.params.dims, bq.params.zeroPoints));
            const out = e.freshName(`${base}_dequantized`);
            e.addNode({ opType: 'DequantizeLinear', inputs: [wq, ws, wz], outputs: [out], attributes: [intAttr('axis', 0), intAttr('block_size', bs)], name: e.freshName(`${base}_DequantizeLinear`) });
            e.setInput(n, 1, out);
          } else {
            matMulNBits(e, consts, n, bq, k, nn, bs, dtype === 'int4' ? 8 : 0);
            usedContrib = true;
          }
        }
      });
      if (edited === m.graph) return result(m, m);
      const out = withGraph(m, tidyGraph(m.graph, edited, { pruneInitializers: true }));
      return result(m, usedContrib ? withOpset(out, onnxOpset(out), [{ domain: 'com.microsoft', version: 1 }]) : out);
    },
  };
}

function gather(e: GraphEditor, consts: Constants, n: Node, spec: QSpec, bs: number, streams: (w: TensorRef) => boolean, io: StreamIo): void {
  const w = consts.get(n.inputs[0]);
  if (!w || w.dtype !== DataType.FLOAT || w.dims.length !== 2) return;
  const base = n.inputs[0]!;
  let wq: string, ws: string, wz: string;
  if (streams(w)) {
    const names: StreamNames = { q: e.freshName(`${base}_quantized`), scale: e.freshName(`${base}_scale`), zeroPoint: e.freshName(`${base}_zero_point`) };
    [wq, ws, wz] = streamGather(w, names, spec, bs, io, PASS).map((t) => consts.add(e, t));
  } else {
    const wv = tensorFloats(w, PASS);
    const set = weightQParams(wv, w.dims, spec, 1, bs);
    wq = consts.add(e, makeTensor(e.freshName(`${base}_quantized`), Q_DATATYPE[spec.dtype], w.dims, quantizeWith(wv, w.dims, set, spec.dtype, 1, bs)));
    ws = consts.add(e, floatTensor(e.freshName(`${base}_scale`), set.dims, set.scales));
    wz = consts.add(e, makeTensor(e.freshName(`${base}_zero_point`), Q_DATATYPE[spec.dtype], set.dims, set.zeroPoints));
  }
  const out = e.freshName(`${base}_dequantized`);
  e.addNode({ opType: 'DequantizeLinear', inputs: [wq, ws, wz], outputs: [out], attributes: [intAttr('axis', 1), intAttr('block_size', bs)], name: e.freshName(`${base}_DequantizeLinear`) });
  e.setInput(n, 0, out);
}

/**
 * com.microsoft MatMulNBits layout: B `[N, nBlocks, bs/2]` uint8 (for column j, block b, the K values of the block
 * two per byte, low nibble first), scales `[N * nBlocks]`, zero points uint8 `[N * ceil(nBlocks / 2)]` packed.
 */
function matMulNBits(e: GraphEditor, consts: Constants, n: Node, bq: BlockQuantized, k: number, nn: number, bs: number, offset: number): void {
  const nb = Math.ceil(k / bs);
  const blob = bs / 2;
  const B = new Uint8Array(nn * nb * blob);
  const S = new Float32Array(nn * nb);
  const zpBytes = Math.ceil(nb / 2);
  const Z = new Uint8Array(nn * zpBytes);
  for (let j = 0; j < nn; j++) for (let b = 0; b < nb; b++) {
    S[j * nb + b] = bq.params.scales[b * nn + j];
    const z = bq.params.zeroPoints[b * nn + j] + offset;
    Z[j * zpBytes + (b >> 1)] |= (z & 15) << ((b & 1) * 4);
    for (let t = 0; t < bs; t++) {
      const i = b * bs + t;
      const v = i < k ? bq.q[i * nn + j] + offset : z;
      B[(j * nb + b) * blob + (t >> 1)] |= (v & 15) << ((t & 1) * 4);
    }
  }
  const base = n.inputs[1]!;
  const bName = consts.add(e, makeTensor(e.freshName(`${base}_nbits`), DataType.UINT8, [nn, nb, blob], B));
  const sName = consts.add(e, floatTensor(e.freshName(`${base}_scale`), [nn * nb], S));
  const zName = consts.add(e, makeTensor(e.freshName(`${base}_zero_point`), DataType.UINT8, [nn * zpBytes], Z));
  nbitsNode(e, n, [bName, sName, zName], k, nn, bs);
}

function nbitsNode(e: GraphEditor, n: Node, [bName, sName, zName]: readonly string[], k: number, nn: number, bs: number): void {
  e.replaceNode(n, {
    opType: 'MatMulNBits', domain: 'com.microsoft', inputs: [n.inputs[0], bName, sName, zName], outputs: [n.outputs[0]!],
    attributes: [intAttr('K', k), intAttr('N', nn), intAttr('bits', 4), intAttr('block_size', bs)], name: e.freshName(`${n.name}_nbits`),
  });
}
