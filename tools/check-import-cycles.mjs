#!/usr/bin/env node
// No import loops: builds the graph of relative imports between the source files of every package (packages/*/src,
// TypeScript and JavaScript; tests and test-support excluded, they are leaves that never ship) and fails, listing
// each loop, when a strongly connected component has more than one file or a file imports itself.
// Static imports and re-exports count, type-only ones included (a loop of types is still a loop of concepts: the
// files cannot be understood or moved one without the other); dynamic `import()` does not (it is a deliberate
// late edge, e.g. optional backends).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isTestFile, sourceFiles } from './source-files.mjs';

const root = resolve(import.meta.dirname, '..');

function* files(dir) {
  for (const p of sourceFiles(dir)) if (!isTestFile(p)) yield p;
}

/** Relative specifiers of a file's static imports and re-exports (type-only and side-effect imports included). */
function staticImports(text) {
  const out = [];
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of noComments.matchAll(/(?:^|[;\n])\s*(?:import|export)\s+[^'";]*?\s*from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]);
  for (const m of noComments.matchAll(/(?:^|[;\n])\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

/** The source file a specifier names (`./x.js` is `./x.ts` in a TypeScript package). */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, join(base, 'index.ts'), join(base, 'index.js')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const graph = new Map();
for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src');
  if (!existsSync(src)) continue;
  for (const f of files(src)) {
    const deps = new Set();
    for (const spec of staticImports(readFileSync(f, 'utf8'))) {
      const target = resolveSpec(f, spec);
      if (target && !isTestFile(target) && !target.endsWith('.d.ts')) deps.add(target);
    }
    graph.set(f, [...deps]);
  }
}

// Tarjan's strongly connected components, iteratively (deep import chains would overflow a recursive version).
const index = new Map(), low = new Map(), onStack = new Set(), stack = [], loops = [];
let next = 0;
for (const start of graph.keys()) {
  if (index.has(start)) continue;
  const work = [[start, 0]];
  index.set(start, next); low.set(start, next); next++; stack.push(start); onStack.add(start);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    const [v, i] = frame;
    const deps = graph.get(v) ?? [];
    if (i < deps.length) {
      frame[1]++;
      const w = deps[i];
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
      continue;
    }
    work.pop();
    if (work.length > 0) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) loops.push(scc);
    }
  }
}

const rel = (p) => relative(root, p);
if (loops.length > 0) {
  console.error(`import cycles: ${loops.length} loop(s) among package sources`);
  for (const scc of loops) {
    const members = new Set(scc);
    console.error(`  ${scc.length} files:`);
    for (const f of scc.sort()) console.error(`    ${rel(f)} -> ${(graph.get(f) ?? []).filter((d) => members.has(d)).map(rel).join(', ')}`);
  }
  process.exit(1);
}
console.log(`import cycles: none among ${graph.size} source files`);
