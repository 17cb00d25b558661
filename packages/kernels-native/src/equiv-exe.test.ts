/**
 * The standalone C++ equivalence executable (build/Release/lowbit_equiv, built with the addon): every int8 and float
 * GEMM kernel this CPU runs against a naive reference, without Node in the loop. When the build did not happen the
 * test says so and checks that the backend reports it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createNativeBackend } from './backend.js';

const exe = fileURLToPath(new URL('../build/Release/lowbit_equiv', import.meta.url));

describe('standalone C++ equivalence executable', () => {
  it('passes every check for every kernel this CPU runs (or the addon is reported absent)', async () => {
    if (!existsSync(exe)) {
      const b = createNativeBackend();
      await b.init();
      console.log(`kernels-native: ${exe} not built; the backend says: ${b.diagnostics.join('; ')}`);
      expect(b.ready).toBe(false);
      return;
    }
    const r = spawnSync(exe, ['--quick'], { encoding: 'utf8', timeout: 60_000 });
    console.log(r.stdout);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\b0 failures/);
    expect(r.stdout).toMatch(/^ok {3}scalar-c: \d+ int8 cases$/m);
  });
});
