import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dataTypeName, decodeTensor, tensorValues } from '@lowbit/onnx-ir';
import { Tensor, type DType } from '@lowbit/kernels';
import { DataFormatError } from './errors.js';
import { readDataFile } from './files.js';
import { fitToInput, type InputSpec } from './fit.js';

/** Reads the `input_N.pb` TensorProtos of one ONNX test-set folder into tensors, in N order. */
export async function readPbTensors(dir: string, prefix: 'input' | 'output'): Promise<{ name: string; tensor: Tensor }[]> {
  const files = (await readdir(dir))
    .map((f) => new RegExp(`^${prefix}_(\\d+)\\.pb$`).exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  const out: { name: string; tensor: Tensor }[] = [];
  for (const m of files) {
    const path = join(dir, m[0]);
    const bytes = await readDataFile(path);
    let ref;
    try {
      ref = decodeTensor(bytes, { baseDir: dir });
    } catch (cause) {
      throw new DataFormatError(`${path}: not a TensorProto`, { path }, cause);
    }
    let v;
    try {
      v = await tensorValues(ref);
    } catch (cause) {
      throw new DataFormatError(`${path}: ${(cause as Error).message}`, { path }, cause);
    }
    out.push({ name: ref.name, tensor: new Tensor(dataTypeName(v.dtype) as DType, v.data as never, v.dims) });
  }
  return out;
}

/**
 * One feed from a test-set folder: `input_N.pb` goes to the tensor's own name when it names a model input, else to
 * the N-th model input.
 */
export async function readTestSet(dir: string, inputs: readonly InputSpec[]): Promise<Record<string, Tensor>> {
  const tensors = await readPbTensors(dir, 'input');
  if (tensors.length === 0) throw new DataFormatError(`${dir}: no input_N.pb files`, { path: dir });
  const feeds: Record<string, Tensor> = {};
  tensors.forEach(({ name, tensor }, i) => {
    const spec = inputs.find((s) => s.name === name) ?? inputs[i];
    if (!spec) throw new DataFormatError(`${dir}: input_${i}.pb has no matching model input`, { path: dir, expected: `${inputs.length} inputs`, actual: `${tensors.length} files` });
    feeds[spec.name] = fitToInput(tensor, spec, join(dir, `input_${i}.pb`));
  });
  return feeds;
}
