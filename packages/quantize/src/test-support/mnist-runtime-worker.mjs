// Worker module (and main-thread model) for mnist-sharded-calibration.test.ts: mnist-8 run by @lowbit/runtime.
// Test-only, and in quantize because @lowbit/calibrators never depends on the runtime (calibrators -> qparams only);
// the runtime's Session satisfies ObservableModel structurally, and this adapter only turns structured-cloned feeds
// back into Tensors.
import { readFileSync } from 'node:fs';
import { Session, Tensor } from '@lowbit/runtime';

/** `options.modelPath`: the .onnx file (the test passes testdataPath('models', 'mnist-8.onnx')). */
export async function createModel(options) {
  const session = await Session.create(new Uint8Array(readFileSync(options.modelPath)));
  return {
    inputNames: session.inputNames,
    inputMetadata: session.inputMetadata,
    async run(feeds, hooks) {
      const tensors = {};
      for (const [name, t] of Object.entries(feeds)) tensors[name] = t instanceof Tensor ? t : new Tensor(t.dtype, t.data, t.dims);
      await session.run(tensors, hooks);
    },
  };
}
