import type { Calibrator } from './core/types.js';
import { distiller } from './methods/distiller.js';
import { distribution } from './methods/distribution.js';
import { entropy } from './methods/entropy.js';
import { minMax } from './methods/min-max.js';
import { movingAverageMinMax } from './methods/moving-average.js';
import { mse } from './methods/mse.js';
import { percentile } from './methods/percentile.js';

/** A read-only lookup of calibrators by `kind` (how workers rebuild the calibrators a session uses). */
export type CalibratorTable = Readonly<Record<string, Calibrator<any, any>>>;

/** Every built-in method, by kind. Frozen: add your own by spreading it into a new table. */
export const builtinCalibrators: CalibratorTable = Object.freeze({
  [minMax.kind]: minMax,
  [movingAverageMinMax.kind]: movingAverageMinMax,
  [percentile.kind]: percentile,
  [entropy.kind]: entropy,
  [distribution.kind]: distribution,
  [distiller.kind]: distiller,
  [mse.kind]: mse,
});
