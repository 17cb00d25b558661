/**
 * Ops against onnxruntime-node on configurations the ONNX node tests sample only sparsely: Resize over the grid of
 * modes x coordinate transforms x nearest modes (scales and sizes, antialias, exclude_outside), Einsum equations,
 * reductions with negative axes, Softmax by opset, TopK with ties, GatherND with batch dims, Pad with axes, CumSum
 * flags and Cast. Inputs are deterministic pseudo-random; floats agree within rtol 1e-4 / atol 1e-5, the rest
 * exactly.
 */
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { Tensor, type DType } from '../tensor.js';
import { mismatchVsOrt, type OrtCase } from '../test-support/vs-ort.js';
import { OPS_KERNELS } from './index.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

function rand(seed: number, dims: number[], scale = 1): Tensor<'float32'> {
  let s = seed >>> 0;
  const n = dims.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return new Tensor('float32', out, dims);
}
const i64 = (xs: number[]) => new Tensor('int64', xs.map(BigInt));
const f32 = (xs: number[]) => new Tensor('float32', xs);

type Case = OrtCase;

const vsOrt = (c: Case): Promise<string | undefined> => mismatchVsOrt(registry, c);

async function all(cases: readonly Case[]): Promise<void> {
  const problems: string[] = [];
  for (const c of cases) {
    const m = await vsOrt(c);
    if (m) problems.push(m);
  }
  expect(problems).toEqual([]);
}

