/** Runs the mode a JSON recipe names (see recipe.ts) with its validated options (static: data or saved statistics). */
import type { Model } from '@lowbit/onnx-ir';
import { QuantizeError } from './errors.js';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { parseRecipe } from './recipe.js';
import type { CalibrationData, ModelInput, ModelRunnerFactory } from './types.js';

export async function quantizeWithRecipe(input: ModelInput, output: string, recipe: string | object, extra: { calibrationData?: CalibrationData; runner?: ModelRunnerFactory; statistics?: Uint8Array } = {}): Promise<Model> {
  const r = parseRecipe(recipe);
  const runner = extra.runner ? { runner: extra.runner } : {};
  switch (r.mode) {
    case 'static':
      if (extra.statistics) return quantizeStatic(input, output, extra.calibrationData, { ...r.options, ...runner, statistics: extra.statistics });
      if (!extra.calibrationData) throw new QuantizeError({ where: 'recipe', option: 'calibrationData', expected: 'calibration data (or saved statistics) for a static recipe' }, 'missing data');
      return quantizeStatic(input, output, extra.calibrationData, { ...r.options, ...runner });
    case 'dynamic':
      return quantizeDynamic(input, output, { ...r.options, ...runner });
    case 'weight-only':
      return quantizeWeightOnly(input, output, { ...r.options, ...runner, ...(extra.calibrationData ? { calibrationData: extra.calibrationData } : {}) });
  }
}
