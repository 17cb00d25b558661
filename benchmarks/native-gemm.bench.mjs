#!/usr/bin/env node
// Native int8 / float GEMM: @lowbit/kernels-native (through a Session with backend 'native', B as an initializer)
// against onnxruntime-node (CPU EP) in the same process, alternating A B A B, 1 thread then 2.
//   MatMulInteger u8 x i8 -> i32: M=128 K=768 N=3072 (GEMM) and M=1 K=4096 N=4096 (GEMV), with 7-bit weights
//   ([-64, 63], reduce-range) and full-range int8 weights; float MatMul on the same shapes.
// Every result is checked against an exact reference (integers: exact sums; floats: within K * 2^-23 * sum|a*b| of
// the double-precision sum). onnxruntime-node's u8 x s8 kernel saturates on CPUs without VNNI for full-range weights:
// its mismatches are reported, not treated as errors. Prints GOPS (2*M*K*N / time), ratios lowbit / ort and the
// fraction of each ISA's peak (MACs per cycle x the clock the addon measures under that ISA's FMA width). GOPS use each side's best round
// (the least disturbed by other processes); the ratio of medians is printed too, and for 1 thread the median per-round
// ratio of process CPU time (steadier on a loaded machine). "kernel" is the addon's GEMM alone (same packed weights,
// reused output): the gap to the session is the runtime's share (fresh output allocation, dispatch).
//   npx tsc -b packages/runtime packages/kernels-native && node benchmarks/native-gemm.bench.mjs [rounds] [label filter]
// Not part of `npm test`.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { DataType, encodeModel } from '@lowbit/onnx-ir';
import { createNativeBackend, loadAddon } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { rng } from './support.mjs';

const rounds = Number(process.argv[2] ?? 15);
const only = process.argv[3]; // optional: run only the cases whose label contains this text
const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
const loaded = loadAddon();
if ('error' in loaded) {
  console.log(`native addon unavailable: ${loaded.error}`);
  process.exit(0);
}
const ghz = loaded.addon.clockGhz();
// Wide SIMD may run below the scalar clock: peaks use the clock measured under dependent FMAs of the ISA's width.
const ghz256 = loaded.addon.clockUnderLoadGhz(256) ?? ghz;
const ghz512 = loaded.addon.clockUnderLoadGhz(512) ?? ghz256;
const clockOf = (isa) => (isa === 'avx512' || isa === 'avx512-vnni' || isa === 'amx-int8' ? ghz512 : isa === 'avx2' || isa === 'avx-vnni' ? ghz256 : ghz);
/**
 * int8 MACs per cycle per core of each ISA's inner instruction sequence (float: FMAs x lanes); peak GOPS = 2 x that x
 * the clock measured under that vector width. AVX2 (exact u8 x s8 without VNNI): per 32 MACs one vpmaddubsw (32 byte
 * products summed in pairs to int16) + one vpmaddwd with ones (pairs to int32) + one vpaddd. Both multiplies issue
 * only on the vector-multiply pipes, 2 per cycle for 256 bits (measured on the Zen 5 EPYC here: vpmaddubsw 2.0/cycle,
 * vpmaddwd 2.0/cycle, the three-instruction mix 1.0/cycle), so 2 pipes x 32 MACs / 2 multiplies = 32 MACs/cycle;
 * vpaddd runs on the other ALUs. VNNI: one vpdpbusd = 32 MACs (ymm) or 64 (zmm), 2 per cycle (measured 2.0/cycle for
 * both widths on Zen 5, which executes 512-bit operations at full width): 64 and 128 MACs/cycle.
 */
const INT8_PEAK = { avx2: 32, 'avx-vnni': 64, 'avx512-vnni': 128, 'amx-int8': 1024, neon: 16, 'neon-dot': 64 };
const F32_PEAK = { avx2: 16, avx512: 32, neon: 8 };

const vi = (name, elemType, dims) => ({ name, type: { kind: 'tensor', elemType, shape: dims.map((d) => ({ kind: 'value', value: d })) } });
const inline = (name, dtype, dims, data) => ({ kind: 'inline', name, dtype, dims, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), encoding: 'raw' });
function modelOf(op, M, K, N, b, zero) {
  const int = op === 'MatMulInteger';
  const nodes = [{ id: 'n', name: 'n', opType: op, domain: '', inputs: int ? ['a', 'b', 'za'] : ['a', 'b'], outputs: ['y'], attributes: [] }];
  const initializers = [inline('b', int ? DataType.INT8 : DataType.FLOAT, [K, N], b)];
  if (int) initializers.push(inline('za', DataType.UINT8, [], Uint8Array.of(zero)));
  const graph = { name: 'g', inputs: [vi('a', int ? DataType.UINT8 : DataType.FLOAT, [M, K])], outputs: [vi('y', int ? DataType.INT32 : DataType.FLOAT, [M, N])], initializers, sparseInitializers: [], nodes, valueInfo: [] };
  return { irVersion: 8, opsetImports: [{ domain: '', version: 13 }], graph, functions: [], metadataProps: [] };
}

