/**
 * com.microsoft DynamicQuantizeLSTM (onnxruntime contrib op, version 1): an ONNX LSTM (layout 0, gates i, o, f, c)
 * whose weights are int8/uint8 offline and whose activations are quantized to uint8 at run time.
 *
 * Inputs: X float32 `[seq, batch, I]`; W `[D, I, 4H]` and R `[D, H, 4H]` (int8 or uint8, note: transposed against
 * ONNX LSTM); B `[D, 8H]`, sequence_lens int32 `[batch]`, initial_h / initial_c `[D, batch, H]`, P `[D, 3H]` (all
 * optional); W_scale / R_scale float32 `[D]` (per tensor) or `[D, 4H]` (per output column); W_zero_point /
 * R_zero_point the weights' dtype, the scales' shape. Attributes as ONNX LSTM (hidden_size, direction, clip,
 * activations, activation_alpha/beta, input_forget). Outputs Y `[seq, D, batch, H]`, Y_h, Y_c `[D, batch, H]`.
 *
 * Numerics, per direction (float32 throughout, no FMA; `dq(v)` is `@lowbit/qparams` `dynamicQuantize`, i.e.
 * ONNX DynamicQuantizeLinear: `scale = (max(0, max v) - min(0, min v)) / 255` (1 where that is 0),
 * `zp = roundHalfEven(clamp(-min / scale, 0, 255))`, `q = clamp(roundHalfEven(v / scale) + zp, 0, 255)`):
 * 1. X once for the whole sequence: `(sx, zx, qx) = dq(X[0 .. maxLen))` (all batch rows, maxLen = max sequence_lens;
 *    the reverse direction reads each row's first len steps backwards, the same multiset of values), and
 *    `xw[t, b, j] = fround(fround(sx * ws[j]) * sum_k (qx[t, b, k] - zx) * (W[k, j] - wzp[j]))` (exact int sum).
 * 2. Each step t: `(sh, zh, qh) = dq(H_{t-1})` over all batch rows (finished rows hold 0),
 *    `g[b, j] = fround(xw[t, b, j] + fround(fround(sh * rs[j]) * sum_k (qh[b, k] - zh) * (R[k, j] - rzp[j])))`.
 * 3. Gates as onnxruntime orders them: `i = f(clip(g_i + P_i * C' + Bi))`, `f = f(clip(g_f + P_f * C' + Bf))` (or
 *    `1 - i` with input_forget), `c = g(clip(g_c + Bc))`, `C = C' * f + i * c`, `o = f(clip(g_o + P_o * C + Bo))`,
 *    `H = h(C) * o`; `Bx = Wb_x + Rb_x` (added once, after the peephole term); clip defaults to FLT_MAX. Every
 *    operation rounds to float32; activations are evaluated in double and rounded once.
 * Sequence lengths: row b runs `len[b]` steps; Y is 0 past them, Y_h / Y_c hold the state after the last step (0
 * when len is 0).
 *
 * Where onnxruntime differs (by design of its kernel, not of the spec): with N > 1 intra-op threads it quantizes H
 * per chunk of ceil(batch / N) rows when batch > 4 or (batch >= 2 and H <= 256) (this reference equals onnxruntime
 * with one thread); it uses only the first weight zero point (this reference applies each column's); its sigmoid
 * and tanh are polynomial approximations (a few float32 ulps); with Y not requested finished rows keep their last
 * H inside the step's quantization range.
 *
 * Example (forward, I = H = 1, W = R = [[[127, 127, 127, 127]]], scales 1/127, zero points 0, no bias, X = [[[1]]]):
 * sx = 1/255, zx = 0, qx = 255, xw_j = fround(fround(1/255 / 127) * 255 * 127) = 1; h0 = 0 gives sh = 1, qh = 0, so
 * g = [1, 1, 1, 1]: i = o = f = sigmoid(1) = 0.7310586, c = tanh(1) = 0.7615942, C = 0 * f + i * c = 0.55677,
 * H = tanh(C) * o = 0.3696064 (float32 0.3696063756942749).
 */
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { dynamicQuantize } from '@lowbit/qparams';
import { expectSize, fail, input, optionalInput } from '../nn/checks.js';
import { viaQParams } from '../quant/qparams-call.js';
import { rnnActivations, type Act } from '../ops/rnn-activations.js';
import { attrFloat, attrInt, attrString } from '../ops/util/attrs.js';
import type { Tensor } from '../tensor.js';
import { MS_DOMAIN } from './matmul-nbits.js';

const fr = Math.fround;
const FLT_MAX = 3.4028234663852886e38;

interface Cfg {
  readonly dirs: number;
  readonly reverseOnly: boolean;
  readonly H: number;
  readonly clip: number;
  readonly acts: Act[][];
  readonly inputForget: boolean;
}

