/**
 * ConvInteger and QLinearConv on wasm against the reference, bit-exact: sizes around the tile in the spatial dims and
 * channels, padding (which holds the input zero point), strides, dilations, groups and depthwise, per-channel weight
 * zero points and scales, int32 bias, all type combinations.
 */
import { describe, it } from 'vitest';
import { Tensor, type AttrValue } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });
const SHORT = { uint8: 'u8', int8: 'i8' } as const;
const Q8 = ['uint8', 'int8'] as const;

const GEOMETRIES: { name: string; attrs: Record<string, AttrValue>; C: number; M: number; k: [number, number]; group: number }[] = [
  { name: '3x3 pad 1', attrs: { pads: [1, 1, 1, 1] }, C: 3, M: 5, k: [3, 3], group: 1 },
  { name: '2x3 stride 2 dilation (2,1), asymmetric pads', attrs: { pads: [1, 0, 0, 2], strides: [2, 2], dilations: [2, 1] }, C: 2, M: 9, k: [2, 3], group: 1 },
  { name: 'group 2', attrs: { group: 2, pads: [0, 1, 0, 1] }, C: 4, M: 6, k: [1, 3], group: 2 },
  { name: 'depthwise 3x3 SAME_UPPER', attrs: { group: 3, auto_pad: 'SAME_UPPER' }, C: 3, M: 3, k: [3, 3], group: 3 },
];

describe('integer convolution on wasm', () => {
  for (const tx of Q8) for (const tw of Q8) {
    it(`ConvInteger:${SHORT[tx]}x${SHORT[tw]}->i32 over ${GEOMETRIES.length} geometries`, () => {
      for (const geo of GEOMETRIES) {
        assertEquivalent({
          registry,
          key: `ConvInteger:${SHORT[tx]}x${SHORT[tw]}->i32`,
          build: (n: number, v: ValueSource) => {
            const w = v.tensor(tw, [geo.M, geo.C / geo.group, ...geo.k]);
            const node = mkNode('ConvInteger', [tx, tw, tx, tw], geo.attrs, 10, new Map([[1, w]]));
            return { node, inputs: [v.tensor(tx, [n === 0 ? 1 : 2, geo.C, n + 2, 5]), w, v.tensor(tx, []), v.tensor(tw, [geo.M])] };
          },
          numRuns: 8,
        });
      }
    });
    for (const ty of Q8) {
      it(`QLinearConv:${SHORT[tx]}x${SHORT[tw]}->${SHORT[ty]} with bias and per-channel scales`, () => {
        for (const geo of GEOMETRIES.slice(0, 3)) {
          assertEquivalent({
            registry,
            key: `QLinearConv:${SHORT[tx]}x${SHORT[tw]}->${SHORT[ty]}`,
            build: (n: number, v: ValueSource) => {
              const w = v.tensor(tw, [geo.M, geo.C / geo.group, ...geo.k]);
              const ws = new Tensor('float32', Float32Array.from({ length: geo.M }, (_, m) => 0.002 + 0.001 * m), [geo.M]);
              const bias = new Tensor('int32', Int32Array.from({ length: geo.M }, (_, m) => (m * 997) % 4001 - 2000), [geo.M]);
              const node = mkNode('QLinearConv', [tx, 'float32', tx, tw, 'float32', tw, 'float32', ty, 'int32'], geo.attrs, 10, new Map([[3, w]]));
              return { node, inputs: [v.tensor(tx, [1, geo.C, n + 2, 4]), new Tensor('float32', [0.05], []), v.tensor(tx, []), w, ws, v.tensor(tw, [geo.M]), new Tensor('float32', [0.2], []), v.tensor(ty, []), bias] };
            },
            numRuns: 6,
          });
        }
      });
    }
  }
});
