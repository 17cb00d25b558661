// The SIMD128 int8 GEMM ceiling on this engine and CPU: the inner step of an exact u8/s8 GEMM in WebAssembly SIMD128
// (no 8-bit multiply exists there, so operands are i16 and each i32x4.dot_i16x8_s does 8 multiply-adds and needs one
// i32x4.add to accumulate) in an ideal loop: register tiles of R rows x C i32x4 accumulators, B vectors loaded and A
// pairs splatted from a few KiB that stay in L1, no packing, no edges, no zero-point work, no output. A real GEMM can
// only be slower than this loop; wasm-gemm.bench.mjs times it beside onnxruntime-web to show how far SIMD128 can go.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const TILES = [[2, 4], [4, 2], [3, 4], [4, 3]];
const STEPS = 128; // k pairs per sweep of the L1 buffers

function tileSource(R, C) {
  const lines = [`export function tile${R}x${C}(a: usize, b: usize, sweeps: i32): i32 {`];
  for (let r = 0; r < R; r++) lines.push('  ' + Array.from({ length: C }, (_, c) => `let c${r}${c} = i32x4.splat(0);`).join(' '));
  lines.push('  for (let s = 0; s < sweeps; s++) {', '    let pa = a, pb = b;', `    for (let k = 0; k < ${STEPS}; k++) {`);
  lines.push('      ' + Array.from({ length: C }, (_, c) => `const b${c} = v128.load(pb, ${16 * c});`).join(' '));
  for (let r = 0; r < R; r++) {
    lines.push(`      const a${r} = v128.load32_splat(pa, ${4 * r});`);
    lines.push('      ' + Array.from({ length: C }, (_, c) => `c${r}${c} = i32x4.add(c${r}${c}, i32x4.dot_i16x8_s(a${r}, b${c}));`).join(' '));
  }
  lines.push(`      pa += ${4 * R}; pb += ${16 * C};`, '    }', '  }', '  let t = i32x4.splat(0);');
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) lines.push(`  t = i32x4.add(t, c${r}${c});`);
  lines.push('  return i32x4.extract_lane(t, 0) ^ i32x4.extract_lane(t, 3);', '}');
  return lines.join('\n');
}

/**
 * Compiles the ideal loops with asc (the workspace's AssemblyScript) and returns, per tile, `run(ops)`: about `ops`
 * integer operations (2 per multiply-add) of the loop.
 */
export async function simd128Ceiling() {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-ceiling-'));
  try {
    const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
    writeFileSync(join(dir, 'ceiling.ts'), TILES.map(([r, c]) => tileSource(r, c)).join('\n\n'));
    execFileSync(process.execPath, [asc, join(dir, 'ceiling.ts'), '-o', join(dir, 'ceiling.wasm'), '--runtime', 'stub', '-O3', '--noAssert', '--initialMemory', '1', '--enable', 'simd'], { stdio: 'pipe' });
    const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'ceiling.wasm')), { env: { abort() {} } });
    const ex = instance.exports;
    const bytes = new Uint8Array(ex.memory.buffer);
    for (let i = 0; i < 16384; i++) bytes[i] = (i * 37) & 127;
    return TILES.map(([R, C]) => {
      const opsPerSweep = 2 * 8 * R * C * STEPS;
      return {
        name: `${R}x${C}`,
        run(ops) {
          const sweeps = Math.max(1, Math.ceil(ops / opsPerSweep));
          ex[`tile${R}x${C}`](0, 8192, sweeps);
          return sweeps * opsPerSweep;
        },
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
