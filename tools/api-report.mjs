#!/usr/bin/env node
// API report per published package: for every package in packages/* that is not private, the names its entry points
// (the `exports` map of package.json, `types` condition) export, each with its kind and its declaration as the
// published .d.ts states it (comments dropped, printed by the TypeScript compiler). The report is checked in as
// packages/<pkg>/api-report.md, so a change to a public API shows in review.
//
//   node tools/api-report.mjs            compare with the checked-in reports; exit 1 listing added, removed and
//                                        changed names (with the changed declaration lines) when they differ
//   node tools/api-report.mjs --update   (re)write the reports
//   --root DIR                           the folder holding packages/ (default: this repository)
//
// Reads the built declarations (dist/): run after `npm run build`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const REPORT = 'api-report.md';

/** Published packages: { dir, name, entries: [{ subpath, dts }] }, sorted by folder name. */
function publishedPackages(root) {
  const base = join(root, 'packages');
  const out = [];
  for (const dirName of readdirSync(base).sort()) {
    const dir = join(base, dirName);
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    if (pkg.private === true) continue;
    const entries = [];
    for (const [subpath, target] of Object.entries(normalizeExports(pkg))) {
      const types = typesOf(target);
      if (types === undefined) continue; // ./package.json and other non-code entries
      entries.push({ subpath, dts: join(dir, types) });
    }
    out.push({ dir, name: pkg.name, entries: entries.sort((a, b) => cmp(a.subpath, b.subpath)) });
  }
  return out;
}

function normalizeExports(pkg) {
  const e = pkg.exports;
  if (e === undefined) return pkg.types ? { '.': { types: pkg.types } } : {};
  if (typeof e === 'string' || Object.keys(e).every((k) => !k.startsWith('.'))) return { '.': e };
  return e;
}

/** The declaration file an export target names: its `types` condition, searched depth first. */
function typesOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  if (typeof target.types === 'string') return target.types;
  for (const v of Object.values(target)) {
    const t = typesOf(v);
    if (t !== undefined) return t;
  }
  return undefined;
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

const KIND = [
  [ts.isFunctionDeclaration, 'function'],
  [ts.isClassDeclaration, 'class'],
  [ts.isInterfaceDeclaration, 'interface'],
  [ts.isTypeAliasDeclaration, 'type'],
  [ts.isEnumDeclaration, 'enum'],
  [ts.isModuleDeclaration, 'namespace'],
  [ts.isVariableDeclaration, 'variable'],
];

function kindOf(decl) {
  for (const [is, kind] of KIND) {
    if (is(decl)) {
      if (kind !== 'variable') return kind;
      return decl.parent.flags & ts.NodeFlags.Const ? 'const' : decl.parent.flags & ts.NodeFlags.Let ? 'let' : 'var';
    }
  }
  return ts.SyntaxKind[decl.kind];
}

/** One declaration as the .d.ts states it, without comments and without `export` / `declare` / `default`. */
function declarationText(decl) {
  const sf = decl.getSourceFile();
  let text = printer.printNode(ts.EmitHint.Unspecified, decl, sf);
  if (ts.isVariableDeclaration(decl)) text = `${kindOf(decl)} ${text};`;
  return text.replace(/^(export\s+)?(default\s+)?(declare\s+)?/, '');
}

