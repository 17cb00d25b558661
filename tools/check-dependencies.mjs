#!/usr/bin/env node
// Declared dependencies match the imports: for every package in packages/*, each package its shipped code imports
// (src/ without tests and test-support, bin/, scripts/, binding.gyp) is declared in dependencies, peerDependencies
// or optionalDependencies (a private package may also use its devDependencies, and so may scripts/, which build the
// package from source), and each entry of `dependencies` is imported by that code. Static, dynamic and type-only imports, require() and require.resolve() all count.
//
//   node tools/check-dependencies.mjs [--root DIR]    DIR holds packages/ (default: this repository)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isTestFile, sourceFiles } from './source-files.mjs';

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*|\bcreateRequire\([^)]*\)\.resolve\s*\(\s*)['"]([^'"$`]+)['"]/g;
const builtins = new Set(builtinModules);

/** Shipped source files under `dir` (no tests, no test-support). */
function* files(dir) {
  for (const p of sourceFiles(dir)) if (!isTestFile(p)) yield p;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for relative and builtins. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('#')) return undefined;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  return builtins.has(name) ? undefined : name;
}

/** Problems as lines, one per undeclared import or unused dependency. */
export function checkDependencies(root) {
  const problems = [];
  const base = join(root, 'packages');
  for (const dirName of readdirSync(base).sort()) {
    const dir = join(base, dirName);
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    const deps = Object.keys(pkg.dependencies ?? {});
    const declared = new Set([...deps, ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...(pkg.private ? Object.keys(pkg.devDependencies ?? {}) : [])]);
    const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
    const used = new Set();
    const undeclared = new Map(); // package -> first file importing it
    const shipped = [...files(join(dir, 'src')), ...files(join(dir, 'bin')), ...files(join(dir, 'scripts'))];
    if (existsSync(join(dir, 'binding.gyp'))) shipped.push(join(dir, 'binding.gyp'));
    for (const f of shipped) {
      const buildScript = relative(dir, f).startsWith('scripts');
      const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
      for (const m of text.matchAll(SPEC)) {
        const name = packageOf(m[1]);
        if (name === undefined || name === pkg.name) continue;
        used.add(name);
        if (!declared.has(name) && !(buildScript && dev.has(name)) && !undeclared.has(name)) undeclared.set(name, f);
      }
    }
    for (const [name, file] of undeclared) problems.push(`${pkg.name}: ${relative(root, file)} imports ${name}, which package.json does not declare`);
    for (const name of deps) {
      if (!used.has(name)) problems.push(`${pkg.name}: dependency ${name} is declared but nothing it ships imports it (remove it, or import it where it is needed)`);
    }
  }
  return problems;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const rootArg = args.indexOf('--root');
  const root = resolve(rootArg >= 0 ? args[rootArg + 1] : join(import.meta.dirname, '..'));
  const problems = checkDependencies(root);
  if (problems.length) {
    console.error(`dependencies: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log(`dependencies: declared dependencies match the imports of ${readdirSync(join(root, 'packages')).length} packages`);
  }
}
