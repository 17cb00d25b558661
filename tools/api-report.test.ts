import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiReport } from './api-report.mjs';

const tool = join(import.meta.dirname, 'api-report.mjs');
const root = mkdtempSync(join(tmpdir(), 'lowbit-api-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writePackage(dir: string, pkg: object, files: Record<string, string>): void {
  mkdirSync(join(root, 'packages', dir, 'dist'), { recursive: true });
  writeFileSync(join(root, 'packages', dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'packages', dir, 'dist', name), text);
}

function run(...args: string[]): { status: number | null; out: string } {
  const { status, message } = apiReport(root, { update: args.includes('--update') });
  return { status, out: message };
}

/** The command line, as `npm test` runs it. */
function runCli(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [tool, '--root', root, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const exportsMap = { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' };
const more = 'export declare function g(): void;\nexport declare class Hidden {\n    private x;\n}\n';

describe('tools/api-report.mjs on a fixture package', () => {
  it('writes a sorted report of the entry point, follows re-exports and skips private packages', () => {
    writePackage('foo', { name: '@fx/foo', type: 'module', exports: exportsMap }, {
      'index.d.ts': [
        '/** f doc (comments are dropped) */',
        'export declare function f(a: number): string;',
        'export interface Opts {\n    readonly x: number;\n}',
        'export declare const K: 3;',
        "export { g } from './more.js';",
        "export type { Hidden } from './more.js';",
      ].join('\n'),
      'more.d.ts': more,
    });
    writePackage('secret', { name: '@fx/secret', private: true, type: 'module', exports: exportsMap }, { 'index.d.ts': 'export declare const s: 1;\n' });
    const r = run('--update');
    expect(r.out).toContain('api reports: 1 of 1 rewritten');
    expect(r.status).toBe(0);
    expect(existsSync(join(root, 'packages/secret/api-report.md'))).toBe(false);
    const report = readFileSync(join(root, 'packages/foo/api-report.md'), 'utf8');
    const headers = report.split('\n').filter((l) => l.startsWith('### '));
    expect(headers).toEqual(['### `Hidden` (class, type-only export)', '### `K` (const)', '### `Opts` (interface)', '### `f` (function)', '### `g` (function)']);
    expect(report).toContain('```ts\nfunction f(a: number): string;\n```');
    expect(report).toContain('const K: 3;');
    expect(report).not.toContain('f doc');
  });

  it('passes when nothing changed', () => {
    const r = run();
    expect(r.out).toContain('api reports: 1 packages match');
    expect(r.status).toBe(0);
  });

  it('fails listing added, removed and changed names when the declarations move', () => {
    writePackage('foo', { name: '@fx/foo', type: 'module', exports: exportsMap }, {
      'index.d.ts': [
        'export declare function f(a: number, b?: number): string;',
        'export interface Opts {\n    readonly x: number;\n}',
        'export declare class Added {\n}',
        "export { g } from './more.js';",
        "export type { Hidden } from './more.js';",
      ].join('\n'),
      'more.d.ts': more,
    });
    const before = readFileSync(join(root, 'packages/foo/api-report.md'), 'utf8');
    const r = runCli();
    expect(r.status).toBe(1);
    expect(r.out).toContain('@fx/foo: public API differs from api-report.md');
    expect(r.out).toContain('added (1): Added');
    expect(r.out).toContain('removed (1): K');
    expect(r.out).toContain('changed: f');
    expect(r.out).toContain('- function f(a: number): string;');
    expect(r.out).toContain('+ function f(a: number, b?: number): string;');
    expect(r.out).not.toContain('changed: Opts');
    // The check never rewrites the report.
    expect(readFileSync(join(root, 'packages/foo/api-report.md'), 'utf8')).toBe(before);
  });

  it('a changed member of an interface counts as a change of that name only', () => {
    run('--update');
    writePackage('foo', { name: '@fx/foo', type: 'module', exports: exportsMap }, {
      'index.d.ts': [
        'export declare function f(a: number, b?: number): string;',
        'export interface Opts {\n    readonly x: string;\n}',
        'export declare class Added {\n}',
        "export { g } from './more.js';",
        "export type { Hidden } from './more.js';",
      ].join('\n'),
      'more.d.ts': more,
    });
    const r = run();
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/changed: Opts\n {4}- readonly x: number;\n {4}\+ readonly x: string;/);
    expect(r.out).not.toContain('added');
    expect(r.out).not.toContain('removed');
  });

  it('names an entry point whose declaration file is missing', () => {
    rmSync(join(root, 'packages/foo/dist/index.d.ts'));
    expect(() => run()).toThrow(/entry point "\." names packages\/foo\/dist\/index\.d\.ts, which does not exist/);
    const r = runCli();
    expect(r.status).toBe(2);
    expect(r.out).toContain('@fx/foo: entry point "." names packages/foo/dist/index.d.ts, which does not exist');
  });
});
