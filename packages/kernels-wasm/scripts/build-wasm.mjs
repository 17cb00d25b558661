#!/usr/bin/env node
// Compiles the AssemblyScript kernels (assembly/) with asc into two modules, written to src/ (tests load them from
// there) and dist/ (the published package):
//   kernels-simd.wasm     SIMD128 only (exact integer kernels for full-range weights)
//   kernels-relaxed.wasm  the same kernels plus the relaxed-SIMD 7-bit GEMM (i32x4.relaxed_dot_i8x16_i7x16_add_s)
//   kernels-*-shared.wasm the same two with a shared memory (see SHARED below)
// Skips a module whose output is newer than every source. Part of `npm run build` (and so of `npm ci`).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const asm = join(root, 'assembly');
const require = createRequire(import.meta.url);
const ascBin = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const newestSource = Math.max(...readdirSync(asm).map((f) => statSync(join(asm, f)).mtimeMs), statSync(new URL(import.meta.url).pathname).mtimeMs);

// The -shared builds declare their memory shared (growing it then never detaches views of it), so the backend can
// lend it to the runtime as an arena; engines that refuse shared memory (browsers without cross-origin isolation)
// load the plain builds.
const SHARED = ['--maximumMemory', '65536', '--sharedMemory'];
const modules = [
  { out: 'kernels-simd.wasm', entry: 'index.ts', features: ['simd'] },
  { out: 'kernels-relaxed.wasm', entry: 'relaxed.ts', features: ['simd', 'relaxed-simd'] },
  { out: 'kernels-simd-shared.wasm', entry: 'index.ts', features: ['simd', 'threads'], extra: SHARED },
  { out: 'kernels-relaxed-shared.wasm', entry: 'relaxed.ts', features: ['simd', 'relaxed-simd', 'threads'], extra: SHARED },
];

mkdirSync(join(root, 'dist'), { recursive: true });
for (const m of modules) {
  const target = join(root, 'src', m.out);
  if (!existsSync(target) || statSync(target).mtimeMs < newestSource || process.argv.includes('--force')) {
    const args = [ascBin, join(asm, m.entry), '-o', target, '--runtime', 'stub', '-O3', '--noAssert', '--initialMemory', '16', ...(m.extra ?? []), ...m.features.flatMap((f) => ['--enable', f])];
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`build-wasm: asc failed for ${m.out}`);
      process.exit(r.status ?? 1);
    }
  }
  copyFileSync(target, join(root, 'dist', m.out));
}
