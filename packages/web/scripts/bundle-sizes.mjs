#!/usr/bin/env node
// Bundles each package's browser entry point on its own with Vite (browser conditions, build.target es2022, minified,
// every dependency inlined, wasm as assets), prints raw and gzip sizes as a Markdown table, and fails when a bundle
// reaches a Node built-in (see no-node-builtins.mjs). Arguments: package names (default: every browser package).
// Run from anywhere after `npm run build`: `npm run sizes -w @lowbit/web`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { isNodeBuiltin, noNodeBuiltins } from './no-node-builtins.mjs';

const web = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = process.argv.length > 2 ? process.argv.slice(2) : ['qparams', 'onnx-ir', 'kernels', 'kernels-wasm', 'calibrators', 'rewriters', 'runtime', 'quantize'];

const tmp = await mkdtemp(join(web, '.sizes-'));
const rows = [];
let leaks = 0;
try {
  for (const name of PACKAGES) {
    const entry = join(tmp, `${name}.js`);
    await writeFile(entry, `export * from '@lowbit/${name}';\n`);
    const bad = [];
    const watch = noNodeBuiltins({ found: bad, root: web });
    const out = await build({
      root: web, configFile: false, logLevel: 'silent', plugins: [watch],
      build: { write: false, target: 'es2022', minify: true, lib: { entry, formats: ['es'], fileName: name } },
    });
    const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
    let js = 0, gz = 0, wasm = 0;
    for (const o of outputs) {
      if (o.type === 'chunk') {
        js += Buffer.byteLength(o.code);
        gz += gzipSync(o.code).length;
        for (const id of [...o.imports, ...o.dynamicImports]) if (isNodeBuiltin(id)) bad.push(id);
        for (const m of o.code.matchAll(/(?:from\s*|import\s*\(\s*)["'`](node:[^"'`]+)["'`]/g)) bad.push(m[1]);
      } else if (o.fileName.endsWith('.wasm')) {
        wasm += o.source.length;
      }
    }
    if (bad.length) { leaks++; console.error(`@lowbit/${name}: Node built-ins in the browser bundle: ${[...new Set(bad)].join(', ')}`); }
    rows.push(`| \`@lowbit/${name}\` | ${(js / 1024).toFixed(1)} KB | ${(gz / 1024).toFixed(1)} KB | ${wasm ? `${(wasm / 1024).toFixed(1)} KB` : '—'} | ${bad.length ? 'NODE IMPORT' : 'none'} |`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
console.log('| entry point | JS (min) | JS (min+gzip) | wasm assets | Node built-ins |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) console.log(r);
process.exit(leaks ? 1 : 0);
