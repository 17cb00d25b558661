/**
 * ONNX backend node tests for the nn kernels: every single-node case whose op is one of NN_KERNELS' ops runs
 * through the scalar reference and must match the stored outputs (floats within rtol 1e-3 / atol 1e-5, integers
 * exact). The `_expanded` cases are graphs of other ops (their function bodies) and belong to the ops they use.
 * EXCLUDED lists the cases that cannot pass, with the reason; an excluded case that passes fails the test too.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { readModelFile } from '../test-support/onnx-case.js';
import { runCase } from '../test-support/run-case.js';
import { NN_KERNELS } from './index.js';

const EXCLUDED: ReadonlyMap<string, string> = new Map<string, string>([]);

const ours = new Set(NN_KERNELS.map((v) => v.key.slice(0, v.key.indexOf(':'))));
const SUITES = ['onnx-node', 'onnx-pytorch/converted', 'onnx-pytorch/operator', 'onnx-pytorch/simple'];

describe('ONNX node tests: nn reference kernels', () => {
  it('passes every case of Conv, ConvTranspose, Gemm, MatMul, pools, norms and LRN', () => {
    const registry = new KernelRegistry().registerAll(NN_KERNELS);
    const perOp = new Map<string, { pass: number; total: number }>();
    const problems: string[] = [];
    for (const suite of SUITES) {
      const root = testdataPath(suite);
      for (const name of readdirSync(root).sort()) {
        let ops: string[];
        try {
          ops = readModelFile(join(root, name, 'model.onnx')).nodes.map((n) => n.opType);
        } catch {
          continue; // graphs the test decoder cannot read (control flow, sequences) are not single nn ops
        }
        if (ops.length !== 1 || !ours.has(ops[0])) continue;
        const r = runCase(join(root, name), registry);
        const s = perOp.get(ops[0]) ?? { pass: 0, total: 0 };
        s.total++;
        perOp.set(ops[0], s);
        if (r.status === 'pass') {
          s.pass++;
          if (EXCLUDED.has(name)) problems.push(`${name}: passes but is listed in EXCLUDED`);
        } else if (!EXCLUDED.has(name)) problems.push(`${suite}/${name}: ${r.status}: ${r.message.slice(0, 400)}`);
      }
    }
    console.log([...perOp].sort().map(([op, s]) => `${op.padEnd(24)} ${s.pass}/${s.total}`).join('\n'));
    expect([...perOp.values()].reduce((n, s) => n + s.total, 0)).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
