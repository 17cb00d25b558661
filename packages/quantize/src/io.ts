/** Reading the input model and writing the output (onnx-ir `loadModel` / atomic `saveModel`). */
import { checkModel, decodeModel, loadModel, saveModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { QuantizeError } from './errors.js';
import { checkQuantizable } from './input-checks.js';
import { checkNotQuantized } from './quantized-input.js';
import type { ModelInput, SaveOptions } from './types.js';

/**
 * The input model, held to the loader's checks whatever form it came in (path, bytes or IR): a defect of the input
 * (data shorter than its dims, an invalid graph, ...) is a ModelFormatError naming it, never a quantized model. A file
 * or bytes that cannot be read or decoded at all is a QuantizeError with the cause. An already quantized model is an
 * AlreadyQuantizedError unless `allowQuantized` (see quantized-input.ts).
 */
export async function loadInput(input: ModelInput, where: string, opts: { readonly allowQuantized?: boolean } = {}): Promise<Model> {
  let m: Model;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      m = typeof input === 'string' ? await loadModel(input, { limits: false }) : decodeModel(input);
    } catch (e) {
      throw new QuantizeError({ where, option: 'input', actual: typeof input === 'string' ? input : 'bytes' }, 'cannot load the input model', e);
    }
  } else if (input && typeof input === 'object' && 'graph' in input) m = input;
  else throw new QuantizeError({ where, option: 'input', expected: 'a path, ONNX bytes or a Model', actual: input === null ? 'null' : typeof input }, 'bad input');
  checkModel(m);
  checkQuantizable(m);
  if (opts.allowQuantized !== true) checkNotQuantized(m, where);
  return m;
}

/** Writes `m` to `path` atomically (onnx-ir `saveModel`), external data per `save`. */
export async function saveOutput(m: Model, path: string, save: SaveOptions | undefined): Promise<Model> {
  return saveModel(m, path, { ...(save?.externalDataThreshold !== undefined ? { externalDataThreshold: save.externalDataThreshold } : {}), ...(save?.externalDataFile ? { externalDataFile: save.externalDataFile } : {}) });
}
