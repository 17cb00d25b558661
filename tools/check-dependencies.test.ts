import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDependencies } from './check-dependencies.mjs';

const root = mkdtempSync(join(tmpdir(), 'lowbit-deps-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe('tools/check-dependencies.mjs on fixture packages', () => {
  it('passes when the declarations match what the shipped code imports', () => {
    write('packages/a/package.json', JSON.stringify({ name: '@fx/a', dependencies: { '@fx/b': '1', gyp: '1', lib: '1' }, devDependencies: { builder: '1' } }));
    write('packages/a/src/index.ts', "import { b } from '@fx/b/sub';\nimport type { T } from 'lib';\nimport { readFileSync } from 'node:fs';\nimport path from 'path';\nexport * from './own.js';\n");
    write('packages/a/scripts/build.mjs', "import { compile } from 'builder';\nconst gyp = createRequire(import.meta.url).resolve('gyp/bin/gyp.js');\n");
    write('packages/a/src/a.test.ts', "import fc from 'fast-check';\n");
    write('packages/a/src/test-support/x.ts', "import { vi } from 'vitest';\n");
    write('packages/b/package.json', JSON.stringify({ name: '@fx/b' }));
    expect(checkDependencies(root)).toEqual([]);
  });

  it('names an import that package.json does not declare, and a dependency nothing imports', () => {
    write('packages/b/package.json', JSON.stringify({ name: '@fx/b', dependencies: { unused: '1' }, devDependencies: { onlydev: '1' } }));
    write('packages/b/src/index.ts', "// import { x } from 'commented-out';\nexport const f = async () => (await import('lazy')).run();\nimport { g } from 'onlydev';\n");
    expect(checkDependencies(root)).toEqual([
      '@fx/b: packages/b/src/index.ts imports lazy, which package.json does not declare',
      '@fx/b: packages/b/src/index.ts imports onlydev, which package.json does not declare',
      '@fx/b: dependency unused is declared but nothing it ships imports it (remove it, or import it where it is needed)',
    ]);
  });

  it('lets a private package use its devDependencies', () => {
    write('packages/b/package.json', JSON.stringify({ name: '@fx/b', private: true, dependencies: { lazy: '1' }, devDependencies: { onlydev: '1' } }));
    expect(checkDependencies(root)).toEqual([]);
  });
});
