/**
 * Runs the ONNX backend node tests (`onnx-node/CASE/...`) through `Session` and tallies, per op type, how many
 * cases pass out of how many are present.
 *
 * Statuses: `pass`; `fail` (ran, but an output differs or the run threw); `rejected` (Session.create refused the
 * model with a typed error: an op, dtype or opset the runtime does not support); `unreadable` (the case's data is
 * not tensor data, e.g. sequence inputs).
 *
 * A case belongs to the op it tests: the single node's op type, or for multi-node cases (`*_expanded` function
 * bodies and the like) the longest known op type whose lower-case name starts the case name.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelRegistry } from '@lowbit/kernels';
import { Session } from '../session.js';
import { CaseDataError, loadCase } from './case.js';
import { compareValues, DEFAULT_TOLERANCE, type Tolerance } from './compare.js';

export type CaseStatus = 'pass' | 'fail' | 'rejected' | 'unreadable';

export interface CaseResult {
  readonly name: string;
  /** Op types of the case's top-level nodes, in order of first appearance. */
  readonly nodeOps: readonly string[];
  readonly status: CaseStatus;
  readonly message?: string;
  readonly ms: number;
}

export interface OpTally {
  readonly op: string;
  passed: number;
  failed: number;
  rejected: number;
  unreadable: number;
  present: number;
  readonly cases: string[];
}

/** Case folder names under `root` that hold a model. */
export function listCases(root: string): string[] {
  return readdirSync(root).filter((n) => existsSync(join(root, n, 'model.onnx'))).sort();
}

/** Runs one case folder. Never throws for a case problem (that is its status). */
export function runCase(root: string, name: string, registry: KernelRegistry | undefined, tol: Tolerance = DEFAULT_TOLERANCE): CaseResult {
  const t0 = performance.now();
  const done = (status: CaseStatus, nodeOps: readonly string[], message?: string): CaseResult => ({ name, nodeOps, status, message, ms: performance.now() - t0 });
  let loaded;
  try {
    loaded = loadCase(join(root, name), name);
  } catch (e) {
    if (e instanceof CaseDataError) return done('unreadable', e.nodeOps, e.message);
    return done('unreadable', [], `cannot read case: ${(e as Error).message}`);
  }
  const nodeOps = [...new Set(loaded.model.graph.nodes.map((n) => n.opType))];
  let session: Session;
  try {
    session = Session.fromModel(loaded.model, { backend: 'js', registry });
  } catch (e) {
    return done('rejected', nodeOps, (e as Error).message);
  }
  let results;
  try {
    results = session.runValues(loaded.feeds);
  } catch (e) {
    return done('fail', nodeOps, `run threw: ${(e as Error).message}`);
  }
  const outs = loaded.model.graph.outputs;
  for (let i = 0; i < outs.length; i++) {
    const got = results[outs[i].name];
    const msg = got ? compareValues(got, loaded.expected[i], tol) : 'missing';
    if (msg) return done('fail', nodeOps, `output ${i} "${outs[i].name}": ${msg}`);
  }
  return done('pass', nodeOps);
}

const ALIASES: Readonly<Record<string, string>> = {
  batchnorm: 'BatchNormalization', instancenorm: 'InstanceNormalization', sce: 'SoftmaxCrossEntropyLoss', nllloss: 'NegativeLogLikelihoodLoss',
};

/** The op a case tests (see the module comment). */
export function caseOp(name: string, nodeOps: readonly string[], knownOps: ReadonlySet<string>): string {
  if (nodeOps.length === 1) return nodeOps[0];
  const key = name.replace(/^test_/, '').replace(/_/g, '').toLowerCase();
  for (const [alias, op] of Object.entries(ALIASES)) if (key.startsWith(alias)) return op;
  let best = '';
  for (const op of [...knownOps, ...nodeOps]) {
    if (key.startsWith(op.toLowerCase()) && op.length > best.length) best = op;
  }
  if (best) return best;
  return nodeOps.find((op) => op !== 'Constant') ?? nodeOps[0] ?? name;
}

/** Groups results by the op each case tests. */
export function tally(results: readonly CaseResult[]): Map<string, OpTally> {
  const known = new Set(results.filter((r) => r.nodeOps.length === 1).map((r) => r.nodeOps[0]));
  const byOp = new Map<string, OpTally>();
  for (const r of results) {
    const op = caseOp(r.name, r.nodeOps, known);
    const t = byOp.get(op) ?? { op, passed: 0, failed: 0, rejected: 0, unreadable: 0, present: 0, cases: [] };
    t.present++;
    t.cases.push(r.name);
    if (r.status === 'pass') t.passed++;
    else if (r.status === 'fail') t.failed++;
    else if (r.status === 'rejected') t.rejected++;
    else t.unreadable++;
    byOp.set(op, t);
  }
  return byOp;
}

/** A text table: `Op  passed/present  (failed, rejected, unreadable)`, one line per op, sorted by op name. */
export function formatTally(byOp: ReadonlyMap<string, OpTally>): string {
  const rows = [...byOp.values()].sort((a, b) => a.op.localeCompare(b.op));
  const w = Math.max(...rows.map((r) => r.op.length), 2);
  const lines = rows.map((r) => {
    const extra = [r.failed && `${r.failed} failed`, r.rejected && `${r.rejected} rejected`, r.unreadable && `${r.unreadable} unreadable`].filter(Boolean).join(', ');
    return `${r.op.padEnd(w)}  ${`${r.passed}/${r.present}`.padStart(7)}${extra ? `  (${extra})` : ''}`;
  });
  const sum = rows.reduce((a, r) => ({ p: a.p + r.passed, n: a.n + r.present }), { p: 0, n: 0 });
  const full = rows.filter((r) => r.passed === r.present).length;
  lines.push(`${'total'.padEnd(w)}  ${`${sum.p}/${sum.n}`.padStart(7)}  (${full}/${rows.length} op types fully passing)`);
  return lines.join('\n');
}
