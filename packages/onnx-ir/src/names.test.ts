import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbGraph } from '@lowbit/testing';
import { NameAllocator, collectNames } from './names.js';

describe('NameAllocator', () => {
  it('hands out the prefix, then prefix_1, prefix_2, skipping taken names', () => {
    const a = new NameAllocator(['x', 'x_2']);
    expect([a.fresh('x'), a.fresh('x'), a.fresh('x'), a.fresh('y')]).toEqual(['x_1', 'x_3', 'x_4', 'y']);
    a.reserve('z');
    expect(a.fresh('z')).toBe('z_1');
    expect(a.has('x_4')).toBe(true);
    expect(a.fresh('')).toBe('v');
  });

  it('property: never returns a name present in the graph (incl. subgraphs) or returned before', () => {
    fc.assert(fc.property(arbGraph({ withSubgraphs: true }), fc.array(fc.constantFrom('v0', 'x0', 'n0', 'v1_t0', 'w0', 'q'), { maxLength: 30 }), (g, prefixes) => {
      const taken = collectNames(g, new Set());
      const a = NameAllocator.forGraph(g);
      const seen = new Set<string>();
      for (const p of prefixes) {
        const n = a.fresh(p);
        expect(taken.has(n)).toBe(false);
        expect(seen.has(n)).toBe(false);
        expect(n.startsWith(p)).toBe(true);
        seen.add(n);
      }
    }));
  });
});
