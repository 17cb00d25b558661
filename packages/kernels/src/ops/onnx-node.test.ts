/**
 * ONNX backend node tests (and the onnx-pytorch cases) for the ops in OPS_KERNELS: every case with at least one op of this file-set whose other
 * nodes have reference kernels too (Constant is folded by the test driver) runs through the scalar
 * reference kernels and must match the stored outputs (floats within rtol 1e-3 / atol 1e-5, everything else exact). Cases that cannot pass are listed in
 * EXCLUDED with the reason; an excluded case that starts passing fails the test too, so the list stays honest.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '../reference.js';
import { readModelFile } from '../test-support/onnx-case.js';
import { runCase } from '../test-support/run-case.js';
import { OPS_KERNELS } from './index.js';
import { EXCLUDED } from '../test-support/onnx-node-exclusions.js';

// The full reference registry, so multi-node cases (the "_expanded" function bodies) that mix these ops with
// MatMul/Conv from nn/ run too; a case is selected when at least one of its ops is from OPS_KERNELS.
const registry = createReferenceRegistry();
const opOf = (key: string) => key.slice(0, key.indexOf(':'));
const ours = new Set(OPS_KERNELS.map((v) => opOf(v.key)));
const known = new Set(registry.keys().map(opOf));

function selectCases(root: string): { name: string; ops: string[] }[] {
  const out: { name: string; ops: string[] }[] = [];
  for (const name of readdirSync(root).sort()) {
    let ops: string[];
    try {
      // Ops outside the default domain are named like their kernel keys: `ai.onnx.ml.Binarizer`.
      const qualified = (n: { opType: string; domain: string }) => (n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`);
      ops = [...new Set(readModelFile(join(root, name, 'model.onnx')).nodes.map(qualified))];
    } catch {
      // Models the test decoder cannot read (graph attributes, sequence types): if the name says they are ours,
      // they must be in EXCLUDED; otherwise they belong to other ops.
      if (EXCLUDED.has(name)) out.push({ name, ops: ['?'] });
      continue;
    }
    const own = ops.filter((o) => o !== 'Constant');
    if (own.some((o) => ours.has(o)) && own.every((o) => known.has(o))) out.push({ name, ops: own });
  }
  return out;
}

const SUITES: readonly (readonly [string, number])[] = [
  // [folder under the shared test data, minimum number of selected cases (guards against silently selecting none)]
  ['onnx-node', 1000],
  ['onnx-pytorch/converted', 10],
  ['onnx-pytorch/operator', 20],
  ['onnx-pytorch/simple', 5],
];

describe('ONNX backend tests (scalar reference kernels)', () => {
  it.each(SUITES)('%s: passes every case of its ops except the listed exclusions', (suite, minCases) => {
    const root = testdataPath(suite);
    const cases = selectCases(root);
    const perOp = new Map<string, { pass: number; total: number }>();
    const unexpected: string[] = [];
    const stale: string[] = [];
    let passed = 0;
    for (const c of cases) {
      const r = runCase(join(root, c.name), registry);
      if (r.status === 'pass') {
        passed++;
        if (EXCLUDED.has(c.name)) stale.push(c.name);
      } else if (!EXCLUDED.has(c.name)) {
        unexpected.push(`${c.name}: ${r.status}: ${r.message.slice(0, 300)}`);
      }
      // A case counts toward every op of this file-set it contains.
      for (const op of c.ops.filter((o) => ours.has(o))) {
        const s = perOp.get(op) ?? { pass: 0, total: 0 };
        s.total++;
        if (r.status === 'pass') s.pass++;
        perOp.set(op, s);
      }
    }
    const table = [...perOp.entries()].sort().map(([op, s]) => `${op.padEnd(40)} ${s.pass}/${s.total}`).join('\n');
    console.log(`${suite} cases per op (passed/present):\n${table}\ncases: ${passed}/${cases.length} passed, ${cases.filter((c) => EXCLUDED.has(c.name)).length} excluded`);
    expect(cases.length).toBeGreaterThanOrEqual(minCases);
    expect(unexpected).toEqual([]);
    expect(stale).toEqual([]);
  });
});
