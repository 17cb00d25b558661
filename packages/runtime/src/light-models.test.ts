/**
 * onnx-light model-zoo architectures reproduce their stored outputs (input `inputs/NAME_input_0.pb`, expected
 * `NAME_output_0.pb`, compared within rtol 1e-3 / atol 1e-5). These test loading, shapes and op coverage.
 *
 * Seven of the nine run here. resnet50 and vgg19 also pass but take about 20 s and 45 s on the scalar reference
 * Conv, over the package's test-time budget: `LOWBIT_LIGHT_MODELS=all npx vitest run
 * packages/runtime/src/light-models.test.ts` runs all nine.
 */
import { describe, expect, it } from 'vitest';
import { checkLightModel } from './test-support/conformance/light.js';
import { testdataPath } from '@lowbit/testing';

const IN_TESTS = ['squeezenet', 'shufflenet', 'bvlc_alexnet', 'inception_v1', 'inception_v2', 'densenet121', 'zfnet512'];
/** The slow two, run only with LOWBIT_LIGHT_MODELS=all. */
const SLOW = ['resnet50', 'vgg19'];

describe('onnx-light models', () => {
  for (const name of process.env.LOWBIT_LIGHT_MODELS === 'all' ? [...IN_TESTS, ...SLOW] : IN_TESTS) {
    it(`${name} reproduces its stored output`, async () => {
      const r = await checkLightModel(testdataPath('onnx-light'), name);
      expect(r.mismatch).toBeUndefined();
      expect(r.outputs).toBeGreaterThan(0);
    }, 60_000);
  }
});