function exactInt(a, b, M, K, N, za) {
  const y = new Int32Array(M * N);
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k] - za;
      if (av === 0) continue;
      for (let j = 0; j < N; j++) row[j] += av * b[k * N + j];
    }
    for (let j = 0; j < N; j++) y[i * N + j] = row[j];
  }
  return y;
}
function intMismatches(y, want) {
  let n = 0;
  for (let i = 0; i < want.length; i++) if (y[i] !== want[i]) n++;
  return n;
}
function floatRef(a, b, M, K, N) {
  const sum = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      for (let j = 0; j < N; j++) {
        const p = av * b[k * N + j];
        sum[i * N + j] += p;
        mag[i * N + j] += Math.abs(p);
      }
    }
  return { sum, mag, K };
}
function floatMismatches(y, ref) {
  let n = 0;
  for (let i = 0; i < y.length; i++) if (!(Math.abs(y[i] - ref.sum[i]) <= ref.K * 2 ** -23 * ref.mag[i])) n++;
  return n;
}

const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const best = (xs) => Math.min(...xs);

const cpuMs = (u) => (u.user + u.system) / 1000;
/**
 * Alternates A (Lowbit session), B (onnxruntime) and K (the Lowbit kernel alone on a reused output), timing each call
 * by the wall clock and by the process CPU time (which a descheduled process does not accumulate: on a loaded
 * machine the 1-thread CPU-time ratio is the steadier figure).
 */
async function alternate(runA, runB, runK) {
  for (let i = 0; i < 3; i++) {
    runA();
    await runB();
    runK();
  }
  const ta = [];
  const tb = [];
  const tk = [];
  const ca = [];
  const cb = [];
  const ck = [];
  let ya;
  let yb;
  for (let r = 0; r < rounds; r++) {
    let c = process.cpuUsage();
    let t = performance.now();
    ya = runA();
    ta.push(performance.now() - t);
    ca.push(cpuMs(process.cpuUsage(c)));
    c = process.cpuUsage();
    t = performance.now();
    yb = await runB();
    tb.push(performance.now() - t);
    cb.push(cpuMs(process.cpuUsage(c)));
    c = process.cpuUsage();
    t = performance.now();
    runK();
    tk.push(performance.now() - t);
    ck.push(cpuMs(process.cpuUsage(c)));
  }
  const cpuRatio = median(cb.map((b, i) => b / ca[i]));
  return { a: best(ta), b: best(tb), k: best(tk), am: median(ta), bm: median(tb), km: median(tk), cpuRatio, ca: best(ca), ck: best(ck), ya, yb };
}

const gops = (M, K, N, ms) => (2 * M * K * N) / (ms * 1e6);
const fmt = (x, w = 7) => x.toFixed(1).padStart(w);
const lines = [];
const out = (s) => {
  console.log(s);
  lines.push(s);
};

