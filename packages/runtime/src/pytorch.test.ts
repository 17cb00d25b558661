/**
 * The onnx-pytorch cases (PyTorch layer/operator exports with PyTorch-computed outputs, same layout as the ONNX node
 * tests) through Session: every case passes, except the ones whose op the runtime does not support, which must be
 * rejected at Session.create (listed here with the op).
 */
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '@lowbit/kernels';
import { listCases, runCase } from './test-support/conformance/runner.js';
import { testdataPath } from '@lowbit/testing';

/**
 * Cases whose op had no kernel when written: Gradient (training-only preview domain) and StringNormalizer (string
 * processing). While the op has no kernel the case must be rejected at create; once it has one, it must pass.
 */
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['simple/test_gradient_of_add', 'Gradient'],
  ['simple/test_gradient_of_add_and_mul', 'Gradient'],
  ...['monday_casesensintive_lower', 'monday_casesensintive_nochangecase', 'monday_casesensintive_upper', 'monday_empty_output',
    'monday_insensintive_upper_twodim', 'nostopwords_nochangecase'].map((s) => [`simple/test_strnorm_model_${s}`, 'StringNormalizer'] as [string, string]),
]);

describe('onnx-pytorch cases', () => {
  const registry = createReferenceRegistry();
  for (const folder of ['converted', 'operator', 'simple']) {
    it(`${folder}: all cases pass, unsupported ops are rejected at create`, () => {
      const root = testdataPath('onnx-pytorch', folder);
      const results = listCases(root).map((n) => ({ ...runCase(root, n, registry), key: `${folder}/${n}` }));
      expect(results.length).toBeGreaterThan(0);
      const bad = results.filter((r) => {
        const op = UNSUPPORTED.get(r.key);
        // Once a kernel for the op is registered, its cases are gated like any other.
        if (op && !registry.keys().some((k) => k.startsWith(`${op}:`))) return !(r.status === 'rejected' && r.message?.includes(`(${op})`));
        return r.status !== 'pass';
      });
      expect(bad.map((r) => `${r.key} ${r.status}: ${r.message}`)).toEqual([]);
    });
  }
});
