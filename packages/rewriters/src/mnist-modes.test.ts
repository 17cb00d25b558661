import { createPassContext } from '@lowbit/onnx-ir';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import type { Model } from '@lowbit/onnx-ir';
import { constantFolding } from './constant-folding.js';
import { dynamicQuantize } from './dynamic.js';
import { initializersNotInputs } from './initializer-inputs.js';
import { opsetUpgrade } from './opset-upgrade.js';
import { weightOnlyQuantize } from './weight-only.js';
import { decodeModel, encodeModel } from '@lowbit/onnx-ir';
import { accuracy } from './test-support/mnist.js';

async function prepared(opset: number): Promise<Model> {
  let m = decodeModel(readFileSync(testdataPath('models', 'mnist-8.onnx')));
  m = (await initializersNotInputs().run(m, createPassContext())).model;
  m = (await opsetUpgrade({ targetOpset: opset }).run(m, createPassContext())).model;
  return (await constantFolding().run(m, createPassContext())).model;
}

describe('mnist-8 dynamic and weight-only', () => {
  const n = 2000;
  const { pixels: images, labels } = readMnist('test', n);
  it('dynamic (MatMulInteger u8xs8 per-channel, ConvInteger u8xu8) runs in onnxruntime-node', async () => {
    const m = await prepared(13);
    const q = (await dynamicQuantize({ perChannel: true }).run(m, createPassContext())).model;
    const ops = q.graph.nodes.map((x) => x.opType);
    expect(ops).toContain('MatMulInteger');
    expect(ops).toContain('ConvInteger');
    const accF = await accuracy(m, images, labels);
    const accQ = await accuracy(q, images, labels);
    console.log('dynamic', accF, accQ);
    expect(Math.abs(accF - accQ)).toBeLessThan(0.5);
  });
  it('weight-only int8/int4/uint4 blocked DequantizeLinear (opset 21) and MatMulNBits run in onnxruntime-node', async () => {
    const m = await prepared(21);
    const accF = await accuracy(m, images, labels);
    const acc: Record<string, number> = {};
    let uint4: Model | undefined;
    for (const dtype of ['int8', 'int4', 'uint4'] as const) {
      const q = (await weightOnlyQuantize({ dtype, blockSize: 32 }).run(m, createPassContext())).model;
      expect(q.graph.nodes.map((x) => x.opType)).toContain('DequantizeLinear');
      acc[dtype] = await accuracy(q, images, labels);
      if (dtype === 'uint4') uint4 = q;
    }
    console.log('weight-only', acc, 'float', accF);
    expect(Math.abs(accF - acc.int8)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(accF - acc.int4)).toBeLessThanOrEqual(1);
    expect(Math.abs(accF - acc.uint4)).toBeLessThanOrEqual(1);
    // MatMulNBits holds the same uint4 values and block scales as the blocked-DQ model: same outputs up to summation order
    const nb = (await weightOnlyQuantize({ dtype: 'uint4', blockSize: 32, format: 'matmulnbits' }).run(m, createPassContext())).model;
    expect(nb.graph.nodes.map((x) => x.opType)).toContain('MatMulNBits');
    const sa = await ort.InferenceSession.create(encodeModel(uint4!), { executionProviders: ['cpu'] });
    const sb = await ort.InferenceSession.create(encodeModel(nb), { executionProviders: ['cpu'] });
    for (let i = 0; i < 20; i++) {
      const x = new ort.Tensor('float32', images.subarray(i * 784, (i + 1) * 784), [1, 1, 28, 28]);
      const a = (await sa.run({ Input3: x }))[sa.outputNames[0]].data as Float32Array;
      const b = (await sb.run({ Input3: x }))[sb.outputNames[0]].data as Float32Array;
      for (let k = 0; k < 10; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-3 * (1 + Math.abs(a[k])));
    }
  });
});
