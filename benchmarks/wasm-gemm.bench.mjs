#!/usr/bin/env node
// Lowbit's WebAssembly GEMM kernels (@lowbit/kernels-wasm) against onnxruntime-web's wasm backend (1 thread, SIMD),
// in one process, alternating A B A B:
//   MatMulInteger u8 x s8 -> i32 with B an initializer (packed once), 7-bit and full-range weights, per-column zero point
//   MatMul f32 with B an initializer
// on M=128 K=768 N=3072 (GEMM) and M=1 K=4096 N=4096 (GEMV). Every result is checked against an exact reference
// (int32 by definition; float32 by the k-ascending float32 sum that Lowbit's kernels reproduce bit for bit;
// onnxruntime-web's float results are checked within a reordered-sum bound instead). Prints GOPS (2*M*N*K per run)
// and the ratio Lowbit / onnxruntime-web, and the CPU model. Each run's process CPU time (process.cpuUsage, user +
// system) is recorded too and its ratio printed as `cpu x...`: on a machine shared with other work the wall clock also
// counts time spent waiting for a core, the CPU time does not (both sides run on this one thread).
//
//   npm run build && node benchmarks/wasm-gemm.bench.mjs [rounds]
//
// Relaxed SIMD: Node 20's V8 validates it only with --experimental-wasm-relaxed-simd, which NODE_OPTIONS rejects; this
// script calls v8.setFlagsFromString('--experimental-wasm-relaxed-simd') before compiling (Node 22+ has it on).
// Node 20 (V8 11.3) also miscomputes the fused i32x4.relaxed_dot_i8x16_i7x16_add_s; the backend detects that at init
// and uses i16x8.relaxed_dot_i8x16_i7x16_s + extadd_pairwise there (see its diagnostics, printed below).
// The full-range GEMM row also times the ideal SIMD128 loops of wasm-simd-ceiling.mjs in the same alternation and prints
// the ceiling they give (best CPU time) against onnxruntime-web: how far any exact SIMD128 int8 GEMM can go here.
// Not part of `npm test`.
import { setFlagsFromString } from 'node:v8';
import { readFileSync } from 'node:fs';
import { rng, median } from './support.mjs';
import { simd128Ceiling } from './wasm-simd-ceiling.mjs';
setFlagsFromString('--experimental-wasm-relaxed-simd');
const ort = await import('onnxruntime-web');
const { createWasmBackend } = await import('@lowbit/kernels-wasm');
const { Tensor, freshRunContext } = await import('@lowbit/kernels');
const { DataType, encodeModel } = await import('@lowbit/onnx-ir');

const rounds = Number(process.argv[2] ?? 10);
const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

function modelBytes(kind, M, K, N, b, zb) {
  const tensor = (name, dtype, dims, arr) => ({ kind: 'inline', name, dtype, dims, data: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), encoding: 'raw' });
  const vi = (name, t, shape) => ({ name, type: { kind: 'tensor', elemType: t, shape } });
  const int = kind === 'int8';
  const initializers = int ? [tensor('b', DataType.INT8, [K, N], b), tensor('zb', DataType.INT8, [N], zb)] : [tensor('b', DataType.FLOAT, [K, N], b)];
  const node = int
    ? { id: 'n0', name: 'mm', opType: 'MatMulInteger', domain: '', inputs: ['a', 'b', '', 'zb'], outputs: ['y'], attributes: [] }
    : { id: 'n0', name: 'mm', opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['y'], attributes: [] };
  return encodeModel({
    irVersion: 8, opsetImports: [{ domain: '', version: 13 }], functions: [], metadataProps: [],
    graph: { name: 'g', inputs: [vi('a', int ? DataType.UINT8 : DataType.FLOAT, [M, K])], outputs: [vi('y', int ? DataType.INT32 : DataType.FLOAT, [M, N])], initializers, sparseInitializers: [], nodes: [node], valueInfo: [] },
  });
}

/** Exact int32 reference, and the float32 k-ascending reference with sum |a*b| for the bound. */
function intReference(a, b, zb, M, K, N) {
  const y = new Int32Array(M * N);
  for (let i = 0; i < M; i++) {
    const row = new Int32Array(N);
    let rs = 0;
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      rs += av;
      if (av === 0) continue;
      const bo = k * N;
      for (let j = 0; j < N; j++) row[j] += av * b[bo + j];
    }
    for (let j = 0; j < N; j++) y[i * N + j] = row[j] - rs * zb[j];
  }
  return y;
}

