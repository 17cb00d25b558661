/** layerSensitivity on the mel front end: the layers feeding Log are the most sensitive ones, by a wide margin. */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/runtime';
import { layerSensitivity } from '../sensitivity.js';
import { MEL_T, melFrames, melFrontEnd } from '../test-support/mel-frontend.js';

describe('layerSensitivity', () => {
  it('one layer quantized at a time: the DFT and mel MatMuls (feeding Log) rank lowest; the Convs are harmless', async () => {
    const data = () => [1, 2, 3, 4].map((s) => ({ frames: new Tensor('float32', melFrames(s), [MEL_T, 256]) }));
    const seen: number[] = [];
    const r = await layerSensitivity(melFrontEnd(), data, { perChannel: true, onLayer: (d) => seen.push(d) });
    console.log(r.map((l) => `${l.node} (${l.opType}): ${l.sqnrDb.toFixed(2)} dB`).join('; '));
    expect(r.map((l) => l.node)).toEqual(['spec', 'melspec', 'conv1', 'features']);
    expect(seen).toEqual([1, 2, 3, 4]);
    const db = Object.fromEntries(r.map((l) => [l.node, l.sqnrDb]));
    expect(Math.max(db.spec, db.melspec)).toBeLessThan(Math.min(db.conv1, db.features) - 10);
    for (const l of r) expect(Number.isNaN(l.sqnrDb)).toBe(false);
  }, 120_000);
});
