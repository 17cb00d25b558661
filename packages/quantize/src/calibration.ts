/**
 * Calibration for static quantization: @lowbit/calibrators' `calibrate` over the user's data, observing the tensors
 * `insert-qdq` will quantize, with the model run by the injected runner (default @lowbit/runtime).
 */
import { builtinCalibrators, calibrate, entropy, entropyPresets, minMax, percentile } from '@lowbit/calibrators';
import type { CalibrationData, CalibrationPlanTarget, Feeds, ObservableModel } from '@lowbit/calibrators';
import { QuantizeError } from './errors.js';
import type { CalibrationMethod, StaticQuantizeOptions } from './types.js';

export interface CalibratedRanges {
  readonly ranges: Map<string, { min: number; max: number }>;
  readonly states: Map<string, Uint8Array>;
}

function targetFor(tensor: string, method: CalibrationMethod, o: StaticQuantizeOptions['calibration']): CalibrationPlanTarget {
  const c = o ?? {};
  switch (method) {
    case 'minmax': return { tensor, calibrator: minMax, spec: { axis: null } };
    case 'percentile': return { tensor, calibrator: percentile, spec: { axis: null, percentile: c.percentile ?? 99.999, ...(c.bins ? { bins: c.bins } : {}) }, prepass: true };
    // onnxruntime's EntropyCalibrater defaults (128 bins, 128 levels, signed histogram); TensorRT's 2048-bin |x|
    // preset clips mnist-8's Relu outputs to an eighth of their range and costs 2 points of accuracy there.
    case 'entropy': return { tensor, calibrator: entropy, spec: { axis: null, ...entropyPresets.onnxruntime, ...(c.bins ? { bins: c.bins } : {}), ...(c.levels ? { levels: c.levels } : {}) }, prepass: true };
    default: {
      const cal = builtinCalibrators[method];
      if (!cal) throw new QuantizeError({ where: 'quantizeStatic', option: 'calibrationMethod', expected: Object.keys(builtinCalibrators).join(', '), actual: method }, 'calibration method not available');
      return { tensor, calibrator: cal, spec: { axis: null, ...(c.bins ? { bins: c.bins } : {}) }, prepass: method === 'mse' };
    }
  }
}

/**
 * The data as a function returning a fresh iterable per read (calibration reads it up to three times: the
 * histogram prepass, the method's pass, the observed min-max pass). A reader is rewound before every read after the
 * first; a reader without `rewind` can be read once only.
 */
export function rereadable(data: CalibrationData): CalibrationData {
  if (typeof data === 'function') return data;
  if ('getNext' in data && typeof data.getNext === 'function') {
    const reader = data;
    let reads = 0;
    return () => ({
      async *[Symbol.asyncIterator]() {
        if (reads++ > 0) {
          if (typeof reader.rewind !== 'function') throw new QuantizeError({ where: 'quantizeStatic', option: 'calibrationData', expected: 'a reader with rewind() (calibration reads the data more than once)' }, 'cannot re-read the calibration data');
          await reader.rewind();
        }
        for (;;) {
          const f = await reader.getNext();
          if (f === null || f === undefined) return;
          yield f;
        }
      },
    });
  }
  const it = data as Iterable<Feeds> | AsyncIterable<Feeds>;
  return () => it;
}

export async function calibrateRanges(model: ObservableModel, input: CalibrationData, tensors: readonly string[], method: CalibrationMethod, o: StaticQuantizeOptions['calibration'], signal?: AbortSignal): Promise<CalibratedRanges> {
  const data = rereadable(input);
  const targets = tensors.map((t) => targetFor(t, method, o));
  const r = await calibrate({ data, targets, model, signal });
  if (r.batches === 0) throw new QuantizeError({ where: 'quantizeStatic', option: 'calibrationData', expected: 'at least one batch', actual: '0' }, 'no calibration data');
  // Histogram methods return windows symmetric around 0 (|x| histograms); a window never needs to extend past what
  // was observed, so it is clipped to the observed min/max (a Relu output keeps [0, t] instead of [-t, t]).
  const observed = method === 'minmax' ? r : await calibrate({ data, targets: tensors.map((t) => targetFor(t, 'minmax', o)), model, signal });
  const ranges = new Map<string, { min: number; max: number }>();
  for (const [name, range] of r.ranges) {
    if (range.min.length !== 1) throw new QuantizeError({ where: 'quantizeStatic', option: 'calibrationMethod', expected: 'a per-tensor range', actual: `${range.min.length} channels` }, `calibration of "${name}"`);
    const obs = observed.ranges.get(name)!;
    ranges.set(name, { min: Math.max(range.min[0], obs.min[0]), max: Math.min(range.max[0], obs.max[0]) });
  }
  const states = new Map(r.states);
  if (observed !== r) for (const [k, v] of observed.states) states.set(`${k}#observed`, v);
  return { ranges, states };
}
