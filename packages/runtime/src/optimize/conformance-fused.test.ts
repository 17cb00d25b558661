/**
 * Fused and unfused on the ONNX conformance cases: every case of ../shared/testdata/onnx-node and
 * onnx-node-v1.13-quant whose graph the 'all' pipeline changes runs at 'none' and at 'all' on its own test data; the
 * results must agree (floats within rtol 1e-5 / atol 1e-6, integers within 1 quantization step for fused QDQ, exactly
 * otherwise). The conformance suite itself (conformance.test.ts) runs sessions at the default level 'all' against the
 * expected outputs.
 */
import { describe, expect, it } from 'vitest';
import { listNodeTestCases, readTestCase, testdataPath } from '@lowbit/testing';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { tensorFromRef } from '../values.js';
import { Session } from '../session.js';
import { optimizeForSession } from './pipeline.js';

describe('conformance cases, fused vs unfused', () => {
  it('every case the optimiser changes gives the same results at none and all', () => {
    const registry = createReferenceRegistry();
    const changed: string[] = [];
    const problems: string[] = [];
    for (const folder of ['onnx-node', 'onnx-node-v1.13-quant']) {
      for (const dir of listNodeTestCases(testdataPath(folder))) {
        const tc = readTestCase(dir);
        if (!tc.supported || tc.sets.length === 0) continue;
        let opt;
        try {
          opt = optimizeForSession(tc.model, { level: 'all' });
        } catch (e) {
          problems.push(`${tc.name}: optimisation threw ${(e as Error).message}`);
          continue;
        }
        if (opt.model === tc.model) continue;
        changed.push(tc.name);
        let none: Session, all: Session;
        try {
          none = Session.fromModel(tc.model, { backend: 'js', registry, graphOptimization: 'none' });
        } catch {
          continue; // an op the runtime does not support at all: nothing to compare
        }
        all = Session.fromModel(tc.model, { backend: 'js', registry, graphOptimization: 'all' });
        for (const set of tc.sets) {
          const feeds: Record<string, Tensor> = {};
          for (const t of set.inputs) feeds[t.name] = tensorFromRef(t);
          let a: Record<string, Tensor>;
          try {
            a = none.runSync(feeds);
          } catch {
            continue;
          }
          const b = all.runSync(feeds);
          for (const [name, ta] of Object.entries(a)) {
            const x = ta.data as ArrayLike<number>, y = b[name].data as ArrayLike<number>;
            const float = ta.dtype.startsWith('float');
            for (let i = 0; i < x.length; i++) {
              const d = Math.abs(Number(x[i]) - Number(y[i]));
              const ok = Object.is(Number(x[i]), Number(y[i])) || (float ? d <= 1e-6 + 1e-5 * Math.abs(Number(x[i])) : d <= 1);
              if (!ok) { problems.push(`${tc.name} ${name}[${i}]: ${x[i]} vs ${y[i]}`); break; }
            }
          }
        }
      }
    }
    console.log(`conformance cases changed by the optimiser: ${changed.length} (${changed.slice(0, 12).join(', ')}${changed.length > 12 ? ', ...' : ''})`);
    expect(problems).toEqual([]);
    expect(changed.length).toBeGreaterThan(0);
  }, 600_000);
});
