#!/usr/bin/env node
/**
 * `node packages/runtime/dist/conformance/cli.js [ONNX_NODE_DIR] [--filter SUBSTRING] [--failures]
 *   [--backend auto|js|wasm|native] [--isa ISA] [--threads N]`
 *
 * Runs the ONNX backend node tests through the runtime and prints, per op type, cases passed / cases present.
 * The folder defaults to `$LOWBIT_TESTDATA/onnx-node`, else `../shared/testdata/onnx-node` from the current folder.
 * `--backend` (default js: the scalar reference kernels) loads the optimized backends and runs the same cases on
 * them; `--isa` caps the ISA as LOWBIT_ISA does. `--failures` also lists every failing, rejected or unreadable case
 * with its message. Exit code 0 always (this is a report; the test in conformance.test.ts is the gate), except 2 for
 * a backend that was named but cannot load.
 */
import { resolve } from 'node:path';
import { createReferenceRegistry, isIsa } from '@lowbit/kernels';
import { loadBackends, type BackendRequest } from '../../backend.js';
import { formatTally, listCases, runCase, tally, type ConformanceTarget } from './runner.js';

async function main(argv: string[]): Promise<number> {
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
  const request = (option('--backend') ?? 'js') as BackendRequest;
  const isa = option('--isa');
  const threads = option('--threads');
  if (isa !== undefined && !isIsa(isa)) {
    process.stderr.write(`--isa ${isa}: not a known ISA\n`);
    return 2;
  }
  const root = args[0] ?? resolve(process.env.LOWBIT_TESTDATA ?? resolve('..', 'shared', 'testdata'), 'onnx-node');
  const backends = await loadBackends(request, threads === undefined ? {} : { threads: Number(threads) });
  for (const b of backends) {
    process.stdout.write(`backend ${b.name}: ${b.ready ? `ready, ISAs ${b.isas.join(', ')}, ${b.threads} thread(s)` : 'not available'}${b.diagnostics.length ? ` (${b.diagnostics.join('; ')})` : ''}\n`);
  }
  if (request !== 'auto' && request !== 'js' && !backends.some((b) => b.ready)) return 2;
  // One registry for every case: the reference kernels plus the ready backends' variants.
  const ready = backends.filter((b) => b.ready);
  const registry = createReferenceRegistry();
  for (const b of ready) registry.registerAll(b.variants());
  const target: ConformanceTarget = { registry, available: ready.flatMap((b) => b.isas), ...(isa ? { isa } : {}) };
  const names = listCases(root).filter((n) => !filter || n.includes(filter));
  const t0 = performance.now();
  const results = names.map((n) => runCase(root, n, target));
  process.stdout.write(`${formatTally(tally(results))}\n`);
  process.stdout.write(`${results.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (showFailures) {
    for (const r of results) if (r.status !== 'pass') process.stdout.write(`${r.status.padEnd(10)} ${r.name}: ${r.message}\n`);
  }
  for (const b of backends) b.dispose?.();
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
