import { describe, expect, it } from 'vitest';
import { entropy, entropyPresets } from './entropy.js';
import { windowKL } from './kl-threshold.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('windowKL', () => {
  // Counts h = [4, 2, 0, 1], L = 2 levels, no smoothing.
  const h = Float64Array.from([4, 2, 0, 1]);

  it('window [0, 2): outliers folded into the last bin', () => {
    // P = [4, 2 + 0 + 1] = [4, 3] (sum 7). Q from clipped [4, 2], groups of 1 -> [4, 2] (sum 6).
    // KL = 4/7 ln((4/7)/(4/6)) + 3/7 ln((3/7)/(2/6)) = 4/7 ln(6/7) + 3/7 ln(9/7) ≈ 0.0196201.
    const expected = (4 / 7) * Math.log(6 / 7) + (3 / 7) * Math.log(9 / 7);
    expect(windowKL(h, 0, 2, 2, 0)).toBeCloseTo(expected, 14);
    expect(expected).toBeCloseTo(0.0196201, 6);
  });

  it('window [0, 3): the outlier bin has no clipped count, so Q is 0 where P is not', () => {
    // P = [4, 2, 0 + 1]; groups: [0,1) -> 4, [1,3) sum 2 over one non-zero bin -> Q = [4, 2, 0]; P_2 > 0 = Q_2 -> ∞.
    expect(windowKL(h, 0, 3, 2, 0)).toBe(Infinity);
  });

  it('window [0, 4): no outliers', () => {
    // P = h (sum 7). Q: groups [0,2) sum 6 over 2 non-zero bins -> 3, 3; [2,4) sum 1 over 1 -> 0, 1. Q = [3, 3, 0, 1].
    // KL = 4/7 ln(4/3) + 2/7 ln(2/3) + 1/7 ln(1) ≈ 0.0485426.
    const expected = (4 / 7) * Math.log(4 / 3) + (2 / 7) * Math.log(2 / 3);
    expect(windowKL(h, 0, 4, 2, 0)).toBeCloseTo(expected, 14);
    expect(expected).toBeCloseTo(0.0485426, 6);
  });

  it('smoothing keeps the [0, 3) candidate finite', () => {
    // eps = 0.1. P = [4, 2, 1]: no zeros, unchanged. Q = [4, 2, 0]: one zero, two non-zeros, eps1 = 0.1 * 1 / 2 = 0.05
    // -> Q = [3.95, 1.95, 0.1] (sum 6). KL = 4/7 ln((4/7)/(3.95/6)) + 2/7 ln((2/7)/(1.95/6)) + 1/7 ln((1/7)/(0.1/6)).
    const expected = (4 / 7) * Math.log(4 / 7 / (3.95 / 6)) + (2 / 7) * Math.log(2 / 7 / (1.95 / 6)) + (1 / 7) * Math.log(1 / 7 / (0.1 / 6));
    expect(windowKL(h, 0, 3, 2, 0.1)).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.18921, 5);
  });
});

