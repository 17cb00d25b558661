#!/usr/bin/env node
// Scaffold a workspace package: package.json (exports map, nx tag), tsconfig.json, README stub, src/index.ts.
// Usage: node tools/new-package.mjs NAME "description" [dep ...] [--private]
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description, ...rest] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node tools/new-package.mjs NAME "description" [dep ...] [--private]');
  process.exit(2);
}
const isPrivate = rest.includes('--private');
const deps = rest.filter((d) => d !== '--private');
const dir = join('packages', name);
mkdirSync(join(dir, 'src'), { recursive: true });
const pkg = {
  name: `@lowbit/${name}`,
  version: '0.1.0',
  description,
  ...(isPrivate ? { private: true } : {}),
  license: 'Apache-2.0',
  type: 'module',
  sideEffects: false,
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  files: ['dist'],
  engines: { node: '>=20.18' },
  nx: { tags: [`scope:${name}`] },
  dependencies: Object.fromEntries(deps.map((d) => [`@lowbit/${d}`, '0.1.0'])),
};
if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
const tsconfig = {
  extends: '../../tsconfig.base.json',
  compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
  include: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.bench.ts', 'src/**/test-support/**'],
  references: deps.map((d) => ({ path: `../${d}` })),
};
writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
if (!existsSync(join(dir, 'src/index.ts'))) writeFileSync(join(dir, 'src/index.ts'), '');
const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8'));
if (!build.references.some((r) => r.path === `packages/${name}`)) {
  build.references.push({ path: `packages/${name}` });
  writeFileSync('tsconfig.build.json', JSON.stringify(build, null, 2) + '\n');
}
console.log(`scaffolded ${dir}`);
