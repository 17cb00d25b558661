import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file whose package.json is the `lowbit` workspace. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'lowbit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('testing: cannot find the lowbit repository root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/**
 * A path under the shared test data: `$LOWBIT_TESTDATA` or `<repo>/../shared/testdata`.
 * Throws when the folder is missing, so a test that needs the data fails instead of silently passing.
 */
export function testdataPath(...parts: string[]): string {
  const base = process.env.LOWBIT_TESTDATA ?? resolve(repoRoot(), '..', 'shared', 'testdata');
  if (!existsSync(base)) throw new Error(`testing: test data folder not found at ${base} (set LOWBIT_TESTDATA)`);
  return join(base, ...parts);
}