describe('ops vs onnxruntime-node', () => {
  it('Resize: modes x coordinate transforms x nearest modes, scales and sizes', async () => {
    const x = rand(1, [1, 2, 5, 7], 3);
    const cases: Case[] = [];
    const ctms = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'half_pixel_symmetric'];
    for (const mode of ['nearest', 'linear', 'cubic']) {
      for (const ctm of ctms) {
        const nearestModes = mode === 'nearest' ? ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] : ['round_prefer_floor'];
        for (const nearest_mode of nearestModes) {
          const attrs = { mode, coordinate_transformation_mode: ctm, nearest_mode };
          // align_corners with scales: onnxruntime divides by (output_size_int - 1), the ONNX reference (and its node
          // test test_resize_downsample_scales_linear_align_corners, which we pass) by (scale * input_size - 1).
          if (ctm !== 'align_corners') cases.push({ op: 'Resize', opset: 19, inputs: [x, null, f32([1, 1, 1.7, 0.55])], attrs });
          cases.push({ op: 'Resize', opset: 19, inputs: [x, null, null, i64([1, 2, 9, 4])], attrs });
        }
      }
    }
    // (tf_half_pixel_for_nearest: onnxruntime 1.30 no longer accepts it; the node tests cover it.)
    cases.push({ op: 'Resize', opset: 19, inputs: [x, null, f32([1, 1, 2.3, 1.6])], attrs: { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: -0.5 }, floatAttrs: ['cubic_coeff_a'] });
    for (const mode of ['linear', 'cubic']) {
      cases.push({ op: 'Resize', opset: 19, inputs: [x, null, f32([1, 1, 0.6, 0.45])], attrs: { mode, antialias: 1 } });
    }
    cases.push({ op: 'Resize', opset: 19, inputs: [x, null, null, i64([3, 10])], attrs: { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' } });
    await all(cases);
  });

  it('Einsum equations', async () => {
    const eqs: [string, number[][]][] = [
      ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]],
      ['...ij,...jk->...ik', [[2, 3, 4], [2, 4, 2]]],
      ['ij->ji', [[3, 4]]],
      ['i,i', [[5], [5]]],
      ['ij->', [[3, 4]]],
      ['ijk->ikj', [[2, 3, 4]]],
      ['ij,kj->ik', [[3, 4], [5, 4]]],
      ['bhqd,bhkd->bhqk', [[1, 2, 3, 4], [1, 2, 5, 4]]],
    ];
    await all(eqs.map(([equation, shapes], k) => ({ op: 'Einsum', opset: 12, inputs: shapes.map((s, i) => rand(10 * k + i, s)), attrs: { equation } })));
  });

  it('reductions with negative axes, keepdims 0 and large LogSumExp inputs', async () => {
    const x = rand(3, [2, 3, 4], 2);
    const big = rand(4, [2, 3, 4], 80);
    const ops = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp'];
    const cases: Case[] = ops.flatMap((op): Case[] => [
      { op, opset: 18, inputs: [x, i64([-1, 0])], attrs: { keepdims: 0 } },
      { op, opset: 18, inputs: [x, i64([1])] },
      { op, opset: 13, inputs: op === 'ReduceSum' ? [x, i64([-2])] : [x], attrs: op === 'ReduceSum' ? {} : { axes: [-2] } },
    ]);
    cases.push({ op: 'ReduceLogSumExp', opset: 18, inputs: [big, i64([2])] });
    cases.push({ op: 'ReduceLogSum', opset: 18, inputs: [new Tensor('float32', rand(5, [2, 3, 4]).data.map(Math.abs), [2, 3, 4]), i64([0, 2])] });
    await all(cases);
  });

  it('Softmax / LogSoftmax by opset, TopK with ties, ArgMax select_last_index', async () => {
    const x = rand(6, [2, 3, 4], 4);
    const ties = new Tensor('float32', [3, 1, 3, 2, 2, 5, 1, 5, 0, 0, 0, 0], [3, 4]);
    await all([
      { op: 'Softmax', opset: 11, inputs: [x], attrs: { axis: 1 } },
      { op: 'Softmax', opset: 13, inputs: [x], attrs: { axis: 1 } },
      { op: 'LogSoftmax', opset: 11, inputs: [x], attrs: { axis: 1 } },
      { op: 'LogSoftmax', opset: 13, inputs: [x], attrs: { axis: -1 } },
      { op: 'TopK', opset: 11, inputs: [ties, i64([3])], outputs: ['float32', 'int64'] },
      { op: 'TopK', opset: 11, inputs: [ties, i64([2])], attrs: { largest: 0, axis: 0 }, outputs: ['float32', 'int64'] },
      { op: 'ArgMax', opset: 13, inputs: [ties], attrs: { axis: 1, select_last_index: 1 }, outputs: ['int64'] },
      { op: 'ArgMin', opset: 13, inputs: [ties], attrs: { axis: 1, keepdims: 0 }, outputs: ['int64'] },
    ]);
  });

  it('GatherND with batch_dims, Pad with axes, CumSum flags, Cast to float16/int32/bool', async () => {
    const data = rand(7, [2, 3, 4]);
    const wide = new Tensor('float32', [0, 0.3, -1.7, 300, 500, -1e6, 1e-7, 448, 464, 57344, 70000, Infinity, -Infinity, NaN], [14]);
    const cases: Case[] = [
      { op: 'GatherND', opset: 13, inputs: [data, new Tensor('int64', [1n, 2n, 0n, -1n], [2, 2])], attrs: { batch_dims: 1 } },
      { op: 'Pad', opset: 18, inputs: [data, i64([1, 2, 2, 1]), null, i64([-1, 1])], attrs: { mode: 'reflect' } },
      { op: 'Pad', opset: 19, inputs: [data, i64([0, 2, 3, 0, 1, 2])], attrs: { mode: 'wrap' } },
      { op: 'CumSum', opset: 14, inputs: [data, new Tensor('int64', [1n], [])], attrs: { exclusive: 1, reverse: 1 } },
    ];
    // onnxruntime-node cannot return float8 tensors (the node tests cover those casts); float16, int32 and bool here.
    const finite = new Tensor('float32', wide.data.filter((v) => Number.isFinite(v) && Math.abs(v) < 1e5));
    cases.push({ op: 'Cast', opset: 19, inputs: [wide], attrs: { to: 10 }, outputs: ['float16'] });
    cases.push({ op: 'Cast', opset: 19, inputs: [finite], attrs: { to: 6 }, outputs: ['int32'] });
    cases.push({ op: 'Cast', opset: 19, inputs: [wide], attrs: { to: 9 }, outputs: ['bool'] });
    await all(cases);
  });
});
