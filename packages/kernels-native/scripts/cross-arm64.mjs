#!/usr/bin/env node
// Cross-builds the arm64 kernels (scalar-c, NEON, NEON dot product) with the standalone equivalence executable and
// runs it under qemu-user: once on a CPU with the dot product (qemu -cpu max) and once without (-cpu cortex-a53), so
// both run-time dispatch paths are exercised. Needs g++-aarch64-linux-gnu and qemu-user (Debian packages); without
// them it prints why and exits 0 (`--require` makes that exit 1).
//   node scripts/cross-arm64.mjs [--quick] [--require]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from './compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();

/** Returns { skipped: reason } or { runs: [{ cpu, status, stdout }] }. Objects newer than their sources are reused. */
export async function crossArm64({ quick = true } = {}) {
  const cxx = which('aarch64-linux-gnu-g++');
  const qemu = which('qemu-aarch64') || which('qemu-aarch64-static');
  if (!cxx || !qemu) {
    return { skipped: `${!cxx ? 'aarch64-linux-gnu-g++' : 'qemu-aarch64'} not found (apt-get install -y g++-aarch64-linux-gnu qemu-user)` };
  }
  const out = join(root, 'build', 'arm64');
  mkdirSync(out, { recursive: true });
  const common = ['-std=c++17', '-O2', '-ffp-contract=off', '-I', join(root, 'csrc')];
  const units = [
    ['cpu', []], ['threadpool', []], ['ops', []], ['conv', []], ['dwconv', []], ['qgemm_common', []], ['qgemm_scalar', []], ['fgemm_scalar', []],
    ['qgemm_neon', []], ['fgemm_neon', []], ['qgemm_neondot', ['-march=armv8.2-a+dotprod']], ['equiv_main', []],
  ];
  const objs = units.map(([name]) => join(out, `${name}.o`));
  const newer = (obj, src) => existsSync(obj) && statSync(obj).mtimeMs > Math.max(statSync(src).mtimeMs, ...['common.h', 'ops.h', 'threadpool.h', 'qgemm_driver.h', 'fgemm_driver.h', 'conv.h', 'dwconv.h'].map((h) => statSync(join(root, 'csrc', h)).mtimeMs));
  const todo = units.filter(([name]) => !newer(join(out, `${name}.o`), join(root, 'csrc', `${name}.cc`)));
  const width = Math.max(1, availableParallelism());
  for (let i = 0; i < todo.length; i += width) {
    const batch = todo.slice(i, i + width);
    const rs = await Promise.all(batch.map(([name, flags]) => compile(cxx, [...common, ...flags, '-c', join(root, 'csrc', `${name}.cc`), '-o', join(out, `${name}.o`)])));
    rs.forEach((r, k) => {
      if (r.status !== 0) throw new Error(`cross compile of ${batch[k][0]}.cc failed:\n${r.err}`);
    });
  }
  const exe = join(out, 'lowbit_equiv');
  const link = spawnSync(cxx, ['-static', '-pthread', ...objs, '-o', exe], { encoding: 'utf8' });
  if (link.status !== 0) throw new Error(`cross link failed:\n${link.stderr}`);
  const runs = ['max', 'cortex-a53'].map((cpu) => {
    const r = spawnSync(qemu, ['-cpu', cpu, exe, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', timeout: 120_000 });
    return { cpu, status: r.status, stdout: r.stdout + (r.stderr ?? '') };
  });
  return { runs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const res = await crossArm64({ quick: process.argv.includes('--quick') });
  if ('skipped' in res) {
    console.log(`arm64 cross test skipped: ${res.skipped}`);
    process.exit(process.argv.includes('--require') ? 1 : 0);
  }
  let ok = true;
  for (const r of res.runs) {
    console.log(`--- qemu-aarch64 -cpu ${r.cpu}: exit ${r.status}\n${r.stdout}`);
    ok &&= r.status === 0;
  }
  process.exit(ok ? 0 : 1);
}
