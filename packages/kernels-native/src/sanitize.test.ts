/**
 * The standalone C++ equivalence executable built with AddressSanitizer + UndefinedBehaviorSanitizer
 * (scripts/sanitize.mjs): every x86 kernel this CPU runs is checked against the naive reference while the sanitizers
 * watch every read and write. A first check proves the toolchain really sanitizes (a one-byte heap overflow must be
 * caught), so a clean run means something. Where g++ cannot link the sanitizer runtimes, or off x86-64, the test says
 * why and checks nothing else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { sanitizedEquivalence } from '../scripts/sanitize.mjs';

type Result = { skipped: string } | { status: number | null; stdout: string };

describe('sanitizer build of the C++ equivalence executable', () => {
  it('catches a planted out-of-bounds write, then runs every kernel clean under ASan + UBSan', async () => {
    const res = (await sanitizedEquivalence({ quick: true })) as Result;
    if ('skipped' in res) {
      console.log(`sanitizer build skipped: ${res.skipped}`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-asan-'));
    try {
      const src = join(dir, 'oob.cc');
      writeFileSync(src, '#include <cstdlib>\nint main(int argc, char**) { char* p = static_cast<char*>(std::malloc(16)); p[16 + argc - 1] = 1; std::free(p); return 0; }\n');
      const build = spawnSync(process.env.CXX || 'g++', ['-fsanitize=address,undefined', '-g', src, '-o', join(dir, 'oob')], { encoding: 'utf8' });
      expect(build.status).toBe(0);
      const planted = spawnSync(join(dir, 'oob'), [], { encoding: 'utf8' });
      expect(planted.status).not.toBe(0);
      expect(planted.stderr).toMatch(/heap-buffer-overflow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(res.stdout);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/\b0 failures/);
    expect(res.stdout).not.toMatch(/runtime error|AddressSanitizer/);
  }, 300_000);
});
