// Helpers every benchmark script shares: a seeded generator, seeded float data, the median, and the CPU model line
// each recorded figure must carry.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** mulberry32: a generator of floats in [0, 1) from a 32-bit seed (same sequence on every machine). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` float32 values uniform in [lo, hi), from `seed`. */
export function seeded(seed, n, lo, hi) {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The CPU model as /proc/cpuinfo (or os.cpus()) names it. */
export function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/);
    if (m) return m[1];
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}
