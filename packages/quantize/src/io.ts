/** Reading the input model and writing the output (atomically: a temporary file renamed into place). */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeModel, encodeModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { QuantizeError } from './errors.js';
import type { ModelInput, SaveOptions } from './types.js';

export async function loadInput(input: ModelInput, where: string): Promise<Model> {
  if (typeof input === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(input);
    } catch (e) {
      throw new QuantizeError({ where, option: 'input', actual: input }, 'cannot read the input model', e);
    }
    return decodeModel(bytes, { baseDir: dirname(resolve(input)) });
  }
  if (input instanceof Uint8Array) return decodeModel(input);
  if (input && typeof input === 'object' && 'graph' in input) return input;
  throw new QuantizeError({ where, option: 'input', expected: 'a path, ONNX bytes or a Model', actual: typeof input }, 'bad input');
}

/** Encodes and writes `m` to `path` atomically (temporary file in the same folder, then rename). */
export async function saveOutput(m: Model, path: string, _save: SaveOptions | undefined): Promise<void> {
  const bytes = encodeModel(m);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new QuantizeError({ where: 'save', option: 'output', actual: path }, 'cannot write the output model', e);
  }
}
