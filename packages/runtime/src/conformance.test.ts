/**
 * The ONNX backend node tests (../shared/testdata/onnx-node, 1802 cases, and the 16 opset-10/13 quantization cases)
 * through Session. Gate: every case of a supported op passes (floats within rtol 1e-3 / atol 1e-5, everything else
 * exactly), unless listed in CONFORMANCE_EXCLUSIONS with a reason; every op issue 4 requires is supported.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { defaultBuiltins } from './builtins.js';
import { compareTensors } from './test-support/conformance/compare.js';
import { AWAITING_KERNELS, CONFORMANCE_EXCLUSIONS, REQUIRED_OPS } from './test-support/conformance/exclusions.js';
import { caseOp, formatTally, listCases, runCase, tally, type CaseResult } from './test-support/conformance/runner.js';
import { testdataPath } from '@lowbit/testing';

const registry = createReferenceRegistry();
const builtins = defaultBuiltins();
const supported = (op: string): boolean => builtins.has(op) || registry.keys().some((k) => k.startsWith(`${op}:`));

function runAll(folder: string): CaseResult[] {
  const root = testdataPath(folder);
  return listCases(root).map((n) => runCase(root, n, registry));
}

describe('ONNX backend node tests', () => {
  const results = [...runAll('onnx-node'), ...runAll('onnx-node-v1.13-quant').map((r) => ({ ...r, name: `v1.13/${r.name}` }))];
  const byOp = tally(results);
  const known = new Set(results.filter((r) => r.nodeOps.length === 1).map((r) => r.nodeOps[0]));
  const opOf = (r: CaseResult) => caseOp(r.name.replace(/^v1\.13\//, ''), r.nodeOps, known);

  it('prints the per-op tally (passed/present) and finds all cases', () => {
    console.log(formatTally(byOp));
    expect(results.length).toBe(1802 + 16);
  });

  it('every case of a supported op passes, except listed exclusions', () => {
    const bad = results.filter((r) => r.status === 'fail' && supported(opOf(r)) && !CONFORMANCE_EXCLUSIONS.has(r.name));
    expect(bad.map((r) => `${r.name} [${opOf(r)}]: ${r.message}`)).toEqual([]);
  });

  it('every op issue 4 requires is supported (or awaiting its kernel) and passes all its cases, except listed exclusions', () => {
    const missing = REQUIRED_OPS.filter((op) => !supported(op));
    if (missing.length) console.log(`required ops still awaiting kernels: ${missing.join(', ')}`);
    const gated = (op: string) => REQUIRED_OPS.includes(op) && (supported(op) || !AWAITING_KERNELS.has(op));
    const notPassing = results.filter((r) => gated(opOf(r)) && r.status !== 'pass' && !CONFORMANCE_EXCLUSIONS.has(r.name));
    expect(missing.filter((op) => !AWAITING_KERNELS.has(op))).toEqual([]);
    expect(notPassing.map((r) => `${r.name} [${opOf(r)}] ${r.status}: ${r.message}`)).toEqual([]);
  });

  it('every required op has cases present, and every exclusion names a present, non-passing case', () => {
    expect(REQUIRED_OPS.filter((op) => !byOp.has(op))).toEqual([]);
    const byName = new Map(results.map((r) => [r.name, r]));
    const stale = [...CONFORMANCE_EXCLUSIONS.keys()].filter((n) => !byName.has(n) || byName.get(n)!.status === 'pass');
    expect(stale).toEqual([]);
  });
});

describe('conformance comparator', () => {
  const arr = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 }), { minLength: 1, maxLength: 32 });
  it('property: a value moved by more than atol + rtol*|expected| is a mismatch; within half of it is a match', () => {
    fc.assert(fc.property(arr, fc.nat(), (xs, k) => {
      const i = k % xs.length;
      const expected = new Tensor('float64', xs);
      const bound = 1e-5 + 1e-3 * Math.abs(xs[i]);
      const far = Float64Array.from(xs);
      far[i] += 2 * bound;
      const near = Float64Array.from(xs);
      near[i] += bound / 2;
      expect(compareTensors(new Tensor('float64', far), expected)).toMatch(new RegExp(`element ${i}`));
      expect(compareTensors(new Tensor('float64', near), expected)).toBeUndefined();
    }));
  });

  it('integers, dtype and dims compare exactly', () => {
    expect(compareTensors(new Tensor('int32', [1, 2]), new Tensor('int32', [1, 3]))).toMatch(/element 1: 2, expected 3/);
    expect(compareTensors(new Tensor('int32', [1, 2]), new Tensor('int64', [1n, 2n]))).toMatch(/dtype int32, expected int64/);
    expect(compareTensors(new Tensor('float32', [1, 2], [2]), new Tensor('float32', [1, 2], [1, 2]))).toMatch(/dims \[2\], expected \[1, 2\]/);
    expect(compareTensors(new Tensor('float32', [NaN]), new Tensor('float32', [NaN]))).toBeUndefined();
    expect(compareTensors(new Tensor('float32', [Infinity]), new Tensor('float32', [-Infinity]))).toMatch(/element 0/);
  });
});
