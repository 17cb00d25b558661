/**
 * The two owners of the broadcast law agree: onnx-ir's static `broadcastShapes` (what the plan infers at session
 * creation) and the kernels' run-time `broadcastShapes` (kernels may not import onnx-ir) give the same dims for every
 * pair of concrete shapes, and reject the same pairs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes as staticBroadcast, ShapeConflict } from '@lowbit/onnx-ir';
import { broadcastShapes as runtimeBroadcast } from '@lowbit/kernels';

const NODE = { name: 'b', opType: 'Add' };
const outcome = (f: () => readonly unknown[]): { dims?: readonly unknown[]; error?: string } => {
  try { return { dims: f() }; } catch (e) { return { error: e instanceof ShapeConflict ? 'conflict' : (e as Error).name }; }
};

describe('static and run-time broadcasting agree', () => {
  it('on every pair (and triple) of concrete shapes', () => {
    const shape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });
    fc.assert(fc.property(fc.array(shape, { minLength: 1, maxLength: 3 }), (shapes) => {
      const s = outcome(() => staticBroadcast(shapes));
      const r = outcome(() => runtimeBroadcast(NODE, shapes));
      if (s.dims) expect(r.dims).toEqual(s.dims);
      else {
        expect(s.error).toBe('conflict');
        expect(r.dims).toBeUndefined();
      }
    }), { numRuns: 500 });
  });
});
