/**
 * Recurrent layers RNN, GRU and LSTM (ONNX opset 7/14 semantics), forward / reverse / bidirectional, with
 * sequence_lens, initial states, clip, layout (0: [seq, batch, ...], 1: [batch, seq, ...]), LSTM peepholes and
 * input_forget, GRU linear_before_reset. Everything is computed in double and rounded once into the output dtype.
 *
 * Per step t (weights W/R are [gates*H, I] / [gates*H, H], biases Wb/Rb; f, g, h the activations, default
 * Sigmoid, Tanh, Tanh; gate pre-activations are clipped to [-clip, clip] when clip is set):
 * - RNN:  H = f(X W^T + H' R^T + Wb + Rb)
 * - GRU (gates z, r, h):  z = f(..z), r = f(..r), n = g(X Wh^T + (r . H') Rh^T + Rbh + Wbh)  or, with
 *   linear_before_reset, n = g(X Wh^T + r . (H' Rh^T + Rbh) + Wbh);  H = (1 - z) . n + z . H'
 * - LSTM (gates i, o, f, c; peepholes P = [Pi, Po, Pf]):  i = f(..i + Pi . C'), f = f(..f + Pf . C')
 *   (input_forget: f = 1 - i), c = g(..c), C = f . C' + i . c, o = f(..o + Po . C), H = o . h(C)
 * A batch entry with sequence_lens[b] = L runs L steps (reverse: from L-1 down); Y is 0 after L and Y_h/Y_c hold
 * the state after its last step.
 */
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrFloat, attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';
import { rnnActivations, type Act } from './rnn-activations.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';
const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTS: Record<Kind, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

interface Cfg {
  readonly kind: Kind;
  readonly dirs: number;
  readonly reverseOnly: boolean;
  readonly hidden: number;
  readonly clip: number;
  readonly layout: number;
  readonly acts: Act[][];
  readonly linearBeforeReset: boolean;
  readonly inputForget: boolean;
}

function config(node: KernelNode, kind: Kind): Cfg {
  const direction = attrString(node, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) {
    throw kernelError(node, 'attribute "direction"', { expected: 'forward|reverse|bidirectional', actual: direction });
  }
  const dirs = direction === 'bidirectional' ? 2 : 1;
  return {
    kind,
    dirs,
    reverseOnly: direction === 'reverse',
    hidden: attrInt(node, 'hidden_size', 0),
    clip: node.attrs.has('clip') ? attrFloat(node, 'clip', Infinity) : Infinity,
    layout: attrInt(node, 'layout', 0),
    acts: rnnActivations(node, DEFAULT_ACTS[kind], dirs),
    linearBeforeReset: attrInt(node, 'linear_before_reset', 0) !== 0,
    inputForget: attrInt(node, 'input_forget', 0) !== 0,
  };
}

