import { SingleBar, Presets } from 'cli-progress';
import type { Io } from './io.js';

export interface Progress {
  tick(): void;
  stop(): void;
}

const NONE: Progress = { tick() {}, stop() {} };

/**
 * A progress bar on stderr when the CLI is interactive (a terminal, not CI, not --json); otherwise nothing.
 * With an unknown total the bar shows a running count.
 */
export function progress(io: Io, label: string, total: number | undefined): Progress {
  if (!io.interactive) return NONE;
  const bar = new SingleBar(
    { format: total ? `${label} [{bar}] {value}/{total}` : `${label} {value}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return {
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
