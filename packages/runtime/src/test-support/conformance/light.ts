/**
 * onnx-light checks: `light_NAME.onnx` run on `inputs/light_NAME_input_0.pb` must reproduce
 * `light_NAME_output_0.pb` (rtol 1e-3, atol 1e-5, see compare.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTensor } from '@lowbit/onnx-ir';
import { Session } from '../../session.js';
import { tensorFromRef } from '../../values.js';
import { compareTensors } from './compare.js';

export const LIGHT_MODELS: readonly string[] = ['squeezenet', 'shufflenet', 'bvlc_alexnet', 'inception_v1', 'inception_v2', 'densenet121', 'resnet50', 'zfnet512', 'vgg19'];

export interface LightResult {
  readonly name: string;
  /** Number of outputs compared. */
  readonly outputs: number;
  /** The first mismatch, or undefined when every output matches. */
  readonly mismatch: string | undefined;
  readonly ms: number;
}

function readTensor(path: string) {
  const b = readFileSync(path);
  return tensorFromRef(decodeTensor(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
}

export async function checkLightModel(dir: string, name: string): Promise<LightResult> {
  const t0 = performance.now();
  const session = await Session.create(join(dir, `light_${name}.onnx`));
  const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, readTensor(join(dir, 'inputs', `light_${name}_input_${i}.pb`))]));
  const out = await session.run(feeds);
  let outputs = 0;
  for (let i = 0; existsSync(join(dir, `light_${name}_output_${i}.pb`)); i++) {
    outputs++;
    const name_ = session.outputNames[i];
    const m = compareTensors(out[name_], readTensor(join(dir, `light_${name}_output_${i}.pb`)));
    if (m) return { name, outputs, mismatch: `output "${name_}": ${m}`, ms: performance.now() - t0 };
  }
  return { name, outputs, mismatch: undefined, ms: performance.now() - t0 };
}
