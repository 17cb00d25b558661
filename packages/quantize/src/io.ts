/** Reading the input model and writing the output (onnx-ir `loadModel` / atomic `saveModel`). */
import { decodeModel, loadModel, saveModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { QuantizeError } from './errors.js';
import type { ModelInput, SaveOptions } from './types.js';

export async function loadInput(input: ModelInput, where: string): Promise<Model> {
  try {
    if (typeof input === 'string') return await loadModel(input);
    if (input instanceof Uint8Array) return decodeModel(input);
  } catch (e) {
    throw new QuantizeError({ where, option: 'input', actual: typeof input === 'string' ? input : 'bytes' }, 'cannot load the input model', e);
  }
  if (input && typeof input === 'object' && 'graph' in input) return input;
  throw new QuantizeError({ where, option: 'input', expected: 'a path, ONNX bytes or a Model', actual: typeof input }, 'bad input');
}

/** Writes `m` to `path` atomically (onnx-ir `saveModel`), external data per `save`. */
export async function saveOutput(m: Model, path: string, save: SaveOptions | undefined): Promise<Model> {
  return saveModel(m, path, { ...(save?.externalDataThreshold !== undefined ? { externalDataThreshold: save.externalDataThreshold } : {}), ...(save?.externalDataFile ? { externalDataFile: save.externalDataFile } : {}) });
}