function config(node: KernelNode): Cfg {
  const direction = attrString(node, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) fail(node, 'attribute "direction"', { expected: 'forward|reverse|bidirectional', actual: direction });
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const H = attrInt(node, 'hidden_size', -1);
  if (!(H >= 1)) fail(node, 'attribute "hidden_size"', { expected: 'a positive int', actual: String(H) });
  return {
    dirs, reverseOnly: direction === 'reverse', H,
    clip: fr(attrFloat(node, 'clip', FLT_MAX)),
    acts: rnnActivations(node, ['Sigmoid', 'Tanh', 'Tanh'], dirs),
    inputForget: attrInt(node, 'input_forget', 0) !== 0,
  };
}

/** One direction's quantized weight `[K, 4H]` with its per-column multipliers' scale and zero point. */
interface QWeight { readonly q: ArrayLike<number>; readonly off: number; readonly scale: Float32Array; readonly zp: Float64Array }

function qweight(node: KernelNode, inputs: readonly (Tensor | null)[], wi: number, si: number, zi: number, d: number, cfg: Cfg, K: number): QWeight {
  const w = input(node, inputs, wi, ['int8', 'uint8'] as const);
  const G = 4 * cfg.H;
  if (w.dims.length !== 3 || w.dims[0] !== cfg.dirs || w.dims[1] !== K || w.dims[2] !== G) {
    fail(node, 'shape', { inputIndex: wi, expected: `[${cfg.dirs}, ${K}, ${G}]`, actual: `[${w.dims.join(', ')}]` });
  }
  const s = input(node, inputs, si, ['float32'] as const);
  const z = input(node, inputs, zi, [w.dtype]);
  const perCol = s.data.length === cfg.dirs * G;
  if (!perCol) expectSize(node, s, si, cfg.dirs, `element count ([${cfg.dirs}] or [${cfg.dirs}, ${G}])`);
  expectSize(node, z, zi, s.data.length, 'element count (the scale\'s)');
  const scale = new Float32Array(G);
  const zp = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    const idx = perCol ? d * G + j : d;
    scale[j] = s.data[idx];
    zp[j] = z.data[idx];
  }
  return { q: w.data, off: d * K * G, scale, zp };
}

/** out[r, j] (+)= fround(fround(sa * scale[j]) * sum_k (qa[r, k] - za) * (q[k, j] - zp[j])), rows r < rows. */
function qgemm(qa: Uint8Array, za: number, sa: number, rows: number, K: number, w: QWeight, out: Float32Array, accumulate: boolean): void {
  const G = w.scale.length;
  const mult = new Float32Array(G);
  for (let j = 0; j < G; j++) mult[j] = sa * w.scale[j];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < G; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (qa[r * K + k] - za) * (w.q[w.off + k * G + j] - w.zp[j]);
      const v = fr(mult[j] * acc);
      out[r * G + j] = accumulate ? fr(out[r * G + j] + v) : v;
    }
  }
}

