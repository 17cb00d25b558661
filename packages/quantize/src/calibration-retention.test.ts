/**
 * Issue 18: static calibration keeps statistics only. A model with 4 MiB activations is calibrated (entropy: first
 * pass, histogram pass, observed min/max pass; and minmax) over 8 batches in a separate `node --expose-gc` process
 * (test-support/calibration-retention.mjs, built dist) that holds WeakRefs to every feed and every observed value:
 * after a garbage collection when each new batch starts running, no feed or activation of an earlier batch is still
 * reachable, and the statistics file stays small. (Checked, nothing needed fixing: calibrators reduce each value to
 * statistics inside the value hook, and the runtime frees values after their last use.)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./test-support/calibration-retention.mjs', import.meta.url));

describe('calibration memory', () => {
  for (const method of ['entropy', 'minmax']) {
    it(`${method}: no activation or feed outlives its batch`, () => {
      const out = execFileSync(process.execPath, ['--expose-gc', script, method, '8', String(1 << 20)], { encoding: 'utf8', timeout: 120_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      // The quantized Convs' inputs are observed: x (the feed) and r (the Relu output), in every batch of every pass
      // (entropy reads the data more than once: bin-edge pass, then statistics).
      expect(r.kinds).toEqual(['feed', 'r', 'x']);
      expect(r.observed % (8 * 2)).toBe(0);
      expect(r.observed).toBeGreaterThanOrEqual(method === 'entropy' ? 2 * 8 * 2 : 8 * 2);
      expect(r.maxAlive).toBe(0);
      expect(r.aliveAtEnd).toBe(0);
      expect(r.statsBytes).toBeLessThan(64 * 1024);
    }, 180_000);
  }
});
