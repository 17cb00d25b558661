/**
 * The graph API over every model of the shared test data (ONNX backend node tests, quantized node tests, pytorch
 * cases, light models, models/*.onnx):
 * - verifyModel finds no error in any of them (the only warnings are explained below);
 * - the common passes (identity elimination, DCE, topological sort) run on each with verification on, keep the
 *   graph interface (input and output names), and a second run returns the same object;
 * - where the passes changed a backend test model, onnxruntime-node (the reference) computes the same outputs for
 *   the rewritten model as for the original, on the test's own inputs, bit for bit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { listCorpusModels } from '@lowbit/testing';
import { decodeModel, decodeTensor, encodeModel } from '../codec.js';
import { dataTypeName } from '../dtype.js';
import { PassManager } from '../pass-manager.js';
import { createPassContext } from '../pass.js';
import { tensorValuesSync } from '../tensor-store.js';
import type { Model } from '../types.js';
import { verifyModel } from '../verify.js';
import { deadCodeElimination } from './dead-code-elimination.js';
import { identityElimination } from './identity-elimination.js';
import { topologicalSortPass } from './topological-sort.js';

const corpus = listCorpusModels;

const pipeline = () => new PassManager([identityElimination, deadCodeElimination, topologicalSortPass], { name: 'cleanup' });

/** Feeds of test_data_set_0 as ort tensors, or undefined when an input is not a plain tensor (sequence, optional). */
function feeds(caseDir: string, m: Model): Record<string, ort.Tensor> | undefined {
  const dir = join(caseDir, 'test_data_set_0');
  if (!existsSync(dir)) return undefined;
  const out: Record<string, ort.Tensor> = {};
  const names = m.graph.inputs.map((i) => i.name).filter((n) => !m.graph.initializers.some((t) => t.name === n));
  for (let k = 0; k < names.length; k++) {
    const f = join(dir, `input_${k}.pb`);
    if (!existsSync(f)) return undefined;
    try {
      const v = tensorValuesSync(decodeTensor(new Uint8Array(readFileSync(f))));
      out[names[k]] = new ort.Tensor(dataTypeName(v.dtype) as never, v.data as never, v.dims);
    } catch {
      return undefined;
    }
  }
  return out;
}

function sameBits(a: ort.Tensor, b: ort.Tensor): boolean {
  if (a.type !== b.type || a.dims.join() !== b.dims.join()) return false;
  const x = a.data as ArrayLike<unknown>, y = b.data as ArrayLike<unknown>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

describe('graph API over the shared corpus', () => {
  const files = corpus();
  let changedCache: { file: string; before: Model; after: Model }[] | undefined;
  /** Models the pipeline changes (computed once, so each test can run on its own). */
  const changedModels = async () => {
    if (changedCache === undefined) {
      changedCache = [];
      for (const f of files) {
        const m = decodeModel(new Uint8Array(readFileSync(f)));
        const r = await pipeline().run(m, createPassContext());
        if (r.modified) changedCache.push({ file: f, before: m, after: r.model });
      }
    }
    return changedCache;
  };

  it('verifyModel reports no errors on any model', () => {
    expect(files.length).toBeGreaterThan(1802);
    const errors: string[] = [];
    const warningCodes = new Set<string>();
    for (const f of files) {
      for (const d of verifyModel(decodeModel(new Uint8Array(readFileSync(f))))) {
        if (d.severity === 'error') errors.push(`${f}: ${d.code} ${d.message}`);
        else warningCodes.add(d.code);
      }
    }
    expect(errors).toEqual([]);
    // Training-domain tests (test_adam...) import only ai.onnx.preview.training; some pytorch exports and light
    // models say IR 3 with opset 9 (ONNX 1.4.1 defined opset 9 together with IR 4).
    expect([...warningCodes].sort()).toEqual(['IR_OPSET_MISMATCH', 'MISSING_DEFAULT_OPSET']);
  });

  it('the common passes keep the interface, pass verification, and are idempotent', async () => {
    const failures: string[] = [];
    let modified = 0;
    for (const f of files) {
      const m = decodeModel(new Uint8Array(readFileSync(f)));
      try {
        const r = await pipeline().run(m, createPassContext({ verify: true }));
        expect(r.model.graph.inputs.map((i) => i.name)).toEqual(m.graph.inputs.map((i) => i.name));
        expect(r.model.graph.outputs.map((o) => o.name)).toEqual(m.graph.outputs.map((o) => o.name));
        expect(r.model.graph.nodes.length).toBeLessThanOrEqual(m.graph.nodes.length);
        const again = await pipeline().run(r.model, createPassContext());
        expect(again.model).toBe(r.model);
        if (r.modified) modified++;
      } catch (e) {
        failures.push(`${f}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(modified).toBeGreaterThan(100); // many expanded (function-body) tests carry Identity and dead nodes
  });

  it('rewritten backend test models compute the same outputs in onnxruntime (bit for bit)', async () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (const { file, before, after } of await changedModels()) {
      const caseDir = join(file, '..');
      const input = feeds(caseDir, before);
      if (input === undefined) continue;
      let want: ort.InferenceSession.OnnxValueMapType;
      try {
        const s0 = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)), { executionProviders: ['cpu'], logSeverityLevel: 3 });
        want = await s0.run(input);
      } catch {
        continue; // onnxruntime cannot run the original (newer opset or unsupported op): nothing to compare against
      }
      const s1 = await ort.InferenceSession.create(encodeModel(after), { executionProviders: ['cpu'], logSeverityLevel: 3 });
      const got = await s1.run(input);
      compared++;
      for (const name of Object.keys(want)) {
        if (!sameBits(want[name] as ort.Tensor, got[name] as ort.Tensor)) mismatches.push(`${file}: output "${name}"`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(100); // 147 of the rewritten backend tests run in onnxruntime-node 1.30
  });
});
