#!/usr/bin/env node
// The long fuzz run: `node tools/fuzz.mjs [--count 10000] [--seed 1]` (after `npm run build`). Mutates the shared
// models' bytes and IR (tools/fuzz-harness.mjs), runs each case through decode -> load checks -> verify ->
// Session.create (js) -> run, and reports how the cases ended, the slowest case, and every failure: an error that is
// not a LowbitError, or a case taking more than 1 s of CPU time. Exit 1 on any failure.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fuzzCase, loadSeeds, materialize, runCase } from './fuzz-harness.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const count = arg('count', 10_000);
const seed = arg('seed', 1);
const testdata = join(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'testdata');
const seeds = loadSeeds(testdata);
const outcomes = new Map();
const failures = [];
let slowest = { ms: 0, cpuMs: 0, c: undefined };
const started = performance.now();
const rss0 = process.memoryUsage().rss;
let peakRss = rss0;
let done = 0;
for (const c of fc.sample(fuzzCase, { numRuns: count, seed })) {
  let r;
  const t0 = performance.now();
  try {
    r = await runCase(materialize(c, seeds));
  } catch (err) {
    failures.push({ case: c, error: err.message });
    r = { stage: 'FAILED', code: '', ms: performance.now() - t0, cpuMs: 0 };
  }
  const key = `${r.stage}${r.code ? ` ${r.code}` : ''}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  if (r.ms > slowest.ms) slowest = { ms: r.ms, cpuMs: r.cpuMs, c };
  if (r.cpuMs > 1000) failures.push({ case: c, error: `took ${r.cpuMs.toFixed(0)} ms of CPU (${r.ms.toFixed(0)} ms wall)` });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (++done % 1000 === 0) process.stderr.write(`${done}/${count} cases, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
const secs = (performance.now() - started) / 1000;
console.log(`fuzz: ${count} cases (seed ${seed}) in ${secs.toFixed(1)} s on node ${process.version}`);
for (const [k, v] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${v}`);
console.log(`  slowest case: ${slowest.ms.toFixed(0)} ms wall (${slowest.cpuMs.toFixed(0)} ms CPU); peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (start ${(rss0 / 2 ** 20).toFixed(0)} MiB)`);
console.log(`  failures: ${failures.length}`);
for (const f of failures.slice(0, 20)) console.log(`    ${f.error}\n      ${JSON.stringify(f.case, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v))}`);
process.exitCode = failures.length > 0 ? 1 : 0;
