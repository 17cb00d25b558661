/** BatchNormalization:f32 (inference) and GlobalAveragePool:f32 on wasm against the reference, bit-exact. */
import { describe, it } from 'vitest';
import { assertEquivalent } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });

describe('normalisation and pooling on wasm', () => {
  it('BatchNormalization (inference), 4-D and 2-D inputs', () => {
    assertEquivalent({
      registry,
      key: 'BatchNormalization:f32',
      build: (n, v) => {
        const C = 3;
        const vr = v.tensor('float32', [C]);
        (vr.data as Float32Array).forEach((x, i, a) => (a[i] = Math.abs(x)));
        return { node: mkNode('BatchNormalization', ['float32', 'float32', 'float32', 'float32', 'float32'], { epsilon: 1e-3 }, 15), inputs: [v.tensor('float32', [2, C, n, 3]), v.tensor('float32', [C]), v.tensor('float32', [C]), v.tensor('float32', [C]), vr] };
      },
      numRuns: 40,
    });
    assertEquivalent({
      registry,
      key: 'BatchNormalization:f32',
      build: (n, v) => ({ node: mkNode('BatchNormalization', ['float32', 'float32', 'float32', 'float32', 'float32'], {}, 9), inputs: [v.tensor('float32', [n, 5]), ...[0, 1, 2, 3].map(() => v.tensor('float32', [5]))] }),
      numRuns: 20,
    });
  });

  it('GlobalAveragePool over 2-D and 1-D planes (row counts around the 4-row blocks)', () => {
    assertEquivalent({ registry, key: 'GlobalAveragePool:f32', build: (n, v) => ({ node: mkNode('GlobalAveragePool', ['float32']), inputs: [v.tensor('float32', [2, 3, n + 1, 5])] }), numRuns: 40 });
    assertEquivalent({ registry, key: 'GlobalAveragePool:f32', build: (n, v) => ({ node: mkNode('GlobalAveragePool', ['float32']), inputs: [v.tensor('float32', [1, 4, n])] }), numRuns: 20 });
    assertEquivalent({ registry, key: 'GlobalAveragePool:f32', build: (n, v) => ({ node: mkNode('GlobalAveragePool', ['float32']), inputs: [v.tensor('float32', [1, n + 1, 7, 3])] }), numRuns: 20 });
  });
});