function run(node: KernelNode, cfg: Cfg, inputs: readonly (Tensor | null)[], ctx: RunContext): (Tensor | null)[] {
  const x = input(node, inputs, 0, ['float32'] as const);
  if (x.dims.length !== 3) fail(node, 'X rank', { inputIndex: 0, expected: '[seq, batch, input_size]', actual: `[${x.dims.join(', ')}]` });
  const [seq, batch, I] = x.dims;
  const { H, dirs: D } = cfg;
  const G = 4 * H;
  const bias = optionalInput(node, inputs, 3, ['float32'] as const);
  if (bias) expectSize(node, bias, 3, D * 8 * H, `element count ([${D}, ${8 * H}])`);
  const lensT = optionalInput(node, inputs, 4, ['int32'] as const);
  if (lensT) expectSize(node, lensT, 4, batch, `element count ([${batch}])`);
  const lens = Array.from({ length: batch }, (_, b) => (lensT ? lensT.data[b] : seq));
  lens.forEach((l, b) => { if (l < 0 || l > seq) fail(node, `sequence_lens[${b}]`, { inputIndex: 4, expected: `0..${seq}`, actual: String(l) }); });
  const state = (i: number): Float32Array | null => {
    const t = optionalInput(node, inputs, i, ['float32'] as const);
    if (t) expectSize(node, t, i, D * batch * H, `element count ([${D}, ${batch}, ${H}])`);
    return t ? t.data : null;
  };
  const h0 = state(5);
  const c0 = state(6);
  const P = optionalInput(node, inputs, 7, ['float32'] as const);
  if (P) expectSize(node, P, 7, D * 3 * H, `element count ([${D}, ${3 * H}])`);
  const maxLen = batch === 0 ? 0 : Math.max(...lens);
  const Y = new Float32Array(seq * D * batch * H);
  const Yh = new Float32Array(D * batch * H);
  const Yc = new Float32Array(D * batch * H);
  for (let d = 0; d < D; d++) {
    const reverse = cfg.reverseOnly || d === 1;
    const [f, g, hAct] = cfg.acts[d];
    const W = qweight(node, inputs, 1, 8, 9, d, cfg, I);
    const R = qweight(node, inputs, 2, 10, 11, d, cfg, H);
    const Bf = new Float32Array(G);
    if (bias) for (let j = 0; j < G; j++) Bf[j] = bias.data[d * 8 * H + j] + bias.data[d * 8 * H + G + j];
    // 1. The input projection for every step at once, from one quantization of X[0 .. maxLen).
    const xin = new Float32Array(maxLen * batch * I);
    for (let t = 0; t < maxLen; t++) for (let b = 0; b < batch; b++) {
      const src = reverse && t < lens[b] ? lens[b] - 1 - t : t;
      xin.set(x.data.subarray((src * batch + b) * I, (src * batch + b + 1) * I), (t * batch + b) * I);
    }
    const xw = new Float32Array(maxLen * batch * G);
    if (xin.length > 0) {
      const qx = viaQParams(node, () => dynamicQuantize(xin));
      qgemm(qx.y, qx.zeroPoint, qx.scale, maxLen * batch, I, W, xw, false);
    }
    const h = new Float32Array(batch * H);
    const c = new Float32Array(batch * H);
    if (h0) h.set(h0.subarray(d * batch * H, (d + 1) * batch * H));
    if (c0) c.set(c0.subarray(d * batch * H, (d + 1) * batch * H));
    for (let b = 0; b < batch; b++) if (lens[b] === 0) Yc.fill(0, (d * batch + b) * H, (d * batch + b + 1) * H);
    // 2-3. The recurrence.
    for (let t = 0; t < maxLen; t++) {
      const gates = xw.subarray(t * batch * G, (t + 1) * batch * G);
      if (H * batch > 0) {
        const qh = viaQParams(node, () => dynamicQuantize(h));
        qgemm(qh.y, qh.zeroPoint, qh.scale, batch, H, R, gates, true);
      }
      for (let b = 0; b < batch; b++) {
        const hb = b * H;
        if (t >= lens[b]) { h.fill(0, hb, hb + H); continue; }
        const gb = gates.subarray(b * G, (b + 1) * G);
        const pre = (v: number, j: number): number => {
          const z = fr(v + Bf[j]);
          return z > cfg.clip ? cfg.clip : z < -cfg.clip ? -cfg.clip : z;
        };
        const peep = (gate: number, j: number, cell: number): number => (P ? fr(gb[gate * H + j] + fr(cell * P.data[d * 3 * H + gate * H + j])) : gb[gate * H + j]);
        for (let j = 0; j < H; j++) {
          const cPrev = c[hb + j];
          const ig = fr(f(pre(peep(0, j, cPrev), j)));
          // P is [P_i, P_o, P_f]: the forget peephole is its third slice, the forget gate the third of iofc.
          const pf = P ? fr(gb[2 * H + j] + fr(cPrev * P.data[d * 3 * H + 2 * H + j])) : gb[2 * H + j];
          const fg = cfg.inputForget ? fr(1 - ig) : fr(f(pre(pf, 2 * H + j)));
          const cg = fr(g(pre(gb[3 * H + j], 3 * H + j)));
          const cn = fr(fr(cPrev * fg) + fr(ig * cg));
          const og = fr(f(pre(peep(1, j, cn), H + j)));
          c[hb + j] = cn;
          h[hb + j] = fr(fr(hAct(cn)) * og);
        }
        const tOut = reverse ? lens[b] - 1 - t : t;
        Y.set(h.subarray(hb, hb + H), ((tOut * D + d) * batch + b) * H);
        if (t === lens[b] - 1) {
          Yh.set(h.subarray(hb, hb + H), (d * batch + b) * H);
          Yc.set(c.subarray(hb, hb + H), (d * batch + b) * H);
        }
      }
    }
  }
  const emit = (v: Float32Array, dims: number[]): Tensor => {
    const t = ctx.alloc('float32', dims);
    t.data.set(v);
    return t;
  };
  const n = Math.max(node.outputCount, 1);
  return [emit(Y, [seq, D, batch, H]), emit(Yh, [D, batch, H]), emit(Yc, [D, batch, H])].slice(0, Math.min(n, 3));
}

function create(node: KernelNode): KernelInstance {
  const cfg = config(node);
  return { run: (inputs, ctx) => run(node, cfg, inputs, ctx) };
}

export const DYNAMIC_QUANTIZE_LSTM_KERNELS: KernelVariant[] = [{
  key: `${MS_DOMAIN}.DynamicQuantizeLSTM:*`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}];
