/**
 * ONNX backend node tests for the integer and quantization kernels, at the current opsets (onnx-node) and at
 * opset 10/13 (onnx-node-v1.13-quant). Integer outputs must match exactly, float outputs within rtol 1e-3 /
 * atol 1e-5. No case is excluded.
 */
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { formatReport, runNodeSuites } from '../test-support/node-suite.js';
import { QUANT_KERNELS } from './index.js';

const EXCLUDED: ReadonlyMap<string, string> = new Map<string, string>([]);

describe('ONNX node tests: integer and quantization reference kernels', () => {
  it('passes every case of its ops', () => {
    const registry = new KernelRegistry().registerAll(QUANT_KERNELS);
    const ops = new Set(QUANT_KERNELS.map((v) => v.key.slice(0, v.key.indexOf(':'))));
    const r = runNodeSuites([testdataPath('onnx-node'), testdataPath('onnx-node-v1.13-quant')], ops, registry, EXCLUDED);
    console.log(formatReport(r));
    expect(r.total).toBeGreaterThan(15);
    expect(r.problems).toEqual([]);
  });
});
