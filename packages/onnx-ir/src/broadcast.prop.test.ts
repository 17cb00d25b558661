/**
 * The broadcast law (ONNX multidirectional broadcasting) for onnx-ir's `broadcastShapes`, against an independent
 * per-axis statement of it: right-align, a missing axis is 1, the dims other than 1 at an axis must all be equal
 * (that dim is the result), all 1 gives 1. Plus commutativity, associativity, and a ShapeConflict naming the input
 * for every incompatible pair. Symbols (dim_params) and unknown dims get the hand-checked cases at the end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes, ShapeConflict, type Shape } from './broadcast.js';

/** The law, axis by axis; undefined when the shapes do not broadcast. */
function lawResult(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = new Set(shapes.map((s) => (i - (rank - s.length) >= 0 ? s[i - (rank - s.length)] : 1)).filter((d) => d !== 1));
    if (dims.size > 1) return undefined;
    out.push(dims.size === 0 ? 1 : [...dims][0]);
  }
  return out;
}

/** A target shape and 1..4 shapes that broadcast to (a shape compatible with) it: suffixes with some dims set to 1. */
const compatible = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 5 }).chain((target) =>
  fc.array(
    fc.tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
      .map(([drop, ones]) => target.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d))),
    { minLength: 1, maxLength: 4 },
  ).map((shapes) => ({ target, shapes })));

const anyShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

describe('broadcastShapes: the broadcast law', () => {
  it('compatible shapes: rank is the largest rank, each dim is the non-1 dim of its axis (or 1)', () => {
    fc.assert(fc.property(compatible, ({ target, shapes }) => {
      const r = broadcastShapes(shapes);
      expect(r).toEqual(lawResult(shapes));
      expect(r.length).toBe(Math.max(0, ...shapes.map((s) => s.length)));
      // Every result dim is the target's or 1 (an axis where all inputs had 1).
      r.forEach((d, i) => expect([1, target[target.length - r.length + i]]).toContain(d));
    }));
  });

  it('any two shapes: the law decides, and an incompatible pair is a ShapeConflict naming an input', () => {
    fc.assert(fc.property(anyShape, anyShape, (a, b) => {
      const expected = lawResult([a, b]);
      if (expected) {
        expect(broadcastShapes([a, b])).toEqual(expected);
        return;
      }
      let err: unknown;
      try { broadcastShapes([a, b]); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ShapeConflict);
      expect([0, 1]).toContain((err as ShapeConflict).inputIndex);
      expect((err as Error).message).toMatch(/cannot broadcast dimension \d+ \(input\[[01]\]\) against \d+/);
    }), { numRuns: 300 });
  });

  it('is commutative (any order of the inputs) and associative', () => {
    fc.assert(fc.property(compatible, ({ shapes }) => {
      const r = broadcastShapes(shapes);
      expect(broadcastShapes([...shapes].reverse())).toEqual(r);
      if (shapes.length >= 2) {
        const [a, b, ...rest] = shapes;
        expect(broadcastShapes([broadcastShapes([a, b]), ...rest])).toEqual(r);
        expect(broadcastShapes([b, a, ...rest])).toEqual(r);
      }
    }));
  });

  it('an incompatible axis anywhere is a conflict, whatever the order', () => {
    fc.assert(fc.property(compatible, fc.nat(), fc.integer({ min: 2, max: 5 }), ({ shapes }, pick, bump) => {
      const withAxis = shapes.filter((s) => s.some((d) => d >= 2));
      fc.pre(withAxis.length > 0);
      const s = withAxis[pick % withAxis.length];
      const j = s.findIndex((d) => d >= 2);
      const other = s.slice(j).map((d, i) => (i === 0 ? d + bump : 1)); // same axis, a different dim (>= 2)
      expect(() => broadcastShapes([...shapes, other])).toThrow(ShapeConflict);
      expect(() => broadcastShapes([other, ...shapes])).toThrow(ShapeConflict);
    }));
  });
});

describe('broadcastShapes: symbols and unknown dims', () => {
  it('1 stretches, a symbol passes through, a known dim wins over a symbol or unknown, two symbols give unknown', () => {
    const b = (...s: Shape[]) => broadcastShapes(s);
    expect(b([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(b(['N', 3], [1, 3])).toEqual(['N', 3]);
    expect(b(['N', 3], ['N', 1])).toEqual(['N', 3]);
    expect(b(['N'], [5])).toEqual([5]);
    expect(b(['N'], ['M'])).toEqual([null]);
    expect(b([2, null, 4], [])).toEqual([2, null, 4]);
    expect(b([null], [5])).toEqual([5]);
    expect(b([0], [1])).toEqual([0]);
    expect(b()).toEqual([]);
    expect(() => b([2, 3], [4, 3])).toThrow(ShapeConflict);
    expect(() => b(['N', 2], [3])).toThrow(/cannot broadcast dimension 3 \(input\[1\]\) against 2/);
  });
});
