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
 * An A/B of two already-optimized graphs of one model (`variants`: { A, B }, each run with graphOptimization 'none'):
 * sessions of `threads` threads, 10 warm-up runs each, the outputs compared byte for byte, then `rounds` alternating
 * rounds; prints one line of medians and B/A prefixed by `label`. `Session` / `Tensor` come from the caller's
 * @lowbit/runtime (this module imports no package).
 */
export async function abGraphs({ Session, Tensor }, variants, { input, dims, sample }, rounds, threads, label) {
  const sessions = Object.fromEntries(await Promise.all(Object.entries(variants).map(async ([k, m]) => [k, await Session.create(m, { graphOptimization: 'none', threads })])));
  const x = new Tensor('float32', sample(99), dims);
  const outs = {};
  for (const [k, s] of Object.entries(sessions)) for (let i = 0; i < 10; i++) outs[k] = s.runSync({ [input]: x });
  const same = sameOutputs(outs.A, outs.B);
  const t = alternate(['A', 'B'], rounds, (k) => sessions[k].runSync({ [input]: x }));
  const [a, b] = [median(t.A), median(t.B)];
  console.log(`${label}: A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, B/A ${(b / a).toFixed(3)}, same output bytes: ${same}`);
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
