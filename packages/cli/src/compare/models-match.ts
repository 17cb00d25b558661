import type { Model } from '@lowbit/onnx-ir';
import { modelInputSpecs } from '../commands/model-inputs.js';
import type { InputSpec } from '../data/fit.js';
import { ModelMismatchError } from './errors.js';

const shapeText = (s: InputSpec): string => `${s.dtype}[${s.dims.map((d) => d ?? '?').join(', ')}]`;

/**
 * Checks that the quantized model takes exactly the float model's inputs (same names, dtypes, and equal dims where
 * both are fixed numbers; a symbolic or unknown dim matches anything) and has as many outputs. Outputs are paired by
 * position. Throws {@link ModelMismatchError} naming the input and both shapes.
 */
export function checkModelsMatch(floatModel: Model, quantModel: Model): void {
  const fIn = modelInputSpecs(floatModel);
  const qIn = modelInputSpecs(quantModel);
  const qByName = new Map(qIn.map((s) => [s.name, s]));
  for (const f of fIn) {
    const q = qByName.get(f.name);
    if (!q) {
      throw new ModelMismatchError(
        `the quantized model has no input "${f.name}" (float model inputs: ${fIn.map((s) => s.name).join(', ')}; quantized model inputs: ${qIn.map((s) => s.name).join(', ')})`,
        { value: f.name, expected: shapeText(f), actual: 'missing' },
      );
    }
    const dimsDiffer = f.dims.length !== q.dims.length || f.dims.some((d, i) => typeof d === 'number' && typeof q.dims[i] === 'number' && d !== q.dims[i]);
    if (f.dtype !== q.dtype || dimsDiffer) {
      throw new ModelMismatchError(`input "${f.name}": float model expects ${shapeText(f)}, quantized model expects ${shapeText(q)}`, {
        value: f.name, expected: shapeText(f), actual: shapeText(q),
      });
    }
  }
  const extra = qIn.filter((q) => !fIn.some((f) => f.name === q.name));
  if (extra.length > 0) {
    throw new ModelMismatchError(`the quantized model has input "${extra[0].name}" that the float model does not have`, {
      value: extra[0].name, expected: 'missing', actual: shapeText(extra[0]),
    });
  }
  const fo = floatModel.graph.outputs.length;
  const qo = quantModel.graph.outputs.length;
  if (fo !== qo) {
    throw new ModelMismatchError(`the float model has ${fo} outputs, the quantized model ${qo}`, { value: '', expected: `${fo} outputs`, actual: `${qo} outputs` });
  }
}