function floatReference(a, b, M, K, N) {
  const y = new Float32Array(M * N);
  const mag = new Float64Array(M * N);
  const acc = new Float32Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    const m = new Float64Array(N);
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) {
        acc[j] = acc[j] + Math.fround(av * b[bo + j]);
        m[j] += Math.abs(av * b[bo + j]);
      }
    }
    y.set(acc, i * N);
    mag.set(m, i * N);
  }
  return { y, mag };
}

const ceiling = await simd128Ceiling();
const simd = createWasmBackend({ disableRelaxed: true });
const relaxed = createWasmBackend();
await simd.init();
await relaxed.init();
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(`CPU: ${cpu}; Node ${process.versions.node} (V8 ${process.versions.v8}); onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, 1 thread`);
console.log(`lowbit simd backend: ${simd.diagnostics.join(' | ')}`);
console.log(`lowbit relaxed backend: ${relaxed.diagnostics.join(' | ')}`);

function lowbitKernel(backend, variantName, kind, M, K, N, bT) {
  const key = kind === 'int8' ? 'MatMulInteger:u8xi8->i32' : 'MatMul:f32';
  const v = backend.variants().find((x) => x.key === key && x.name === variantName);
  if (!v) return undefined;
  const types = kind === 'int8' ? ['uint8', 'int8', null, 'int8'] : ['float32', 'float32'];
  const node = { name: 'mm', opType: kind === 'int8' ? 'MatMulInteger' : 'MatMul', domain: '', opset: 13, attrs: new Map(), inputTypes: types, outputCount: 1, constants: new Map([[1, bT]]) };
  if (v.supports && !v.supports(node)) return undefined;
  return v.create(node);
}

