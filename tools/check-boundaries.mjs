#!/usr/bin/env node
// Enforces the package arrows of DESIGN.md: every dependency edge in nx's project graph (from package.json
// dependencies and from import statements in source) must be allowed by tools/module-boundaries.json, by nx tag.
// Test files may import the private testing package whatever their own tags; so testing's shipped sources must not
// re-export another @lowbit package's names (kernels' tests would reach onnx-ir through it): it offers its own API.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lowbitReexports } from './reexports.mjs';
import { isTestFile, sourceFiles } from './source-files.mjs';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-graph-'));
const file = join(dir, 'graph.json');
try {
  execFileSync(process.execPath, ['node_modules/nx/dist/bin/nx.js', 'graph', `--file=${file}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
  const { graph } = JSON.parse(readFileSync(file, 'utf8'));
  const rules = JSON.parse(readFileSync('tools/module-boundaries.json', 'utf8')).depConstraints;
  const tagsOf = (p) => graph.nodes[p]?.data?.tags ?? [];
  const problems = [];
  // nx infers edges from package.json; add the edges that import statements in each project's sources make.
  const byPackageName = new Map(Object.entries(graph.nodes).filter(([, n]) => n.type !== 'npm').map(([id, n]) => [readPackageName(n.data.root), id]));
  for (const [id, node] of Object.entries(graph.nodes)) {
    if (node.type === 'npm') continue;
    for (const { spec, file } of importsUnder(join(node.data.root, 'src'))) {
      const pkgName = spec.split('/').slice(0, 2).join('/');
      const target = byPackageName.get(pkgName);
      // Tests and their support files may use the private testing package (its fixtures, arbitraries, harness);
      // they never ship (files: ["dist"], and tests are excluded from the build).
      if (target && isTestFile(file) && tagsOf(target).includes('scope:testing')) continue;
      if (target && target !== id) (graph.dependencies[id] ??= []).push({ target, type: `import in ${file}` });
    }
  }
  for (const [id, node] of Object.entries(graph.nodes)) {
    if (node.type === 'npm' || !tagsOf(id).includes('scope:testing')) continue;
    for (const file of sourceFiles(join(node.data.root, 'src'))) {
      if (isTestFile(file)) continue;
      for (const { spec, names } of lowbitReexports(readFileSync(file, 'utf8'), file)) {
        problems.push(`${id}: ${file} re-exports ${names.join(', ')} from ${spec}; tests that may import only ${id} would reach ${spec} through it (give ${id} its own fixture API instead)`);
      }
    }
  }
  for (const [source, deps] of Object.entries(graph.dependencies)) {
    if (!graph.nodes[source] || graph.nodes[source].type === 'npm') continue;
    const sourceTags = tagsOf(source);
    const rule = rules.find((r) => sourceTags.includes(r.sourceTag));
    if (!rule) {
      problems.push(`${source}: no boundary rule for its tags [${sourceTags.join(', ')}]`);
      continue;
    }
    for (const dep of deps) {
      if (!graph.nodes[dep.target] || dep.target.startsWith('npm:')) continue;
      const allowed = rule.onlyDependOnLibsWithTags;
      const ok = allowed.includes('*') || tagsOf(dep.target).some((t) => allowed.includes(t));
      if (!ok) problems.push(`${source} -> ${dep.target} (${dep.type}) is not allowed: ${rule.sourceTag} may depend only on [${allowed.join(', ')}]`);
    }
  }
  if (problems.length) {
    console.error(`module boundaries: ${problems.length} violation(s)\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`module boundaries: ${Object.keys(graph.nodes).length} projects, all dependency edges allowed`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function readPackageName(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
  } catch {
    return undefined;
  }
}

function* importsUnder(dir) {
  for (const path of sourceFiles(dir)) {
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"](@lowbit\/[^'"]+)['"]/g)) yield { spec: m[1], file: path };
  }
}

