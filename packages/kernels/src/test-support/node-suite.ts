/**
 * Runs every single-node ONNX backend case (in the given suite folders) whose op is in `ops` through a registry,
 * using the node-test driver of `run-case.ts`. Test support only.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelRegistry } from '../registry.js';
import { readModelFile } from './onnx-case.js';
import { runCase, type CompareTolerance } from './run-case.js';

export interface SuiteReport {
  /** Per op type: cases passed / present. */
  readonly perOp: ReadonlyMap<string, { pass: number; total: number }>;
  /** Failures not in `excluded`, and excluded cases that pass (the list must stay honest). */
  readonly problems: readonly string[];
  readonly total: number;
}

export function runNodeSuites(roots: readonly string[], ops: ReadonlySet<string>, registry: KernelRegistry, excluded: ReadonlyMap<string, string>, tol?: CompareTolerance): SuiteReport {
  const perOp = new Map<string, { pass: number; total: number }>();
  const problems: string[] = [];
  let total = 0;
  for (const root of roots) {
    for (const name of readdirSync(root).sort()) {
      let nodes: string[];
      try {
        nodes = readModelFile(join(root, name, 'model.onnx')).nodes.map((n) => n.opType);
      } catch {
        continue; // graphs the test decoder cannot read (control flow, sequences) are not single-op cases
      }
      if (nodes.length !== 1 || !ops.has(nodes[0])) continue;
      total++;
      const r = runCase(join(root, name), registry, tol);
      const s = perOp.get(nodes[0]) ?? { pass: 0, total: 0 };
      s.total++;
      perOp.set(nodes[0], s);
      const id = `${root.split(/[\\/]/).slice(-1)[0]}/${name}`;
      if (r.status === 'pass') {
        s.pass++;
        if (excluded.has(name)) problems.push(`${id}: passes but is listed as excluded`);
      } else if (!excluded.has(name)) problems.push(`${id}: ${r.status}: ${r.message.slice(0, 400)}`);
    }
  }
  return { perOp, problems, total };
}

export function formatReport(r: SuiteReport): string {
  return [...r.perOp].sort().map(([op, s]) => `${op.padEnd(24)} ${s.pass}/${s.total}`).join('\n');
}
