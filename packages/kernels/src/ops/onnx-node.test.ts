/**
 * ONNX backend node tests for the ops in OPS_KERNELS: every case whose nodes are all ops of this file-set (plus
 * Constant, which the test driver folds) runs through the scalar reference kernels and must match the stored outputs
 * (floats within rtol 1e-3 / atol 1e-5, everything else exact). Cases that cannot pass are listed in
 * EXCLUDED with the reason; an excluded case that starts passing fails the test too, so the list stays honest.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { readModelFile } from '../test-support/onnx-case.js';
import { runCase } from '../test-support/run-case.js';
import { OPS_KERNELS } from './index.js';
import { EXCLUDED } from './onnx-node-exclusions.js';

const root = testdataPath('onnx-node');
const registry = new KernelRegistry().registerAll(OPS_KERNELS);
const ours = new Set(OPS_KERNELS.map((v) => v.key.slice(0, v.key.indexOf(':'))));

function selectCases(): { name: string; ops: string[] }[] {
  const out: { name: string; ops: string[] }[] = [];
  for (const name of readdirSync(root).sort()) {
    let ops: string[];
    try {
      ops = [...new Set(readModelFile(join(root, name, 'model.onnx')).nodes.map((n) => n.opType))];
    } catch {
      // Models the test decoder cannot read (graph attributes, sequence types): if the name says they are ours,
      // they must be in EXCLUDED; otherwise they belong to other ops.
      if (EXCLUDED.has(name)) out.push({ name, ops: ['?'] });
      continue;
    }
    const own = ops.filter((o) => o !== 'Constant');
    if (own.length > 0 && own.every((o) => ours.has(o))) out.push({ name, ops: own });
  }
  return out;
}

describe('ONNX node tests (scalar reference kernels)', () => {
  it('passes every case of its ops except the listed exclusions', () => {
    const cases = selectCases();
    const perOp = new Map<string, { pass: number; total: number }>();
    const unexpected: string[] = [];
    const stale: string[] = [];
    for (const c of cases) {
      const r = runCase(join(root, c.name), registry);
      const op = c.ops.length === 1 ? c.ops[0] : c.ops.join('+');
      const s = perOp.get(op) ?? { pass: 0, total: 0 };
      s.total++;
      if (r.status === 'pass') {
        s.pass++;
        if (EXCLUDED.has(c.name)) stale.push(c.name);
      } else if (!EXCLUDED.has(c.name)) {
        unexpected.push(`${c.name}: ${r.status}: ${r.message.slice(0, 300)}`);
      }
      perOp.set(op, s);
    }
    const table = [...perOp.entries()].sort().map(([op, s]) => `${op.padEnd(40)} ${s.pass}/${s.total}`).join('\n');
    console.log(`ONNX node cases per op (passed/present):\n${table}\nexcluded: ${EXCLUDED.size}`);
    expect(cases.length).toBeGreaterThan(200);
    expect(unexpected).toEqual([]);
    expect(stale).toEqual([]);
  });
});
