import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { fuzzCase, loadSeeds, materialize, runCase } from './fuzz-harness.mjs';

// Mutated and spliced copies of the shared models (bytes and parsed IR) through decode -> load checks -> verify ->
// Session.create (js) -> run: only LowbitErrors escape, each case ends within 1 s (of CPU time), memory stays bounded. Seeded and
// bounded in time; `node tools/fuzz.mjs --count 10000` is the long run.
describe('fuzzing the model pipeline', () => {
  it('only LowbitError subclasses escape; every case ends within 1 s; memory stays bounded', async () => {
    const seeds = loadSeeds(testdataPath());
    const rss0 = process.memoryUsage().rss;
    let cases = 0;
    const stages = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const r = await runCase(materialize(c, seeds)); // rejects on anything but a LowbitError
        cases++;
        stages.set(r.stage, (stages.get(r.stage) ?? 0) + 1);
        // CPU time: wall-clock time on a machine shared with other jobs measures them, not the case.
        expect(r.cpuMs).toBeLessThan(1000);
      }),
      { seed: 20261206, numRuns: 3000, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false },
    );
    expect(cases).toBeGreaterThan(200);
    // The mutations reach every stage: some inputs are refused early, some build sessions, some run.
    for (const s of ['decode', 'check', 'ran']) expect(stages.get(s) ?? 0).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(1024 * 2 ** 20);
  }, 40_000);
});