/** Whether a value (class, function, const) is exported only as a type (`export type { X }` on the way). */
function typeOnly(symbol, target) {
  if (!(target.flags & ts.SymbolFlags.Value)) return false;
  return (symbol.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
}

/** { subpath -> [{ name, kind, text }] } for one package, names sorted. */
function reportOf(root, program, checker, pkg) {
  const entries = [];
  for (const { subpath, dts } of pkg.entries) {
    const sf = program.getSourceFile(dts);
    if (!sf) throw new Error(`${pkg.name}: entry point "${subpath}" names ${relative(root, dts)}, which does not exist (run npm run build)`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const names = [];
    for (const exported of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = (target.declarations ?? []).filter((d) => !ts.isSourceFile(d));
      if (decls.length === 0) {
        // `export * as ns from`: a module object; list the names it carries.
        const inner = checker.getExportsOfModule(target).map((s) => s.name).sort(cmp);
        names.push({ name: exported.name, kind: 'namespace', text: `{ ${inner.join(', ')} }` });
        continue;
      }
      const kinds = [...new Set(decls.map(kindOf))].join(' + ');
      const text = decls.map(declarationText).join('\n');
      names.push({ name: exported.name, kind: typeOnly(exported, target) ? `${kinds}, type-only export` : kinds, text });
    }
    entries.push({ subpath, names: names.sort((a, b) => cmp(a.name, b.name)) });
  }
  return entries;
}

function render(pkg, entries) {
  const lines = [
    `# API report: ${pkg.name}`,
    '',
    'The public names of this package\'s entry points and their declarations, as the published `dist/*.d.ts` states',
    'them. Generated by `node tools/api-report.mjs --update`; `npm test` fails when it is out of date.',
  ];
  for (const { subpath, names } of entries) {
    lines.push('', `## Entry point \`${subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`}\``, '', `${names.length} names.`);
    for (const { name, kind, text } of names) lines.push('', `### \`${name}\` (${kind})`, '', '```ts', text, '```');
  }
  return `${lines.join('\n')}\n`;
}

/** Parses a report back into Map<"entry name", block text> (the inverse of render, for the diff). */
function parse(text) {
  const out = new Map();
  let entry = '';
  let current;
  for (const line of text.split('\n')) {
    const e = /^## Entry point `(.*)`$/.exec(line);
    if (e) {
      entry = e[1];
      current = undefined;
      continue;
    }
    const n = /^### `(.*)` \((.*)\)$/.exec(line);
    if (n) {
      current = `${entry} ${n[1]}`;
      out.set(current, [`(${n[2]})`]);
      continue;
    }
    if (current !== undefined && line !== '' && !line.startsWith('```')) out.get(current).push(line);
  }
  return new Map([...out].map(([k, v]) => [k, v.join('\n')]));
}

function describeDiff(pkgName, oldText, newText) {
  const before = parse(oldText);
  const after = parse(newText);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  const out = [`${pkgName}: public API differs from ${REPORT}`];
  const label = (k) => k.slice(k.indexOf(' ') + 1) + (k.startsWith(`${pkgName} `) ? '' : ` (entry ${k.slice(0, k.indexOf(' '))})`);
  if (added.length) out.push(`  added (${added.length}): ${added.map(label).join(', ')}`);
  if (removed.length) out.push(`  removed (${removed.length}): ${removed.map(label).join(', ')}`);
  for (const k of changed) {
    out.push(`  changed: ${label(k)}`);
    const a = before.get(k).split('\n');
    const b = after.get(k).split('\n');
    for (const l of a.filter((x) => !b.includes(x))) out.push(`    - ${l.trim()}`);
    for (const l of b.filter((x) => !a.includes(x))) out.push(`    + ${l.trim()}`);
  }
  if (!added.length && !removed.length && !changed.length) out.push('  (layout or header lines differ)');
  return out.join('\n');
}

/**
 * Builds every published package's report under `root` and compares it with the checked-in one (or rewrites it when
 * `update`). Returns the exit status and the message to print.
 */
export function apiReport(root, { update = false } = {}) {
  const packages = publishedPackages(root);
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    // Declarations are printed, never type-checked: no default library, no @types.
    noLib: true,
    types: [],
  };
  const rootNames = packages.flatMap((p) => p.entries.map((e) => e.dts)).filter((f) => existsSync(f));
  const program = ts.createProgram({ rootNames, options });
  const checker = program.getTypeChecker();
  const problems = [];
  let written = 0;
  for (const pkg of packages) {
    const text = render(pkg, reportOf(root, program, checker, pkg));
    const file = join(pkg.dir, REPORT);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (old === text) continue;
    if (update) {
      writeFileSync(file, text);
      written++;
    } else if (old === undefined) {
      problems.push(`${pkg.name}: no ${relative(root, file)} (run node tools/api-report.mjs --update)`);
    } else {
      problems.push(describeDiff(pkg.name, old, text));
    }
  }
  if (problems.length) {
    return {
      status: 1,
      message: `api reports: ${problems.length} package(s) out of date\n${problems.join('\n')}\nIf the change is intended, run node tools/api-report.mjs --update and commit the reports.`,
    };
  }
  return { status: 0, message: update ? `api reports: ${written} of ${packages.length} rewritten` : `api reports: ${packages.length} packages match` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const rootArg = args.indexOf('--root');
  const root = resolve(rootArg >= 0 ? args[rootArg + 1] : join(import.meta.dirname, '..'));
  try {
    const { status, message } = apiReport(root, { update: args.includes('--update') });
    (status === 0 ? console.log : console.error)(message);
    process.exitCode = status;
  } catch (e) {
    console.error(`api reports: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  }
}
