#!/usr/bin/env node
// Builds the standalone C++ equivalence executable with AddressSanitizer and UndefinedBehaviorSanitizer
// (-fsanitize=address,undefined, no recovery) and runs it: every kernel this CPU runs is checked against the naive
// reference while the sanitizers watch for out-of-bounds reads and writes, use after free, signed overflow and
// misaligned access. x86-64 only (the arm64 kernels are checked under qemu by cross-arm64.mjs); without a g++ that
// links the sanitizer runtimes it prints why and exits 0 (`--require` makes that exit 1).
//   node scripts/sanitize.mjs [--quick] [--require]
// Each ISA translation unit gets its own target flags from its file-name suffix, as binding.gyp gives them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from './compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const csrc = join(root, 'csrc');

const AVX2 = ['-mavx2', '-mfma'];
const AVX512 = [...AVX2, '-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq'];
/** Target flags by the ISA suffix of a source file's name (`qgemm_avx512vnni.cc` -> avx512vnni). */
const FLAGS = {
  avx2: AVX2,
  vnni: [...AVX2, '-mavxvnni'],
  avxvnni: [...AVX2, '-mavxvnni'],
  avx512: AVX512,
  avx512vnni: [...AVX512, '-mavx512vnni'],
  amx: [...AVX512, '-mavx512vnni', '-mamx-tile', '-mamx-int8'],
};
const SKIP = /(^addon(_\w+)?\.cc$)|_neon|_neondot/; // the N-API binding files need Node's headers

/** Returns { skipped: reason } or { status, stdout }. Objects newer than every source and header are reused. */
export async function sanitizedEquivalence({ quick = true } = {}) {
  if (process.arch !== 'x64') return { skipped: `the sanitizer build covers the x86-64 kernels; this is ${process.arch}` };
  const cxx = process.env.CXX || 'g++';
  const probe = spawnSync(cxx, ['-fsanitize=address,undefined', '-x', 'c++', '-', '-o', '/dev/null'], { input: 'int main(){return 0;}', encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { skipped: `${cxx} cannot link -fsanitize=address,undefined: ${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]}` };
  const out = join(root, 'build', 'sanitize');
  mkdirSync(out, { recursive: true });
  const sources = readdirSync(csrc).filter((f) => f.endsWith('.cc') && !SKIP.test(f)).sort();
  const headersNewest = Math.max(...readdirSync(csrc).filter((f) => f.endsWith('.h') || f.endsWith('.inc')).map((h) => statSync(join(csrc, h)).mtimeMs));
  const common = ['-std=c++17', '-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-pthread', '-I', csrc];
  const units = sources.map((f) => {
    const suffix = f.slice(0, -3).split('_').at(-1);
    return { src: join(csrc, f), obj: join(out, f.replace(/\.cc$/, '.o')), flags: FLAGS[suffix] ?? [] };
  });
  const todo = units.filter((u) => !(existsSync(u.obj) && statSync(u.obj).mtimeMs > Math.max(statSync(u.src).mtimeMs, headersNewest)));
  const width = Math.max(1, availableParallelism());
  for (let i = 0; i < todo.length; i += width) {
    const batch = todo.slice(i, i + width);
    const rs = await Promise.all(batch.map((u) => compile(cxx, [...common, ...u.flags, '-c', u.src, '-o', u.obj])));
    rs.forEach((r, k) => {
      if (r.status !== 0) throw new Error(`sanitizer build of ${batch[k].src} failed:\n${r.err}`);
    });
  }
  const exe = join(out, 'lowbit_equiv');
  const link = spawnSync(cxx, ['-fsanitize=address,undefined', '-pthread', ...units.map((u) => u.obj), '-o', exe], { encoding: 'utf8' });
  if (link.status !== 0) throw new Error(`sanitizer link failed:\n${link.stderr}`);
  const r = spawnSync(exe, quick ? ['--quick'] : [], {
    encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
  });
  return { status: r.status, stdout: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const res = await sanitizedEquivalence({ quick: process.argv.includes('--quick') });
  if ('skipped' in res) {
    console.log(`sanitizer build skipped: ${res.skipped}`);
    process.exit(process.argv.includes('--require') ? 1 : 0);
  }
  console.log(res.stdout);
  process.exit(res.status === 0 ? 0 : 1);
}
