// Test-data locator for this package's tests. @lowbit/calibrators may not depend on @lowbit/testing (the module
// boundary rule is calibrators -> qparams only), so this mirrors @lowbit/testing's testdataPath: $LOWBIT_TESTDATA,
// or <repo root>/../shared/testdata, failing loudly when the folder is missing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'lowbit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the lowbit repository root');
    dir = up;
  }
}

export function testdataPath(...parts) {
  const base = process.env.LOWBIT_TESTDATA ?? resolve(repoRoot(), '..', 'shared', 'testdata');
  if (!existsSync(base)) throw new Error(`test data folder not found at ${base} (set LOWBIT_TESTDATA)`);
  return join(base, ...parts);
}
