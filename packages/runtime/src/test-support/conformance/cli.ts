#!/usr/bin/env node
/**
 * `node packages/runtime/dist/conformance/cli.js [ONNX_NODE_DIR] [--filter SUBSTRING] [--failures]`
 *
 * Runs the ONNX backend node tests through the runtime and prints, per op type, cases passed / cases present.
 * The folder defaults to `$LOWBIT_TESTDATA/onnx-node`, else `../shared/testdata/onnx-node` from the current folder.
 * `--failures` also lists every failing, rejected or unreadable case with its message. Exit code 0 always (this is a
 * report; the test in conformance.test.ts is the gate).
 */
import { resolve } from 'node:path';
import { createReferenceRegistry } from '@lowbit/kernels';
import { formatTally, listCases, runCase, tally } from './runner.js';

function main(argv: string[]): void {
  const args = [...argv];
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const showFailures = flag('--failures');
  const filter = option('--filter');
  const root = args[0] ?? resolve(process.env.LOWBIT_TESTDATA ?? resolve('..', 'shared', 'testdata'), 'onnx-node');
  const registry = createReferenceRegistry();
  const names = listCases(root).filter((n) => !filter || n.includes(filter));
  const t0 = performance.now();
  const results = names.map((n) => runCase(root, n, registry));
  process.stdout.write(`${formatTally(tally(results))}\n`);
  process.stdout.write(`${results.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (showFailures) {
    for (const r of results) if (r.status !== 'pass') process.stdout.write(`${r.status.padEnd(10)} ${r.name}: ${r.message}\n`);
  }
}

main(process.argv.slice(2));
