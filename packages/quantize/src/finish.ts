/** Last steps shared by every mode: provenance metadata, verification, atomic save. */
import { verifyErrors } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { measureCoverage, withCoverage, type KeptFloat } from './coverage.js';
import { QuantizeError } from './errors.js';
import { saveOutput } from './io.js';
import { withProvenance } from './metadata.js';
import { recipeOf, type Recipe } from './recipe.js';
import type { SaveOptions } from './types.js';

export async function finish(m: Model, output: string | null, mode: Recipe['mode'], options: object, save: SaveOptions | undefined, where: string, calibrationHash?: string, keptFloat: readonly KeptFloat[] = []): Promise<Model> {
  const out = withCoverage(withProvenance(m, mode, recipeOf(mode, options), calibrationHash), measureCoverage(m, keptFloat, mode));
  const errors = verifyErrors(out);
  if (errors.length > 0) {
    throw new QuantizeError({ where, expected: 'a model that passes verifyModel', actual: `${errors.length} error(s)` }, `internal: the quantized model is invalid: ${errors.slice(0, 3).map((d) => d.message).join('; ')}`);
  }
  if (output !== null) await saveOutput(out, output, save);
  return out;
}
