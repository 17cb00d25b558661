/**
 * The addon's batched GEMMs of two activations (FGemmBatch / QGemmBatch, attention's Q K^T and P V), every kernel this
 * CPU runs. Law (fast-check over shapes, strides, B transposed or not, broadcast B, signedness, zero points): matrix t
 * of a batched call equals, bit for bit, the single-matrix GEMM of the same kernel (FGemm / QGemm) on matrix t copied
 * out contiguous, for 1 thread, 3 threads splitting every op, and 3 threads with the work grain; int32 sums equal the
 * exact sums computed here, and the float32 scaled sums are fround(fround(sum) * scale).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon, type NativePool } from './addon.js';

const loaded = loadAddon();

function floats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(((s >>> 8) / 2 ** 24) * 6 - 3);
  });
}
function bytes(n: number, seed: number, signed: boolean): Uint8Array | Int8Array {
  let s = seed >>> 0;
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 16) & 0xff;
  }
  return out;
}
const int32s = (values: number[]) => {
  const t = new Int32Array(new ArrayBuffer(4 * Math.max(values.length, 1)), 0, values.length);
  t.set(values);
  return t;
};

/** A batch layout: A matrices (rows lda apart) and B matrices (K x N or, trans, N x K, rows ldb apart) inside two arrays. */
const layout = fc.record({
  batch: fc.integer({ min: 1, max: 5 }),
  M: fc.integer({ min: 1, max: 40 }),
  K: fc.integer({ min: 1, max: 80 }),
  N: fc.integer({ min: 1, max: 80 }),
  padA: fc.integer({ min: 0, max: 9 }),
  padB: fc.integer({ min: 0, max: 9 }),
  trans: fc.boolean(),
  broadcast: fc.boolean(),
  seed: fc.nat(),
});
type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;

function geometry(l: Layout) {
  const lda = l.K + l.padA;
  const bRows = l.trans ? l.N : l.K;
  const bCols = l.trans ? l.K : l.N;
  const ldb = bCols + l.padB;
  const nb = l.broadcast ? 1 : l.batch;
  // A's matrices in reverse order with a gap, so offsets are not t * M * lda
  const aStride = l.M * lda + 3;
  const aOff = Array.from({ length: l.batch }, (_, t) => (l.batch - 1 - t) * aStride + 1);
  const bStride = bRows * ldb + 2;
  const bOff = Array.from({ length: l.batch }, (_, t) => (l.broadcast ? 0 : t) * bStride);
  return { lda, ldb, bRows, bCols, aLen: l.batch * aStride + 1, bLen: nb * bStride, aOff, bOff };
}

function copyMatrix<T extends Float32Array | Uint8Array | Int8Array>(src: T, off: number, rows: number, cols: number, ld: number): T {
  const out = new (src.constructor as new (n: number) => T)(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray(off + r * ld, off + r * ld + cols), r * cols);
  return out;
}

function pools(addon: NativeAddon): [string, NativePool | null, number][] {
  return [['1 thread', null, 1], ['3 threads, every op split', new addon.Pool(3, false), 3], ['3 threads, grained', new addon.Pool(3, true), 3]];
}

