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

/** The `p` quantile (0..1) of `xs`, the nearest rank below. */
export const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];

/** A run's results (name -> tensor) copied, for comparing after the session runs again. */
export const copyOutputs = (results) => Object.fromEntries(Object.entries(results).map(([n, t]) => [n, { data: t.data.slice() }]));

/** Two runs' results (name -> tensor) hold the same outputs, byte for byte. */
export function sameOutputs(a, b) {
  const bytes = (t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => b[n] !== undefined && Buffer.compare(bytes(a[n]), bytes(b[n])) === 0);
}

/**
 * An in-process A/B: `rounds` rounds, each timing `run(side)` once per side, in the given order on even rounds and
 * reversed on odd ones (A B B A ...), so drift and other load on the machine hit every side alike. Returns each side's
 * times in ms, divided by `per` (the runs one `run` call makes).
 */
export function alternate(sides, rounds, run, per = 1) {
  const times = Object.fromEntries(sides.map((s) => [s, []]));
  const back = [...sides].reverse();
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? back : sides) {
      const t0 = performance.now();
      run(s);
      times[s].push((performance.now() - t0) / per);
    }
  }
  return times;
}

/**
 * Prints an A/B over the float / static / dynamic variants of one model (`times` keyed `${variant} A|B`, from
 * `alternate`): medians and 10th percentiles (on a shared machine, the runs that found the other core free), B/A per
 * variant, each side's int8 / float speed-ups, and whether A and B gave the same output bytes (`same[variant]`).
 */
export function printVariantAB(times, variants, same) {
  for (const [label, f] of [['median', median], ['10th percentile', (v) => percentile(v, 0.1)]]) {
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, f(v)]));
    console.log(` ${label}:`);
    for (const k of variants) console.log(`  ${k.padEnd(8)} A ${m[`${k} A`].toFixed(3)} ms  B ${m[`${k} B`].toFixed(3)} ms  B/A ${(m[`${k} B`] / m[`${k} A`]).toFixed(3)}  same bytes: ${same[k]}`);
    for (const s of ['A', 'B']) console.log(`  ${s}: static ${(m[`float ${s}`] / m[`static ${s}`]).toFixed(2)}x, dynamic ${(m[`float ${s}`] / m[`dynamic ${s}`]).toFixed(2)}x vs float`);
  }
}