async function bench(kind, M, K, N, weights, print = true) {
  const r = rng(M * 7 + K * 3 + N + (weights === '7-bit' ? 1 : 0));
  const int = kind === 'int8';
  const a = int ? Uint8Array.from({ length: M * K }, () => Math.floor(r() * 256)) : Float32Array.from({ length: M * K }, () => r() * 2 - 1);
  const b = int
    ? Int8Array.from({ length: K * N }, () => (weights === '7-bit' ? Math.floor(r() * 128) - 64 : Math.floor(r() * 256) - 128))
    : Float32Array.from({ length: K * N }, () => r() * 2 - 1);
  const zb = Int8Array.from({ length: N }, () => (weights === '7-bit' ? Math.floor(r() * 16) - 8 : Math.floor(r() * 32) - 16));
  const ops = 2 * M * N * K;
  const sess = await ort.InferenceSession.create(modelBytes(kind, M, K, N, b, zb), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const aOrt = new ort.Tensor(int ? 'uint8' : 'float32', a, [M, K]);
  const aOurs = new Tensor(int ? 'uint8' : 'float32', a, [M, K]);
  const bT = new Tensor(int ? 'int8' : 'float32', b, [K, N]);
  const zbT = new Tensor('int8', zb, [N]);
  const runOrt = async () => (await sess.run({ a: aOrt })).y.data;
  const ours = [];
  if (int) {
    ours.push(['wasm-simd128', lowbitKernel(simd, 'wasm-simd128-4x8', kind, M, K, N, bT)]);
    const rl = lowbitKernel(relaxed, 'wasm-relaxed-4x8', kind, M, K, N, bT);
    if (rl) ours.push(['wasm-relaxed', rl]);
  } else ours.push(['wasm-simd128', lowbitKernel(simd, 'wasm-simd128-4x8', kind, M, K, N, bT)]);
  const inputs = int ? [aOurs, bT, null, zbT] : [aOurs, bT];
  // The ideal SIMD128 loops (wasm-simd-ceiling.mjs) on the full-range GEMM, timed in the same alternation.
  const ceilings = int && M > 1 && weights === 'full-range' ? ceiling.map((t) => [`simd128 ceiling ${t.name}`, { run: () => t.run(ops) }]) : [];
  const timed = [...ours, ...ceilings];

  // Exactness first.
  let check;
  if (int) {
    const ref = intReference(a, b, zb, M, K, N);
    check = (y, who) => {
      for (let i = 0; i < ref.length; i++) if (y[i] !== ref[i]) throw new Error(`${who} ${kind} ${M}x${K}x${N} ${weights}: element ${i} = ${y[i]}, exact ${ref[i]}`);
    };
  } else {
    const { y: ref, mag } = floatReference(a, b, M, K, N);
    check = (y, who) => {
      for (let i = 0; i < ref.length; i++) {
        const ok = who.startsWith('lowbit') ? Object.is(y[i], ref[i]) : Math.abs(y[i] - ref[i]) <= (K + 2) * 2 ** -24 * mag[i] * 2;
        if (!ok) throw new Error(`${who} ${kind} ${M}x${K}x${N}: element ${i} = ${y[i]}, reference ${ref[i]}`);
      }
    };
  }
  check(await runOrt(), 'onnxruntime-web');
  for (const [name, inst] of ours) check(inst.run(inputs, freshRunContext)[0].data, `lowbit ${name}`);

  // Warm-up of at least a second (V8 runs new wasm code on its baseline compiler first and swaps in the optimized code
  // from a background thread: two calls leave the first rows of a run on baseline code), then alternate.
  const warmUntil = performance.now() + 1000;
  for (let w = 0; w < 2 || performance.now() < warmUntil; w++) {
    await runOrt();
    for (const [, inst] of timed) inst.run(inputs, freshRunContext);
  }
  const tOrt = [];
  const tOurs = timed.map(() => []);
  const cOrt = [];
  const cOurs = timed.map(() => []);
  const cpuMs = (c) => {
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1000;
  };
  for (let k = 0; k < rounds; k++) {
    let c = process.cpuUsage();
    let t = performance.now();
    await runOrt();
    tOrt.push(performance.now() - t);
    cOrt.push(cpuMs(c));
    timed.forEach(([, inst], j) => {
      c = process.cpuUsage();
      t = performance.now();
      inst.run(inputs, freshRunContext);
      tOurs[j].push(performance.now() - t);
      cOurs[j].push(cpuMs(c));
    });
  }
  const gops = (ms) => ops / (ms * 1e6);
  const mo = median(tOrt);
  const co = median(cOrt);
  const label = `${kind === 'int8' ? 'MatMulInteger u8xs8' : 'MatMul f32'} M=${M} K=${K} N=${N}${int ? ` ${weights}` : ''}`;
  const parts = timed.map(([name], j) => {
    const m = median(tOurs[j]);
    return `lowbit ${name} ${m.toFixed(2)} ms ${gops(m).toFixed(1)} GOPS (x${(mo / m).toFixed(2)}, cpu x${(co / median(cOurs[j])).toFixed(2)})`;
  });
  if (!print) {
    for (const [, inst] of ours) inst.dispose?.();
    await sess.release();
    return;
  }
  console.log(`${label.padEnd(44)} ort-web ${mo.toFixed(2)} ms ${gops(mo).toFixed(1)} GOPS | ${parts.join(' | ')}  [exact${ceilings.length ? '; ceilings: ideal loops, no result' : ''}]`);
  if (ceilings.length) {
    const best = (xs) => Math.min(...xs);
    const top = Math.max(...ceilings.map((_, i) => gops(best(cOurs[ours.length + i]))));
    console.log(`  SIMD128 ceiling on this engine (best CPU time of the ideal loops): ${top.toFixed(1)} GOPS = x${(top / gops(best(cOrt))).toFixed(2)} onnxruntime-web's best; Lowbit's kernel best x${(best(cOrt) / best(cOurs[0])).toFixed(2)}`);
  }
  for (const [, inst] of ours) inst.dispose?.();
  await sess.release();
}

// One unprinted pass first: the first timed rows of a fresh process run measurably slower (both sides; seen as 0.6x
// the same row timed later in the process), so every printed row comes after it.
await bench('int8', 128, 768, 3072, 'full-range', false);
for (const [M, K, N] of [[128, 768, 3072], [1, 4096, 4096]]) {
  await bench('int8', M, K, N, 'full-range');
  await bench('int8', M, K, N, '7-bit');
  await bench('float', M, K, N);
}