describe('native batched GEMMs (both operands activations)', () => {
  if ('error' in loaded) {
    it('is not run without the addon', () => {
      console.log(`kernels-native: addon absent, batched GEMMs not tested: ${loaded.error}`);
      expect(loaded.error).toMatch(/addon/);
    });
    return;
  }
  const { addon } = loaded;
  const info = addon.info();

  it('float: every matrix equals the single-matrix GEMM of the same kernel, for any thread count', () => {
    const ps = pools(addon);
    for (const k of info.fgemm) {
      const gs = ps.map(([, , threads]) => new addon.FGemmBatch(k.name, threads));
      fc.assert(fc.property(layout, (l) => {
        const g = geometry(l);
        const a = floats(g.aLen, l.seed);
        const b = floats(g.bLen, l.seed + 1);
        const want = new Float32Array(l.batch * l.M * l.N);
        for (let t = 0; t < l.batch; t++) {
          const single = new addon.FGemm(k.name, copyMatrix(b, g.bOff[t], g.bRows, g.bCols, g.ldb), l.K, l.N, l.trans, 1);
          single.run(null, copyMatrix(a, g.aOff[t], l.M, l.K, g.lda), l.M, null, want.subarray(t * l.M * l.N, (t + 1) * l.M * l.N));
          single.dispose();
        }
        for (const [i, [name, pool]] of ps.entries()) {
          const c = new Float32Array(want.length).fill(NaN);
          gs[i].run(pool, a, int32s(g.aOff), g.lda, b, int32s(g.bOff), g.ldb, l.trans, l.M, l.K, l.N, c);
          expect(Buffer.from(c.buffer).equals(Buffer.from(want.buffer)), `${k.name}, ${name}`).toBe(true);
        }
      }), { numRuns: 25 });
    }
    for (const [, pool] of ps) pool?.close();
  });

  it('int8: int32 sums are exact, requantized bytes equal the single-matrix GEMM and scaled sums the float32 product, for any thread count', () => {
    const ps = pools(addon);
    for (const k of info.qgemm.filter((q) => !q.needs7bit)) {
      const gs = ps.map(([, , threads]) => new addon.QGemmBatch(k.name, threads));
      fc.assert(fc.property(layout, fc.boolean(), fc.boolean(), fc.boolean(), (l, sa, sb, sy) => {
        const g = geometry(l);
        const a = bytes(g.aLen, l.seed, sa);
        const b = bytes(g.bLen, l.seed + 1, sb);
        const [za, zb, zy] = [bytes(1, l.seed + 2, sa), bytes(1, l.seed + 3, sb), bytes(1, l.seed + 4, sy)];
        const mult = new Float32Array(new ArrayBuffer(4));
        mult[0] = Math.fround(1 / (64 + (l.seed % 2000)));
        const sums = new Int32Array(l.batch * l.M * l.N);
        const bytesWant = sy ? new Int8Array(sums.length) : new Uint8Array(sums.length);
        for (let t = 0; t < l.batch; t++)
          for (let i = 0; i < l.M; i++)
            for (let j = 0; j < l.N; j++) {
              let s = 0;
              for (let kk = 0; kk < l.K; kk++) {
                const bv = l.trans ? b[g.bOff[t] + j * g.ldb + kk] : b[g.bOff[t] + kk * g.ldb + j];
                s += (a[g.aOff[t] + i * g.lda + kk] - za[0]) * (bv - zb[0]);
              }
              sums[(t * l.M + i) * l.N + j] = s;
            }
        for (let t = 0; t < l.batch; t++) {
          const bt = copyMatrix(b, g.bOff[t], g.bRows, g.bCols, g.ldb);
          let bkn = bt;
          if (l.trans) {
            bkn = new (bt.constructor as new (n: number) => typeof bt)(l.K * l.N);
            for (let j = 0; j < l.N; j++) for (let kk = 0; kk < l.K; kk++) bkn[kk * l.N + j] = bt[j * l.K + kk];
          }
          const single = new addon.QGemm(k.name, bkn, l.K, l.N, 1);
          single.runRequant(null, copyMatrix(a, g.aOff[t], l.M, l.K, g.lda), l.M, za, zb, mult, zy[0], bytesWant.subarray(t * l.M * l.N, (t + 1) * l.M * l.N));
          single.dispose();
        }
        for (const [i, [name, pool]] of ps.entries()) {
          const c = new Int32Array(sums.length).fill(-7);
          gs[i].run(pool, a, int32s(g.aOff), g.lda, b, int32s(g.bOff), g.ldb, l.trans, l.M, l.K, l.N, za[0], zb[0], c);
          expect(Array.from(c), `${k.name} sums, ${name}`).toEqual(Array.from(sums));
          const y = sy ? new Int8Array(sums.length) : new Uint8Array(sums.length);
          y.fill(99);
          gs[i].runRequant(pool, a, int32s(g.aOff), g.lda, b, int32s(g.bOff), g.ldb, l.trans, l.M, l.K, l.N, za[0], zb[0], mult, zy[0], y);
          expect(Array.from(y), `${k.name} requantized, ${name}`).toEqual(Array.from(bytesWant));
          const f = new Float32Array(sums.length).fill(NaN);
          gs[i].runScaled(pool, a, int32s(g.aOff), g.lda, b, int32s(g.bOff), g.ldb, l.trans, l.M, l.K, l.N, za[0], zb[0], mult[0], f);
          expect(Array.from(f), `${k.name} scaled, ${name}`).toEqual(Array.from(sums, (v) => Math.fround(Math.fround(v) * mult[0])));
        }
      }), { numRuns: 20 });
    }
    for (const [, pool] of ps) pool?.close();
  });

  it('refuses matrices that run past their arrays, and 7-bit-only kernels', () => {
    const k = info.fgemm[0].name;
    const g = new addon.FGemmBatch(k, 1);
    const a = new Float32Array(16);
    const c = new Float32Array(32);
    expect(() => g.run(null, a, int32s([0, 8]), 4, a, int32s([0, 0]), 4, false, 4, 4, 4, c)).toThrow(/A: matrix 1 runs past the end/);
    expect(() => g.run(null, a, int32s([0]), 4, a, int32s([1]), 4, true, 4, 4, 4, c)).toThrow(/B: matrix 0 runs past the end/);
    expect(() => g.run(null, a, int32s([0]), 4, a, int32s([0, 0]), 4, false, 4, 4, 4, c)).toThrow(/as many offsets/);
    expect(() => g.run(null, a, int32s([0]), 3, a, int32s([0]), 4, false, 4, 4, 4, c)).toThrow(/shorter than a row/);
    const q = new addon.QGemmBatch(info.qgemm[0].name, 1);
    const qa = new Uint8Array(16);
    expect(() => q.run(null, qa, int32s([0]), 4, qa, int32s([0]), 4, false, 4, 4, 4, 256, 0, new Int32Array(16))).toThrow(/outside the operand's type/);
    const seven = info.qgemm.find((x) => x.needs7bit);
    if (seven) expect(() => new addon.QGemmBatch(seven.name, 1)).toThrow(/not available/);
  });
});
