import { createPassContext } from '@lowbit/onnx-ir';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import type { Model } from '@lowbit/onnx-ir';
import { initializersNotInputs } from './initializer-inputs.js';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { opsetUpgrade } from './opset-upgrade.js';
import { constantFolding } from './constant-folding.js';
import { fuseConvBias } from './fold-batchnorm.js';
import { qdqToQOperator } from './qoperator.js';
import { decodeModel } from '@lowbit/onnx-ir';
import { minMaxRanges } from './test-support/calibrate-ort.js';
import { accuracy } from './test-support/mnist.js';

describe('mnist-8 static QDQ (test-only ORT calibration)', () => {
  it('quantizes, loads in onnxruntime-node and keeps accuracy', async () => {
    let m = decodeModel(readFileSync(testdataPath('models', 'mnist-8.onnx')));
    m = (await initializersNotInputs().run(m, createPassContext())).model;
    m = (await opsetUpgrade({ targetOpset: 13 }).run(m, createPassContext())).model;
    m = (await constantFolding().run(m, createPassContext())).model;
    m = (await fuseConvBias().run(m, createPassContext())).model;
    const calib = readMnist('train', 100).pixels;
    const targets = staticQuantTargets(m);
    const ranges = await minMaxRanges(m, targets, 'Input3', Array.from({ length: 100 }, (_, i) => ({ data: calib.subarray(i * 784, (i + 1) * 784), dims: [1, 1, 28, 28] })));
    const q = (await insertQdq({ ranges, perChannel: true }).run(m, createPassContext())).model;
    const n = 2000;
    const { pixels: images, labels } = readMnist('test', n);
    const accF = await accuracy(m, images, labels);
    const accQ = await accuracy(q, images, labels);
    const qo = (await qdqToQOperator().run(q, createPassContext())).model;
    const accO = await accuracy(qo, images, labels);
    console.log('float', accF, 'qdq', accQ, 'qop', accO, q.graph.nodes.map((x) => x.opType).join(','), '\n', qo.graph.nodes.map((x) => x.opType).join(','));
    expect(Math.abs(accF - accQ)).toBeLessThan(0.5);
  });
});