describe('entropy', () => {
  it('TensorRT layout: picks the window of least divergence', () => {
    // range [-4, 4] -> |x| histogram over [0, 4], 4 bins of width 1; values 0.5 x4, 1.5 x2, 3.5 -> h = [4, 2, 0, 1].
    // Candidates i = 2, 3, 4 (windows [0, i)) have KL 0.0196, ∞, 0.0485 (see windowKL above) -> i = 2, t = edge(2) = 2.
    const spec = { bins: 4, levels: 2, smoothing: 0, range: { min: [-4], max: [4] } };
    const s = entropy.observe(entropy.init(spec), t([0.5, -0.5, 0.5, 0.5, 1.5, -1.5, -3.5]));
    expect(entropy.computeRange(s)).toEqual({ axis: null, min: [-2], max: [2] });
  });

  it("onnxruntime's 128/128 signed setting has a single candidate: the full histogram", () => {
    // bins 128, z = 64, i runs from floor(128 / 2) = 64 to 64: the window [0, min(129, 128)) = everything,
    // so the range is [edge(0), edge(128)] = [-amax, amax] with amax = max(|-1|, |3|) = 3.
    const spec = { ...entropyPresets.onnxruntime, range: { min: [-1], max: [3] } };
    const s = entropy.observe(entropy.init(spec), t([-1, 0.25, 0.5, 0.5, 3]));
    expect(entropy.computeRange(s)).toEqual({ axis: null, min: [-3], max: [3] });
  });

  it('defaults to TensorRT (2048 bins, 128 levels, |x|)', () => {
    const s = entropy.init({ range: { min: [-1], max: [1] } });
    expect([s.spec.bins, s.spec.levels, s.spec.histogram, s.spec.smoothing]).toEqual([2048, 128, 'abs', 0.0001]);
    expect(() => entropy.init({ bins: 64, range: { min: [-1], max: [1] } })).toThrow(/at least 128/);
  });

  it('clips a heavy tail of a dense distribution (TensorRT defaults), as an independent numpy/scipy evaluation does', () => {
    // 20000 values: 19980 spread evenly over [0, 1) and 20 spread over [1, 100). The |x| histogram over [0, 100]
    // has 2048 bins of width 100/2048. Reference: packages/calibrators/reference/entropy_heavy_tail.py (numpy
    // histogram + scipy.stats.entropy over the same recipe) finds the least divergence at i = 1339 (KL ≈ 3.82e-4),
    // so t = 1339 * 100 / 2048 = 65.380859375: the sparse tail above it is clipped.
    const vals: number[] = [];
    for (let i = 0; i < 19980; i++) vals.push(i / 19980);
    for (let i = 0; i < 20; i++) vals.push(1 + (99 * i) / 20);
    const s = entropy.observe(entropy.init({ range: { min: [0], max: [100] } }), t(vals));
    expect(entropy.computeRange(s)).toEqual({ axis: null, min: [-65.380859375], max: [65.380859375] });
  });
});

describe('entropy flattenZeroBin', () => {
  it('searches as if bin 0 held as many values as bin 1', () => {
    // 4 bins over [0, 4]: 100 values in bin 0 (a ReLU spike), 2 in bin 1, 1 in bin 3. Flattened, bin 0 holds 2,
    // which is exactly the histogram of [0.1 x2, 1.5 x2, 3.5] without flattening.
    const base = { bins: 4, levels: 2, smoothing: 0, range: { min: [0], max: [4] } };
    const spike = entropy.observe(entropy.init({ ...base, flattenZeroBin: true }), t([...Array(100).fill(0.1), 1.5, 1.5, 3.5]));
    const plain = entropy.observe(entropy.init(base), t([0.1, 0.1, 1.5, 1.5, 3.5]));
    expect(entropy.computeRange(spike)).toEqual(entropy.computeRange(plain));
    // And it matters: without flattening the spike changes the answer. By hand (windowKL, L = 2, no smoothing):
    // h = [100, 2, 0, 1]: i = 2: P = [100, 3], Q = [100, 2] -> 100/103 ln((100/103)/(100/102)) + 3/103 ln((3/103)/(2/102)) ≈ 0.00205;
    // i = 3: ∞ (outlier bin empty); i = 4: Q = [51, 51, 0, 1] -> 100/103 ln((100/103)/(51/103)) + 2/103 ln((2/103)/(51/103)) ≈ 0.5908.
    // So t = edge(2) = 2. Flattened h = [2, 2, 0, 1]: i = 2: P = [2, 3], Q = [2, 2] -> 2/5 ln((2/5)/(2/4)) + 3/5 ln((3/5)/(2/4)) ≈ 0.0201;
    // i = 4: Q = [2, 2, 0, 1] = P -> 0. So t = edge(4) = 4.
    const unflattened = entropy.observe(entropy.init(base), t([...Array(100).fill(0.1), 1.5, 1.5, 3.5]));
    expect(entropy.computeRange(unflattened).max).toEqual([2]);
    expect(entropy.computeRange(spike).max).toEqual([4]);
  });
});
