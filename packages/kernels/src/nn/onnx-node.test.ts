/**
 * ONNX backend node tests for the nn kernels: every single-node case (onnx-node and the onnx-pytorch exports)
 * whose op is one of NN_KERNELS' ops runs through the scalar reference and must match the stored outputs (floats
 * within rtol 1e-3 / atol 1e-5, integers exact). The `_expanded` cases are graphs of other ops and belong to those.
 * No case is excluded.
 */
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { formatReport, runNodeSuites } from '../test-support/node-suite.js';
import { NN_KERNELS } from './index.js';

const EXCLUDED: ReadonlyMap<string, string> = new Map<string, string>([]);

describe('ONNX node tests: nn reference kernels', () => {
  it('passes every case of Conv, ConvTranspose, Gemm, MatMul, pools, norms and LRN', () => {
    const registry = new KernelRegistry().registerAll(NN_KERNELS);
    const ops = new Set(NN_KERNELS.map((v) => v.key.slice(0, v.key.indexOf(':'))));
    const roots = ['onnx-node', 'onnx-pytorch/converted', 'onnx-pytorch/operator', 'onnx-pytorch/simple'].map((s) => testdataPath(s));
    const r = runNodeSuites(roots, ops, registry, EXCLUDED);
    console.log(formatReport(r));
    expect(r.total).toBeGreaterThan(150);
    expect(r.problems).toEqual([]);
  });
});
