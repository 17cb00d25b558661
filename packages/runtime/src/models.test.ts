/**
 * Real models against onnxruntime-node (the reference for float models) on seeded generated inputs:
 * ultraface-rfb-320, ppocr-mobile-v2-cls and silero-vad-legacy (both sample-rate branches of its If, and the LSTM
 * state fed back over several chunks). Agreement: |ours - ort| <= 5e-6 + 1e-4 * |ort| elementwise.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Tensor, type DType } from '@lowbit/kernels';
import { Session } from './session.js';
import { seededUniform } from './test-support/seeded.js';
import { testdataPath } from '@lowbit/testing';

const RTOL = 1e-4;
const ATOL = 5e-6;

type Spec = Record<string, [DType, Float32Array | BigInt64Array, number[]]>;

function toFeeds(spec: Spec) {
  const ours: Record<string, Tensor> = {};
  const theirs: Record<string, ort.Tensor> = {};
  for (const [k, [dt, data, dims]] of Object.entries(spec)) {
    ours[k] = new Tensor(dt, data as never, dims);
    theirs[k] = new ort.Tensor(dt as 'float32', data as Float32Array, dims);
  }
  return { ours, theirs };
}

/** Elements outside the tolerance, as messages (first three). */
function disagreements(name: string, a: Tensor, b: ort.Tensor): string[] {
  const out: string[] = [];
  if (a.dims.join('x') !== b.dims.join('x')) return [`${name}: dims ${a.dims.join('x')} vs ort ${b.dims.join('x')}`];
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  for (let i = 0; i < y.length && out.length < 3; i++) {
    if (!(Math.abs(x[i] - y[i]) <= ATOL + RTOL * Math.abs(y[i]))) out.push(`${name}[${i}]: ${x[i]} vs ort ${y[i]}`);
  }
  return out;
}

async function both(model: string) {
  const path = testdataPath('models', `${model}.onnx`);
  return { ours: await Session.create(path), theirs: await ort.InferenceSession.create(path, { executionProviders: ['cpu'] }) };
}

async function compare(model: string, spec: Spec): Promise<void> {
  const { ours, theirs } = await both(model);
  expect(ours.inputNames).toEqual(theirs.inputNames);
  expect(ours.outputNames).toEqual(theirs.outputNames);
  const f = toFeeds(spec);
  const a = await ours.run(f.ours);
  const b = await theirs.run(f.theirs);
  expect(ours.outputNames.flatMap((n) => disagreements(n, a[n], b[n] as ort.Tensor))).toEqual([]);
}

describe('models agree with onnxruntime-node', () => {
  it('ultraface-rfb-320 (input [1,3,240,320] in [-1,1))', async () => {
    await compare('ultraface-rfb-320', { input: ['float32', seededUniform(2, 3 * 240 * 320, -1, 1), [1, 3, 240, 320]] });
  });

  it('mnist-8 and opt-mnist (Gemm form) on a seeded image', async () => {
    await compare('mnist-8', { Input3: ['float32', seededUniform(1, 784, 0, 1), [1, 1, 28, 28]] });
    const { ours } = await both('opt-mnist');
    const name = ours.inputNames[0];
    await compare('opt-mnist', { [name]: ['float32', seededUniform(1, 784, 0, 1), [1, 1, 28, 28]] });
  });

  it('ppocr-mobile-v2-cls (dynamic dims; input [1,3,48,192] and [2,3,48,160])', async () => {
    await compare('ppocr-mobile-v2-cls', { x: ['float32', seededUniform(3, 3 * 48 * 192, -1, 1), [1, 3, 48, 192]] });
    await compare('ppocr-mobile-v2-cls', { x: ['float32', seededUniform(13, 2 * 3 * 48 * 160, -1, 1), [2, 3, 48, 160]] });
  });

  it('silero-vad-legacy at 16 kHz and 8 kHz (If on sr), LSTM state fed back over 3 chunks', async () => {
    const { ours, theirs } = await both('silero-vad-legacy');
    for (const [sr, len] of [[16000, 512], [8000, 256]] as const) {
      let h = seededUniform(sr + 1, 128, -0.1, 0.1);
      let c = seededUniform(sr + 2, 128, -0.1, 0.1);
      for (let chunk = 0; chunk < 3; chunk++) {
        const f = toFeeds({
          input: ['float32', seededUniform(sr + 10 + chunk, len, -0.5, 0.5), [1, len]],
          sr: ['int64', BigInt64Array.from([BigInt(sr)]), []],
          h: ['float32', h, [2, 1, 64]],
          c: ['float32', c, [2, 1, 64]],
        });
        const a = await ours.run(f.ours);
        const b = await theirs.run(f.theirs);
        expect(ours.outputNames.flatMap((n) => disagreements(`${sr}/${chunk}/${n}`, a[n], b[n] as ort.Tensor))).toEqual([]);
        h = b.hn.data as Float32Array;
        c = b.cn.data as Float32Array;
      }
    }
  });
});
