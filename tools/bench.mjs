#!/usr/bin/env node
// `npm run bench [-- NAME... [-- ARGS...]]`: runs the side-by-side benchmarks in benchmarks/ (never part of
// `npm test`), one after another, each in its own Node process, after `npm run build`. With no NAME it runs every
// benchmark except the ones listed in ON_REQUEST; NAME is a file name without `.bench.mjs` (e.g. runtime-latency).
// Arguments after a second `--` go to every benchmark run. Exit status: the first failing benchmark's.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '..', 'benchmarks');
/** Benchmarks that only run when named: they need minutes and gigabytes of disk. */
const ON_REQUEST = new Map([['onnx-ir-large-external', 'writes a > 2 GB external-data model to the temp folder']]);

const all = readdirSync(dir).filter((f) => f.endsWith('.bench.mjs')).map((f) => f.slice(0, -'.bench.mjs'.length)).sort();
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const names = split < 0 ? argv : argv.slice(0, split);
const extra = split < 0 ? [] : argv.slice(split + 1);
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`bench: no benchmark named ${unknown.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}
const chosen = names.length > 0 ? names : all.filter((n) => !ON_REQUEST.has(n));
if (names.length === 0) for (const [n, why] of ON_REQUEST) console.log(`bench: skipping ${n} (${why}); run it with \`npm run bench -- ${n}\``);
for (const n of chosen) {
  console.log(`\n== ${n}`);
  const r = spawnSync(process.execPath, [join(dir, `${n}.bench.mjs`), ...extra], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: ${n} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}
