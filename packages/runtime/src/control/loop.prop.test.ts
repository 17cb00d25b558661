import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '@lowbit/kernels';
import { Session } from '../session.js';
import { attr, BOOL, graph, I64, model, node, vi } from '../test-support/graph-builder.js';

// Loop law: with body (acc' = acc * a + i, cond' = i < stop, scan = acc'), the node outputs equal the plain JS loop
//   for (i = 0; i < M && cond; i++) { acc = fround(fround(acc * a) + i); scans.push(acc); cond = i < stop }.
const body = graph({
  inputs: [vi('i', I64, []), vi('cond_in', BOOL, []), vi('acc', 1, [])],
  outputs: [vi('cond_out', BOOL, []), vi('acc_out', 1, []), vi('scan', 1, [])],
  nodes: [
    node('Mul', ['acc', 'a'], ['m']),
    node('Cast', ['i'], ['i_f'], [attr.int('to', 1)]),
    node('Add', ['m', 'i_f'], ['acc_out']),
    node('Identity', ['acc_out'], ['scan']),
    node('Less', ['i', 'stop'], ['cond_out']),
  ],
});
const loopModel = model(graph({
  inputs: [vi('M', I64, []), vi('c', BOOL, []), vi('acc0', 1, []), vi('a', 1, []), vi('stop', I64, [])],
  outputs: [vi('acc'), vi('scans')],
  nodes: [node('Loop', ['M', 'c', 'acc0'], ['acc', 'scans'], [attr.graph('body', body)])],
}));

describe('Loop', () => {
  it('property: equals the plain loop for any trip count, start condition and stop', () => {
    const s = Session.fromModel(loopModel);
    fc.assert(fc.property(fc.integer({ min: 0, max: 8 }), fc.boolean(), fc.float({ noNaN: true, min: -2, max: 2 }), fc.float({ noNaN: true, min: -2, max: 2 }), fc.integer({ min: -1, max: 9 }),
      (M, c, acc0, a, stop) => {
        let acc = Math.fround(acc0);
        const scans: number[] = [];
        let cond = c;
        for (let i = 0; i < M && cond; i++) {
          acc = Math.fround(Math.fround(acc * Math.fround(a)) + i);
          scans.push(acc);
          cond = i < stop;
        }
        const out = s.runSync({
          M: new Tensor('int64', [BigInt(M)], []), c: new Tensor('bool', [c ? 1 : 0], []), acc0: new Tensor('float32', [acc0], []),
          a: new Tensor('float32', [a], []), stop: new Tensor('int64', [BigInt(stop)], []),
        });
        expect(out.acc.data[0]).toBe(acc);
        expect(out.scans.dims).toEqual([scans.length]);
        expect(Array.from(out.scans.data as Float32Array)).toEqual(scans);
      }), { numRuns: 200 });
  });
});
