/**
 * The backend's glibc malloc tuning (backend.ts, MALLOC_MMAP_THRESHOLD): the option and the environment variable turn
 * it off, the diagnostic says what happened, and, in child processes that load the addon, it really stops large
 * freed blocks from being handed back to the OS (measured as minor page faults when the next batch is written).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createNativeBackend, MALLOC_MMAP_THRESHOLD, MALLOC_RETAIN } from './backend.js';

const addonPath = fileURLToPath(new URL('../build/Release/lowbit_native.node', import.meta.url));
const glibc = process.platform === 'linux' && Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);
const userMalloc = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_'].find((v) => process.env[v] !== undefined) ?? (/glibc\.malloc\./.test(process.env.GLIBC_TUNABLES ?? '') ? 'GLIBC_TUNABLES' : undefined);

/**
 * Writes 6 batches of 24 fresh Int32Arrays of about 1.5 MiB (a session's MatMulInteger 128 x 3072 output), dropping
 * each batch and collecting it before the next; prints the minor page faults of writing batches 3 to 6. Each batch's
 * arrays are 16 KiB longer than the last (outputs of a few sizes), so glibc's dynamic mmap threshold, which rises to
 * the largest mmapped block freed so far, never catches up: untuned, every array is a fresh mmap. (With one size the
 * untuned figure depends on when V8 frees the batch relative to glibc's trim, 1 to 5 batches of faults here.) Batch 2
 * is not counted: V8 may still be freeing batch 1 while it is written.
 */
const child = `
const addon = require(process.env.ADDON);
if (process.env.TUNE === '1') {
  const r = addon.tuneMalloc(Number(process.env.MMAP), Number(process.env.TRIM));
  if (!r.applied) throw new Error('not applied: ' + r.reason);
}
(async () => {
  let faults = 0;
  for (let round = 0; round < 6; round++) {
    const f0 = process.resourceUsage().minorPageFault;
    let batch = [];
    for (let i = 0; i < 24; i++) batch.push(new Int32Array(393216 + round * 4096).fill(i + 1));
    if (round > 1) faults += process.resourceUsage().minorPageFault - f0;
    batch = null;
    gc();
    gc();
    await new Promise((r) => setTimeout(r, 30));
  }
  console.log(JSON.stringify({ faults }));
})();
`;

function faultsWith(tune: boolean): number {
  const env: NodeJS.ProcessEnv = { ...process.env, ADDON: addonPath, TUNE: tune ? '1' : '0', MMAP: String(MALLOC_MMAP_THRESHOLD), TRIM: String(MALLOC_RETAIN) };
  for (const v of ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_', 'GLIBC_TUNABLES']) delete env[v];
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', child], { env, encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { faults: number }).faults;
}

describe('glibc malloc tuning', () => {
  const saved = process.env.LOWBIT_MALLOC_TUNING;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOWBIT_MALLOC_TUNING;
    else process.env.LOWBIT_MALLOC_TUNING = saved;
  });

  it('is off with mallocTuning: false or LOWBIT_MALLOC_TUNING=0, on by default on glibc, and says so in diagnostics', async () => {
    const off = createNativeBackend({ mallocTuning: false });
    await off.init({ threads: 1 });
    if (!off.ready) {
      console.log(`kernels-native: addon not loaded: ${off.diagnostics.join('; ')}`);
      expect(off.mallocTuning).toBeUndefined();
      return;
    }
    expect(off.mallocTuning).toEqual({ applied: false, reason: 'off by the option mallocTuning: false' });
    expect(off.diagnostics).toContain('malloc tuning not applied: off by the option mallocTuning: false');

    process.env.LOWBIT_MALLOC_TUNING = '0';
    const envOff = createNativeBackend();
    await envOff.init({ threads: 1 });
    expect(envOff.mallocTuning).toEqual({ applied: false, reason: 'off by LOWBIT_MALLOC_TUNING=0' });
    delete process.env.LOWBIT_MALLOC_TUNING;

    const on = createNativeBackend();
    await on.init({ threads: 1 });
    const line = on.diagnostics.find((d) => d.startsWith('malloc tuning'));
    if (!glibc) {
      expect(on.mallocTuning).toEqual({ applied: false, reason: 'malloc is not glibc\'s: nothing to tune' });
    } else if (userMalloc) {
      expect(on.mallocTuning?.applied).toBe(false);
      expect(line).toContain(`the environment sets ${userMalloc}`);
    } else {
      expect(on.mallocTuning).toEqual({ applied: true, reason: 'glibc malloc: M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD and M_TOP_PAD 64 MiB' });
      expect(line).toBe('malloc tuning on: glibc malloc: M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD and M_TOP_PAD 64 MiB');
    }
    // Process-wide: a later backend reports the first decision.
    const again = createNativeBackend();
    await again.init({ threads: 1 });
    expect(again.mallocTuning?.applied).toBe(on.mallocTuning?.applied);
    expect(again.mallocTuning?.reason).toContain('decided by an earlier call in this process');
  });

  it('keeps freed 1.5 MiB blocks mapped: writing the next batch of fresh arrays no longer faults every page', () => {
    if (!glibc || !existsSync(addonPath)) {
      console.log(`kernels-native: ${glibc ? `${addonPath} not built` : 'not glibc'}: nothing to measure`);
      expect(glibc && existsSync(addonPath)).toBe(false);
      return;
    }
    const without = faultsWith(false);
    const withTuning = faultsWith(true);
    console.log(`minor page faults writing 4 batches of 24 x 1.5 MiB: ${without} with glibc's defaults, ${withTuning} tuned`);
    // Untuned, each batch faults most of its 24 x 388+ pages again (each array a fresh mmap, unmapped by free).
    expect(without).toBeGreaterThan(4 * 24 * 384 * 0.5);
    expect(withTuning).toBeLessThan(without / 8);
  });
});
