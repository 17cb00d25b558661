#!/usr/bin/env node
// CPU time per call (best of 15 x 200 calls) of the reference Slice and Concat kernels on the shapes ultraface-rfb-320
// runs them with (box decoding: runs of 2 floats; feature-map joins: large blocks). Usage: node benchmarks/slice-concat.bench.mjs
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
const reg = createReferenceRegistry();
const ctx = { alloc: (dt, dims) => new Tensor(dt, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims) };
const mk = (op, attrs, types, outs = 1) => reg.resolve(`${op}:*`).create({ name: 'n', opType: op, domain: '', opset: 13, attrs: new Map(Object.entries(attrs)), inputTypes: types, outputCount: outs });
const f = (dims) => new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i), dims);
const i64 = (xs) => new Tensor('int64', xs.map(BigInt), [xs.length]);
const box = f([1, 4420, 4]);
const cases = {
  'Slice [1,4420,4]->[..,0:2]': [mk('Slice', {}, ['float32', 'int64', 'int64', 'int64']), [box, i64([0]), i64([2]), i64([2])]],
  'Slice [1,4420,4]->[..,2:4]': [mk('Slice', {}, ['float32', 'int64', 'int64', 'int64']), [box, i64([2]), i64([4]), i64([2])]],
  'Concat ax2 2x[1,4420,2]': [mk('Concat', { axis: 2 }, ['float32', 'float32']), [f([1, 4420, 2]), f([1, 4420, 2])]],
  'Concat ax1 3x[1,16,30,40]': [mk('Concat', { axis: 1 }, ['float32', 'float32', 'float32']), [f([1, 16, 30, 40]), f([1, 16, 30, 40]), f([1, 16, 30, 40])]],
  'Concat ax1 [1,{3600,600,160,60},4]': [mk('Concat', { axis: 1 }, ['float32', 'float32', 'float32', 'float32']), [f([1, 3600, 4]), f([1, 600, 4]), f([1, 160, 4]), f([1, 60, 4])]],
};
for (const [name, [k, ins]] of Object.entries(cases)) {
  let best = Infinity;
  for (let r = 0; r < 15; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 200; i++) k.run(ins, ctx);
    const c = process.cpuUsage(t0);
    best = Math.min(best, (c.user + c.system) / 200);
  }
  console.log(`${best.toFixed(1).padStart(7)} us  ${name}`);
}
