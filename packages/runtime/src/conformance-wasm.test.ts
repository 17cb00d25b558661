/**
 * The ONNX backend node tests through Session on the wasm backend: the registry is the reference kernels plus the
 * wasm variants, and the session may use the wasm ISAs. Gate: every case that passes on the reference backend passes
 * here too (same runner, same tolerances), and the wasm kernels' ops (MatMulInteger, MatMul, Gemm, Conv, Relu, Clip,
 * Add/Sub/Mul/Div) have cases that ran.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '@lowbit/kernels';
import { testdataPath } from '@lowbit/testing';
import { loadBackends } from './backend.js';
import { listCases, runCase, type CaseResult } from './conformance/runner.js';

const [wasm] = await loadBackends('wasm');
const wasmRegistry = createReferenceRegistry().registerAll(wasm.variants());
const jsRegistry = createReferenceRegistry();

function runAll(folder: string): { js: CaseResult; wasm: CaseResult }[] {
  const root = testdataPath(folder);
  return listCases(root).map((n) => ({
    js: runCase(root, n, jsRegistry),
    wasm: runCase(root, n, wasmRegistry, undefined, { backend: 'wasm', backends: [wasm] }),
  }));
}

describe('ONNX backend node tests on the wasm backend', () => {
  it('loads', () => {
    expect(wasm.ready, wasm.diagnostics.join('; ')).toBe(true);
  });

  it('every case that passes on the reference kernels passes with the wasm variants', () => {
    const results = [...runAll('onnx-node'), ...runAll('onnx-node-v1.13-quant')];
    expect(results.length).toBe(1802 + 16);
    const regressions = results.filter((r) => r.js.status === 'pass' && r.wasm.status !== 'pass');
    expect(regressions.map((r) => `${r.wasm.name}: ${r.wasm.status} ${r.wasm.message ?? ''}`)).toEqual([]);
    const keys = new Set(wasm.variants().map((v) => v.key.slice(0, v.key.indexOf(':'))));
    const covered = results.filter((r) => r.wasm.status === 'pass' && r.wasm.nodeOps.some((op) => keys.has(op)));
    expect(covered.length).toBeGreaterThan(100);
  }, 240_000);
});