function runRecurrent(node: KernelNode, cfg: Cfg, inputs: readonly (Tensor | null)[], ctx: RunContext): (Tensor | null)[] {
  const x = need(node, inputs, 0);
  const w = need(node, inputs, 1);
  const r = need(node, inputs, 2);
  const G = GATES[cfg.kind];
  const [seq, batch, inSize] = cfg.layout === 0 ? x.dims : [x.dims[1], x.dims[0], x.dims[2]];
  const H = cfg.hidden || w.dims[1] / G;
  if (w.dims[0] !== cfg.dirs || w.dims[1] !== G * H || w.dims[2] !== inSize) {
    throw kernelError(node, 'W shape', { inputIndex: 1, expected: `[${cfg.dirs}, ${G * H}, ${inSize}]`, actual: `[${w.dims}]` });
  }
  const X = toNumbers(x);
  const W = toNumbers(w);
  const R = toNumbers(r);
  const B = inputs[3] ? toNumbers(inputs[3]) : undefined;
  const lens = inputs[4] ? Array.from(toNumbers(inputs[4])) : undefined;
  const h0 = inputs[5] ? toNumbers(inputs[5]) : undefined;
  const c0 = cfg.kind === 'LSTM' && inputs[6] ? toNumbers(inputs[6]) : undefined;
  const P = cfg.kind === 'LSTM' && inputs[7] ? toNumbers(inputs[7]) : undefined;
  const D = cfg.dirs;
  const Y = new Float64Array(seq * D * batch * H);
  const Yh = new Float64Array(D * batch * H);
  const Yc = new Float64Array(D * batch * H);
  // State index helpers for the two layouts.
  const stateAt = (d: number, b: number) => (cfg.layout === 0 ? (d * batch + b) * H : (b * D + d) * H);
  const yAt = (t: number, d: number, b: number) => (cfg.layout === 0 ? ((t * D + d) * batch + b) * H : ((b * seq + t) * D + d) * H);
  const xAt = (t: number, b: number) => (cfg.layout === 0 ? (t * batch + b) * inSize : (b * seq + t) * inSize);
  const clip = (v: number) => (v > cfg.clip ? cfg.clip : v < -cfg.clip ? -cfg.clip : v);
  const xw = new Float64Array(G * H);
  const hr = new Float64Array(G * H);
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  const zg = new Float64Array(H);
  const rg = new Float64Array(H);
  const next = new Float64Array(H);
  for (let d = 0; d < D; d++) {
    const reverse = cfg.reverseOnly || d === 1;
    const [f, g, hAct] = cfg.acts[d];
    const wOff = d * G * H * inSize;
    const rOff = d * G * H * H;
    const bOff = d * 2 * G * H;
    for (let b = 0; b < batch; b++) {
      const len = lens ? lens[b] : seq;
      const so = stateAt(d, b);
      for (let j = 0; j < H; j++) {
        h[j] = h0 ? h0[so + j] : 0;
        c[j] = c0 ? c0[so + j] : 0;
      }
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        const xo = xAt(t, b);
        for (let q = 0; q < G * H; q++) {
          let a = B ? B[bOff + q] : 0;
          const wr = wOff + q * inSize;
          for (let k = 0; k < inSize; k++) a += X[xo + k] * W[wr + k];
          xw[q] = a;
          let e = B ? B[bOff + G * H + q] : 0;
          const rr = rOff + q * H;
          for (let k = 0; k < H; k++) e += h[k] * R[rr + k];
          hr[q] = e;
        }
        if (cfg.kind === 'RNN') {
          for (let j = 0; j < H; j++) h[j] = f(clip(xw[j] + hr[j]));
        } else if (cfg.kind === 'GRU') {
          for (let j = 0; j < H; j++) {
            zg[j] = f(clip(xw[j] + hr[j]));
            rg[j] = f(clip(xw[H + j] + hr[H + j]));
          }
          for (let j = 0; j < H; j++) {
            let pre: number;
            if (cfg.linearBeforeReset) pre = xw[2 * H + j] + rg[j] * hr[2 * H + j];
            else {
              let e = B ? B[bOff + G * H + 2 * H + j] : 0;
              const rr = rOff + (2 * H + j) * H;
              for (let k = 0; k < H; k++) e += rg[k] * h[k] * R[rr + k];
              pre = xw[2 * H + j] + e;
            }
            next[j] = (1 - zg[j]) * g(clip(pre)) + zg[j] * h[j];
          }
          h.set(next);
        } else {
          for (let j = 0; j < H; j++) {
            const pi = P ? P[d * 3 * H + j] : 0;
            const po = P ? P[d * 3 * H + H + j] : 0;
            const pf = P ? P[d * 3 * H + 2 * H + j] : 0;
            const ig = f(clip(xw[j] + hr[j] + pi * c[j]));
            const fg = cfg.inputForget ? 1 - ig : f(clip(xw[2 * H + j] + hr[2 * H + j] + pf * c[j]));
            const cg = g(clip(xw[3 * H + j] + hr[3 * H + j]));
            const cn = fg * c[j] + ig * cg;
            const og = f(clip(xw[H + j] + hr[H + j] + po * cn));
            c[j] = cn;
            h[j] = og * hAct(cn);
          }
        }
        Y.set(h, yAt(t, d, b));
      }
      Yh.set(h, so);
      Yc.set(c, so);
    }
  }
  const dtype = x.dtype;
  const yDims = cfg.layout === 0 ? [seq, D, batch, H] : [batch, seq, D, H];
  const sDims = cfg.layout === 0 ? [D, batch, H] : [batch, D, H];
  const outs: (Tensor | null)[] = [];
  const emit = (vals: Float64Array, dims: number[]) => {
    const t = ctx.alloc(dtype, dims);
    writeNumbers(dtype, t.data, vals);
    return t;
  };
  const n = Math.max(node.outputCount, 1);
  outs.push(emit(Y, yDims));
  if (n > 1) outs.push(emit(Yh, sDims));
  if (n > 2 && cfg.kind === 'LSTM') outs.push(emit(Yc, sDims));
  return outs;
}

function recurrent(kind: Kind): KernelVariant {
  return scalarKernel(kind, (node) => {
    const cfg = config(node, kind);
    return (inputs, ctx) => runRecurrent(node, cfg, inputs, ctx);
  });
}

export const RECURRENT_KERNELS: KernelVariant[] = [recurrent('RNN'), recurrent('GRU'), recurrent('LSTM')];
