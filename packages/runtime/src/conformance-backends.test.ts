/**
 * The conformance runner takes what it runs on (a ConformanceTarget), so every backend runs the same ONNX node cases:
 * here the Neg and Relu cases on the reference, on a backend given as loaded KernelBackends, on a registry plus its
 * ISAs, capped by `isa`; and a wrong backend variant makes the cases fail. Then every optimized backend that loads on
 * this machine runs all the ONNX node cases and must pass each case the reference passes.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry, type Tensor as T } from '@lowbit/kernels';
import { testdataPath } from '@lowbit/testing';
import { loadBackends } from './backend.js';
import { listCases, runCase, type ConformanceTarget } from './test-support/conformance/runner.js';
import { counter, countingNeg, fakeBackend } from './test-support/fake-backend.js';

const root = testdataPath('onnx-node');
const names = listCases(root).filter((n) => /^test_(neg|relu)(_|$)/.test(n));
const statuses = (target?: ConformanceTarget) => names.map((n) => `${n}: ${runCase(root, n, target).status}`);
const allPass = names.map((n) => `${n}: pass`);

describe('conformance on a chosen backend', () => {
  it('finds the cases', () => {
    expect(names).toEqual(expect.arrayContaining(['test_neg', 'test_neg_example', 'test_relu']));
  });

  it('the reference (default) passes them', () => {
    expect(statuses()).toEqual(allPass);
  });

  it('loaded backends run the same cases with their variants', () => {
    const c = counter();
    expect(statuses({ backends: [fakeBackend({ isas: ['avx2'], variants: [countingNeg(c, 'avx2')] })] })).toEqual(allPass);
    expect(c.runs).toBe(names.filter((n) => n.startsWith('test_neg')).length);
  });

  it('a registry plus the ISAs it may use, capped by isa', () => {
    const c = counter();
    const registry = createReferenceRegistry().register(countingNeg(c, 'avx512-vnni'));
    expect(statuses({ registry })).toEqual(allPass);
    expect(c.runs).toBe(0); // avx512-vnni is not available without `available`
    expect(statuses({ registry, available: ['avx512-vnni'], isa: 'avx2' })).toEqual(allPass);
    expect(c.runs).toBe(0); // capped below it
    expect(statuses({ registry, available: ['avx512-vnni'] })).toEqual(allPass);
    expect(c.runs).toBeGreaterThan(0);
  });

  it('a wrong variant fails the cases it runs', () => {
    const wrong = { ...countingNeg(counter(), 'avx2'), create: () => ({ run: ([x]: readonly (T | null)[]) => [x] }) };
    const got = statuses({ backends: [fakeBackend({ variants: [wrong] })] });
    expect(got.filter((s) => s.startsWith('test_neg'))).toEqual(names.filter((n) => n.startsWith('test_neg')).map((n) => `${n}: fail`));
    expect(got.filter((s) => s.startsWith('test_relu'))).toEqual(names.filter((n) => n.startsWith('test_relu')).map((n) => `${n}: pass`));
  });
});

describe('the optimized backends that load here', () => {
  it('pass every ONNX node case the reference passes (each backend not ready says why)', async () => {
    const backends = await loadBackends('auto');
    try {
      for (const b of backends.filter((x) => !x.ready)) {
        console.log(`conformance: backend ${b.name} not ready here: ${b.diagnostics.join('; ')}`);
        expect(b.diagnostics.length).toBeGreaterThan(0);
      }
      const ready = backends.filter((x) => x.ready);
      if (ready.length === 0) return;
      const all = listCases(root);
      const registry = createReferenceRegistry();
      const passing = all.filter((n) => runCase(root, n, { registry }).status === 'pass');
      for (const b of ready) {
        const broken = passing.map((n) => [n, runCase(root, n, { backends: [b] })] as const).filter(([, r]) => r.status !== 'pass');
        console.log(`conformance: backend ${b.name} (${b.isas.join(', ')}): ${passing.length - broken.length}/${passing.length} reference-passing cases pass`);
        expect(broken.map(([n, r]) => `${b.name} ${n}: ${r.status} ${r.message ?? ''}`)).toEqual([]);
      }
    } finally {
      for (const b of backends) b.dispose?.();
    }
  }, 600_000);
});
