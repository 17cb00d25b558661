/**
 * The one place a quantization mode is dispatched: `runRecipe` runs the mode a parsed recipe names with its options
 * (the CLI builds one from its flags), `quantizeWithRecipe` parses a JSON recipe (see recipe.ts) first. Static needs
 * calibration data or saved statistics; weight-only passes calibration data on (GPTQ reads it).
 */
import type { Model } from '@lowbit/onnx-ir';
import { QuantizeError } from './errors.js';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { parseRecipe, type Recipe } from './recipe.js';
import type { CalibrationData, ModelInput, ModelRunnerFactory } from './types.js';

export interface RecipeInputs {
  readonly calibrationData?: CalibrationData;
  readonly runner?: ModelRunnerFactory;
  /** Saved statistics (static mode) instead of calibration data. */
  readonly statistics?: Uint8Array;
  /** Cancels the run (see the quantizers' `signal` option). */
  readonly signal?: AbortSignal;
}

export async function runRecipe(recipe: Recipe, input: ModelInput, output: string | null, extra: RecipeInputs = {}): Promise<Model> {
  const runner = { ...(extra.runner ? { runner: extra.runner } : {}), ...(extra.signal ? { signal: extra.signal } : {}) };
  switch (recipe.mode) {
    case 'static':
      if (extra.statistics) return quantizeStatic(input, output, extra.calibrationData, { ...recipe.options, ...runner, statistics: extra.statistics });
      if (!extra.calibrationData) throw new QuantizeError({ where: 'recipe', option: 'calibrationData', expected: 'calibration data (or saved statistics) for a static recipe' }, 'missing data');
      return quantizeStatic(input, output, extra.calibrationData, { ...recipe.options, ...runner });
    case 'dynamic':
      return quantizeDynamic(input, output, { ...recipe.options, ...runner });
    case 'weight-only':
      return quantizeWeightOnly(input, output, { ...recipe.options, ...runner, ...(extra.calibrationData ? { calibrationData: extra.calibrationData } : {}) });
  }
}

export async function quantizeWithRecipe(input: ModelInput, output: string | null, recipe: string | object, extra: RecipeInputs = {}): Promise<Model> {
  return runRecipe(parseRecipe(recipe), input, output, extra);
}
