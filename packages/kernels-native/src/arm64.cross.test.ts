/**
 * arm64: cross-builds the NEON and dot-product kernels with the standalone equivalence executable and runs it under
 * qemu-user, on a CPU with the dot product and on one without (so both dispatch paths run). Needs
 * g++-aarch64-linux-gnu and qemu-user; where they are absent (CI machines unless the project installs them) the test
 * prints why and checks only that the arm64 translation units are part of the build.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { crossArm64 } from '../scripts/cross-arm64.mjs';

type Result = { skipped: string } | { runs: { cpu: string; status: number | null; stdout: string }[] };

describe('arm64 cross build under qemu', () => {
  it('NEON and NEON-dot kernels pass the equivalence executable (or the tools are absent and this says so)', async () => {
    const res = (await crossArm64({ quick: true })) as Result;
    if ('skipped' in res) {
      console.log(`arm64 cross test skipped: ${res.skipped}`);
      const gyp = readFileSync(new URL('../binding.gyp', import.meta.url), 'utf8');
      for (const unit of ['qgemm_neon.cc', 'qgemm_neondot.cc', 'fgemm_neon.cc']) expect(gyp).toContain(unit);
      return;
    }
    console.log(`arm64 cross test ran under qemu:\n${res.runs.map((r) => `-cpu ${r.cpu}: exit ${r.status}\n${r.stdout}`).join('\n')}`);
    const [withDot, withoutDot] = res.runs;
    expect(withDot.status).toBe(0);
    expect(withDot.stdout).toMatch(/^ok {3}neon-dot: \d+ int8 cases$/m);
    expect(withDot.stdout).toMatch(/^ok {3}neon: \d+ int8 cases$/m);
    expect(withDot.stdout).toMatch(/^ok {3}float neon: \d+ cases$/m);
    expect(withoutDot.status).toBe(0);
    expect(withoutDot.stdout).toMatch(/^skip neon-dot: not supported by this CPU$/m);
    expect(withoutDot.stdout).toMatch(/\b0 failures/);
  }, 180_000);
});
