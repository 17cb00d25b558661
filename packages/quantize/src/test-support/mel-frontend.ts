/**
 * A small mel-spectrogram-like front end (test model): frames x [T, 256] -> MatMul (DFT-like basis [256, 258]: cos and
 * sin rows of 129 bins) -> Mul(y, y) (power) -> Add (1e-10) -> MatMul (triangular mel filters [258, 40], summing the
 * cos² and sin² halves) -> Add (1e-6) -> Log -> Reshape [1, 1, T, 40] -> Conv 3x3 (1 -> 8) -> Relu -> Conv 3x3 (8 -> 4).
 * Its Log after a power spectrum is what makes plain 8-bit static quantization collapse.
 */
import { DataType, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Model, Node } from '@lowbit/onnx-ir';

export const MEL_T = 32;
const N = 256, BINS = 129, MELS = 40;

/** Deterministic values in [-1, 1) (xorshift32). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

const node = (opType: string, inputs: string[], outputs: string[], attributes: Attr[] = []): Node =>
  ({ id: outputs[0], name: outputs[0], domain: '', opType, inputs, outputs, attributes });
const ints = (name: string, v: number[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) });

export function melFrontEnd(): Model {
  const dft = new Float32Array(N * 2 * BINS);
  for (let n = 0; n < N; n++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N);
    for (let k = 0; k < BINS; k++) {
      dft[n * 2 * BINS + k] = win * Math.cos((2 * Math.PI * k * n) / N);
      dft[n * 2 * BINS + BINS + k] = -win * Math.sin((2 * Math.PI * k * n) / N);
    }
  }
  const mel = new Float32Array(2 * BINS * MELS);
  const hz2mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const mel2hz = (m: number) => 700 * (10 ** (m / 2595) - 1);
  const pts = Array.from({ length: MELS + 2 }, (_, i) => (mel2hz((i * hz2mel(8000)) / (MELS + 1)) / 8000) * (BINS - 1));
  for (let m = 0; m < MELS; m++) {
    for (let k = 0; k < BINS; k++) {
      const w = Math.max(0, Math.min((k - pts[m]) / (pts[m + 1] - pts[m]), (pts[m + 2] - k) / (pts[m + 2] - pts[m + 1])));
      mel[k * MELS + m] = w;
      mel[(BINS + k) * MELS + m] = w;
    }
  }
  const c1 = rand(8 * 9, 11).map((v) => v * 0.3);
  const c2 = rand(4 * 8 * 9, 12).map((v) => v * 0.2);
  const t = (name: string, dims: number[], v: Float32Array | number[]) => tensorFromValues(name, DataType.FLOAT, dims, Float32Array.from(v));
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'mel-frontend',
      inputs: [{ name: 'frames', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [MEL_T, N] } }],
      outputs: [{ name: 'features', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 4, MEL_T, MELS] } }],
      initializers: [
        t('dft', [N, 2 * BINS], dft), t('mel', [2 * BINS, MELS], mel), t('tiny', [], [1e-10]), t('eps', [], [1e-6]),
        tensorFromValues('shape4', DataType.INT64, [4], BigInt64Array.from([1n, 1n, BigInt(MEL_T), BigInt(MELS)])),
        t('c1w', [8, 1, 3, 3], c1), t('c1b', [8], rand(8, 13).map((v) => v * 0.1)), t('c2w', [4, 8, 3, 3], c2), t('c2b', [4], rand(4, 14).map((v) => v * 0.1)),
      ],
      sparseInitializers: [],
      nodes: [
        node('MatMul', ['frames', 'dft'], ['spec']),
        node('Mul', ['spec', 'spec'], ['power']),
        node('Add', ['power', 'tiny'], ['power_eps']),
        node('MatMul', ['power_eps', 'mel'], ['melspec']),
        node('Add', ['melspec', 'eps'], ['melspec_eps']),
        node('Log', ['melspec_eps'], ['logmel']),
        node('Reshape', ['logmel', 'shape4'], ['img']),
        node('Conv', ['img', 'c1w', 'c1b'], ['conv1'], [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])]),
        node('Relu', ['conv1'], ['relu1']),
        node('Conv', ['relu1', 'c2w', 'c2b'], ['features'], [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])]),
      ],
      valueInfo: [],
    },
    functions: [],
    metadataProps: [],
  };
}

/** Audio-like frames: a few tones of varying loudness (40 dB range) plus a little noise. */
export function melFrames(seed: number): Float32Array {
  const noise = rand(MEL_T * N, seed);
  const out = new Float32Array(MEL_T * N);
  for (let t = 0; t < MEL_T; t++) {
    const amp = 10 ** (-2 * ((t * 7 + seed) % 11) / 10);
    for (let n = 0; n < N; n++) {
      const i = t * N + n;
      out[i] = amp * (0.6 * Math.sin(0.05 * (seed + 3) * n) + 0.3 * Math.sin(0.31 * n + t)) + 0.002 * noise[i];
    }
  }
  return out;
}
