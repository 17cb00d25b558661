/**
 * `Session.recycle`: results handed back are reused by the next runs (no new allocation), results stay bit-identical
 * to a session that never recycles, and tensors the session did not hand out are ignored. mnist-8 on the MNIST test
 * images (real model, real inputs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { readMnist, testdataPath } from '@lowbit/testing';
import { Session } from './session.js';
import { TensorSequence } from './values.js';

const model = testdataPath('models', 'mnist-8.onnx');
const { images } = readMnist('test');
const feed = (k: number) => ({ Input3: new Tensor('float32', images[k]!, [1, 1, 28, 28]) });

describe('Session.recycle', () => {
  it('gives outputs back to the pool: the next runs allocate nothing new, and other tensors are ignored', async () => {
    const s = await Session.create(model, { backend: 'js' });
    let prev = s.runSync(feed(0));
    s.recycle(s.runSync(feed(1)));
    const allocated = s.poolStats.allocated;
    for (let k = 2; k < 12; k++) {
      expect(s.recycle(prev)).toBe(1);
      prev = s.runSync(feed(k));
    }
    // Every run's output came back to the pool: after the warm-up no run allocated.
    expect(s.poolStats.allocated).toBe(allocated);
    const out = prev.Plus214_Output_0!;
    expect(s.recycle([out])).toBe(1);
    expect(s.recycle([out])).toBe(0); // given back already
    const f = feed(3);
    expect(s.recycle([f.Input3, new Tensor('float32', new Float32Array(10), [1, 10]), new TensorSequence('float32', [])])).toBe(0);
    const other = await Session.create(model, { backend: 'js' });
    expect(s.recycle(other.runSync(feed(4)))).toBe(0); // another session's result
    await s.release();
    expect(s.recycle(other.runSync(feed(5)))).toBe(0);
  });

  it('recycling changes no result (property: any image sequence, bit-identical to a session that never recycles)', async () => {
    const recycling = await Session.create(model, { backend: 'js' });
    const plain = await Session.create(model, { backend: 'js' });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: images.length - 1 }), { minLength: 1, maxLength: 6 }), async (ks) => {
        let prev: Record<string, Tensor> | undefined;
        for (const k of ks) {
          if (prev) recycling.recycle(prev);
          const got = recycling.runSync(feed(k)).Plus214_Output_0!;
          const want = plain.runSync(feed(k)).Plus214_Output_0!;
          expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
          prev = { y: got };
        }
      }),
      { numRuns: 15 },
    );
  });
});
