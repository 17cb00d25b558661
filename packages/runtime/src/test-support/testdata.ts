/**
 * Locates the shared test data for runtime tests: `$LOWBIT_TESTDATA`, else `<repo>/../shared/testdata`.
 * Same rule as `testdataPath` in @lowbit/testing, which runtime may not import (tools/module-boundaries.json has no
 * runtime -> testing arrow). Throws when the folder is missing, so a test that needs the data fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'lowbit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('runtime tests: cannot find the lowbit repository root');
    dir = up;
  }
}

export function testdataPath(...parts: string[]): string {
  const base = process.env.LOWBIT_TESTDATA ?? resolve(repoRoot(), '..', 'shared', 'testdata');
  if (!existsSync(base)) throw new Error(`runtime tests: test data folder not found at ${base} (set LOWBIT_TESTDATA)`);
  return join(base, ...parts);
}
