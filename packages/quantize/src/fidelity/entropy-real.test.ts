/**
 * Entropy calibration on a real model (mnist-8, 8 training images) is a real search: every calibrated activation's
 * KL search has many candidate windows (onnxruntime's 128-bin preset has one, which is why its entropy output equalled
 * minmax), and the quantized model's activation scales differ from minmax's.
 */
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { entropy, entropyCandidates } from '@lowbit/calibrators';
import { tensorValuesSync } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { calibrateStatic } from '../calibrate-static.js';
import { quantizeStatic } from '../quantize-static.js';
import { decodeStatistics } from '../statistics-file.js';
import { calibrationFeeds } from '../test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const data = calibrationFeeds(8);

/** The scale of each activation QuantizeLinear, by the tensor it quantizes. */
function activationScales(m: Model): Map<string, number> {
  const init = new Map(m.graph.initializers.map((t) => [t.name, t]));
  const out = new Map<string, number>();
  for (const n of m.graph.nodes) {
    if (n.opType !== 'QuantizeLinear' || init.has(n.inputs[0]!)) continue;
    out.set(n.inputs[0]!, (tensorValuesSync(init.get(n.inputs[1]!)!).data as Float32Array)[0]);
  }
  return out;
}

describe('entropy calibration on mnist-8', () => {
  it('searches among many candidates per tensor and gives scales that differ from minmax', async () => {
    const f = decodeStatistics(await calibrateStatic(MNIST, data, { calibrationMethod: 'entropy' }));
    const counts = [...f.states].filter(([k]) => !k.includes('#')).map(([k, b]) => [k, entropyCandidates(entropy.decode(b)).length] as const);
    expect(counts.length).toBeGreaterThan(3);
    const mm = activationScales(await quantizeStatic(MNIST, null, data));
    const en = activationScales(await quantizeStatic(MNIST, null, data, { calibrationMethod: 'entropy' }));
    const differing = [...mm].filter(([k, s]) => en.get(k) !== s).map(([k, s]) => `${k} ${s.toPrecision(4)} -> ${en.get(k)?.toPrecision(4)}`);
    console.log(`entropy on mnist-8: KL candidates per tensor ${counts.map(([k, c]) => `${k}:${c}`).join(' ')}; scales differing from minmax ${differing.length}/${mm.size}: ${differing.join('; ')}`);
    for (const [, c] of counts) expect(c).toBeGreaterThan(100);
    expect(differing.length).toBeGreaterThanOrEqual(mm.size / 2);
  });
});