out(`CPU: ${cpuModel}; measured clock ${ghz.toFixed(2)} GHz scalar, ${ghz256.toFixed(2)} GHz under 256-bit FMAs, ${ghz512.toFixed(2)} GHz under 512-bit FMAs; ${rounds} alternating rounds; GOPS from the best round of each side (ratio of medians in brackets); onnxruntime-node ${ort.env.versions?.common ?? ''}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

async function caseOf(label, op, M, K, N, weights) {
  if (only && !label.includes(only)) return;
  const r = rng(M * 31 + K * 7 + N + (weights === 'full' ? 1 : 0));
  const int = op === 'MatMulInteger';
  const a = int ? Uint8Array.from({ length: M * K }, () => Math.floor(r() * 256)) : Float32Array.from({ length: M * K }, () => Math.fround(r() * 2 - 1));
  const b = int
    ? Int8Array.from({ length: K * N }, () => (weights === 'full' ? Math.floor(r() * 256) - 128 : Math.floor(r() * 128) - 64))
    : Float32Array.from({ length: K * N }, () => Math.fround(r() * 2 - 1));
  const za = 117;
  const model = modelOf(op, M, K, N, b, za);
  const bytes = encodeModel(model);
  const ref = int ? exactInt(a, b, M, K, N, za) : floatRef(a, b, M, K, N);
  const bad = (y) => (int ? intMismatches(y, ref) : floatMismatches(y, ref));
  const feedsL = { a: new Tensor(int ? 'uint8' : 'float32', a, [M, K]) };
  const feedsO = { a: new ort.Tensor(int ? 'uint8' : 'float32', a, [M, K]) };
  for (const threads of [1, 2]) {
    const backend = createNativeBackend();
    await backend.init({ threads });
    // onnxruntime's intra-op threads spin after each run by default; alternating A B A B on 2 cores, that spin takes the
    // second core during Lowbit's turn (measured: Lowbit 2-thread int8 GEMM 421 GOPS with ort spinning, 561 without).
    // Spinning is off for the multi-thread rows unless ORT_SPIN=1 (which also shows ort's own best case).
    const spin = process.env.ORT_SPIN ?? (threads > 1 ? '0' : '1');
    const theirs = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: spin } } } });
    const runB = async () => (await theirs.run(feedsO)).y.data;
    const isas = [...new Set(backend.variants().filter((v) => v.key === (int ? 'MatMulInteger:u8xi8->i32' : 'MatMul:f32')).map((v) => v.isa))].filter((x) => x !== 'scalar-c');
    const forced = threads === 1 ? isas : isas.slice(-1);
    for (const isa of forced) {
      const ours = Session.fromModel(model, { backend: 'native', backends: [backend], isa });
      // The kernel alone: the addon's GEMM on the same packed weights (the session's own kernel) into a reused output.
      const kname = int ? (isa === 'avx2' ? 'avx2-7bit' : isa) : isa;
      const kern = int ? new loaded.addon.QGemm(weights === 'full' && isa === 'avx2' ? 'avx2' : kname, b, K, N, threads) : new loaded.addon.FGemm(kname, b, K, N, false, threads);
      const pool = threads > 1 ? new loaded.addon.Pool(threads) : null;
      const cOut = int ? new Int32Array(M * N) : new Float32Array(M * N);
      const zaArr = Uint8Array.of(za);
      const runK = int ? () => kern.run(pool, a, M, zaArr, null, cOut) : () => kern.run(pool, a, M, null, cOut);
      const { a: ta, b: tb, k: tk, am, bm, km, cpuRatio, ca, ck, ya, yb } = await alternate(() => ours.runSync(feedsL).y.data, runB, runK);
      kern.dispose();
      pool?.close();
      const mine = bad(ya);
      if (mine !== 0) throw new Error(`${label} ${isa}: ${mine} elements differ from the exact reference`);
      const theirsBad = bad(yb);
      const g = gops(M, K, N, ta);
      const peak = (int ? INT8_PEAK : F32_PEAK)[isa];
      const pk = peak ? `${((100 * g) / (2 * peak * clockOf(isa))).toFixed(0).padStart(3)}% of ${isa} peak` : '';
      const gk = gops(M, K, N, tk);
      const pkk = peak ? ` (kernel ${((100 * gk) / (2 * peak * clockOf(isa))).toFixed(0)}%)` : '';
      const pct = (ms) => (peak ? ` ${((100 * gops(M, K, N, ms)) / (2 * peak * clockOf(isa))).toFixed(0)}%` : '');
      const cpu = threads === 1 ? ` | cpu-time ratio ${cpuRatio.toFixed(2)}x, best cpu-time GOPS session ${fmt(gops(M, K, N, ca), 0)}${pct(ca)} kernel ${fmt(gops(M, K, N, ck), 0)}${pct(ck)}` : '';
      out(`${label.padEnd(34)} ${threads}t lowbit[${isa.padEnd(11)}] ${fmt(g)} GOPS exact | ort ${fmt(gops(M, K, N, tb))} GOPS ${theirsBad ? `(${theirsBad} elements differ from exact)` : 'exact'} | ratio ${(tb / ta).toFixed(2)}x (medians ${(bm / am).toFixed(2)}x)${cpu} | kernel ${fmt(gk)} GOPS (${(tb / tk).toFixed(2)}x ort, medians ${(bm / km).toFixed(2)}x) | ${pk}${pkk}`);
      ours.release?.();
    }
    await theirs.release?.();
    backend.dispose();
  }
}

await caseOf('MatMulInteger GEMM 128x768x3072 7-bit', 'MatMulInteger', 128, 768, 3072, '7bit');
await caseOf('MatMulInteger GEMM 128x768x3072 full', 'MatMulInteger', 128, 768, 3072, 'full');
await caseOf('MatMulInteger GEMV 1x4096x4096 7-bit', 'MatMulInteger', 1, 4096, 4096, '7bit');
await caseOf('MatMulInteger GEMV 1x4096x4096 full', 'MatMulInteger', 1, 4096, 4096, 'full');
await caseOf('MatMul f32 GEMM 128x768x3072', 'MatMul', 128, 768, 3072, 'float');
await caseOf('MatMul f32 GEMV 1x4096x4096', 'MatMul', 1, 4096, 4096, 'float');
