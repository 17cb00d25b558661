import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fields, int64, utf8 } from './proto-wire.js';
import { decodeTestTensor, type TestTensor } from './tensor-proto.js';

/**
 * The shared test data folder: `$LOWBIT_TESTDATA` or `<repo>/../shared/testdata`. (The same rule as
 * `testdataPath` in @lowbit/testing, repeated here because qparams has no internal dependencies.)
 */
export function testdataPath(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'lowbit') break;
    const up = dirname(dir);
    if (up === dir) throw new Error('qparams test-support: cannot find the lowbit repository root');
    dir = up;
  }
  const base = process.env.LOWBIT_TESTDATA ?? resolve(dir, '..', 'shared', 'testdata');
  if (!existsSync(base)) throw new Error(`qparams test-support: test data folder not found at ${base}`);
  return join(base, ...parts);
}

/** One ONNX node test case: its node's attributes, the default-domain opset, and the tensors of data set 0. */
export interface OnnxCase {
  readonly name: string;
  readonly opset: number;
  readonly opType: string;
  /** INT attributes (axis, block_size, saturate, output_dtype, precision, ...). */
  readonly ints: Readonly<Record<string, number>>;
  readonly inputs: TestTensor[];
  readonly outputs: TestTensor[];
}

function readModel(bytes: Uint8Array, wantOps: readonly string[]): { opset: number; opType: string; ints: Record<string, number> } {
  let opset = 0;
  let opType = '';
  let ints: Record<string, number> = {};
  for (const f of fields(bytes)) {
    if (f.field === 8 && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const g of fields(f.bytes)) {
        if (g.field === 1 && g.wire === 2) domain = utf8(g.bytes);
        if (g.field === 2 && g.wire === 0) version = int64(g.varint);
      }
      if (domain === '' || domain === 'ai.onnx') opset = version;
    }
    if (f.field === 7 && f.wire === 2) {
      for (const g of fields(f.bytes)) {
        if (g.field !== 1 || g.wire !== 2 || opType) continue;
        let op = '';
        const attrs: Record<string, number> = {};
        for (const h of fields(g.bytes)) {
          if (h.field === 4 && h.wire === 2) op = utf8(h.bytes);
          if (h.field === 5 && h.wire === 2) {
            let name = '';
            let i: number | undefined;
            for (const a of fields(h.bytes)) {
              if (a.field === 1 && a.wire === 2) name = utf8(a.bytes);
              if (a.field === 3 && a.wire === 0) i = int64(a.varint);
            }
            if (i !== undefined) attrs[name] = i;
          }
        }
        if (wantOps.includes(op)) { opType = op; ints = attrs; }
      }
    }
  }
  return { opset, opType, ints };
}

/** Reads `dir/<name>` (model.onnx + test_data_set_0). `wantOps` picks the node whose attributes are returned. */
export function readOnnxCase(dir: string, wantOps: readonly string[]): OnnxCase {
  const model = readModel(readFileSync(join(dir, 'model.onnx')), wantOps);
  const set = join(dir, 'test_data_set_0');
  const files = readdirSync(set);
  const load = (prefix: string): TestTensor[] =>
    files
      .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((f) => decodeTestTensor(readFileSync(join(set, f))));
  return { name: dir.split(/[\\/]/).pop() ?? dir, ...model, inputs: load('input_'), outputs: load('output_') };
}

/** Case folders under `base` whose name starts with `prefix`. */
export function listCases(base: string, prefix: string): string[] {
  return readdirSync(base).filter((n) => n.startsWith(prefix)).sort().map((n) => join(base, n));
}
