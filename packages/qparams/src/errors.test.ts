import { describe, expect, it } from 'vitest';
import { chooseQParams } from './choose-qparams.js';
import { dequantize } from './dequantize.js';
import { dynamicQuantize } from './dynamic-quantize.js';
import { LowbitError } from './lowbit-error.js';
import { QParamsError } from './qparams-error.js';
import { qparamsFromRange } from './qparams-from-range.js';
import { quantize } from './quantize.js';
import { intInfo, type IntQuantDType, type QuantDType } from './dtypes.js';

function expectQParamsError(f: () => unknown, param: string, value: unknown, fragment?: string): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(QParamsError);
  expect(err).toBeInstanceOf(LowbitError);
  const e = err as QParamsError;
  expect(e.code).toBe('QPARAMS');
  expect(e.context.param).toBe(param);
  if (typeof value === 'number' && Number.isNaN(value)) expect(e.context.value).toBeNaN();
  else expect(e.context.value).toEqual(value);
  expect(e.message).toContain(param);
  if (fragment) expect(e.message).toContain(fragment);
}

describe('QParamsError names the offending value', () => {
  it('intInfo of a name that is not an integer quantized type', () => {
    expect(intInfo('int4')).toEqual({ kind: 'int', bits: 4, signed: true, qmin: -8, qmax: 7 });
    expectQParamsError(() => intInfo('float8e4m3fn' as IntQuantDType), 'dtype', 'float8e4m3fn', 'one of uint8, int8');
    expectQParamsError(() => intInfo('toString' as IntQuantDType), 'dtype', 'toString');
  });
  it('NaN or infinite range', () => {
    expectQParamsError(() => qparamsFromRange({ min: NaN, max: 1 }, { dtype: 'uint8' }), 'range.min', NaN, 'NaN');
    expectQParamsError(() => qparamsFromRange({ min: 0, max: Infinity }, { dtype: 'int8' }), 'range.max', Infinity, 'Infinity');
  });
  it('min > max', () => {
    expectQParamsError(() => qparamsFromRange({ min: 2, max: 1 }, { dtype: 'int8' }), 'range', [2, 1], 'min <= max');
  });
  it('a scale that overflows float32', () => {
    expectQParamsError(() => qparamsFromRange({ min: -3e38, max: 3e38 }, { dtype: 'int4' }), 'range', [-3e38, 3e38]);
  });
  it('unknown dtype', () => {
    expectQParamsError(() => qparamsFromRange({ min: 0, max: 1 }, { dtype: 'int3' as QuantDType }), 'opts.dtype', 'int3', '"int3"');
    expectQParamsError(() => quantize([1], [1], { dtype: 'float64' as QuantDType, scale: [1] }), 'params.dtype', 'float64');
  });
  it('float dtypes have no asymmetric scheme and no reduce-range', () => {
    expectQParamsError(() => qparamsFromRange({ min: 0, max: 1 }, { dtype: 'float8e4m3fn', scheme: 'asymmetric' }), 'opts.scheme', 'asymmetric');
    expectQParamsError(() => qparamsFromRange({ min: 0, max: 1 }, { dtype: 'float8e5m2', reduceRange: true }), 'opts.reduceRange', true);
  });
  it('block size that does not divide the axis (chooseQParams)', () => {
    const t = { data: new Float32Array(10), dims: [2, 5] };
    expectQParamsError(() => chooseQParams(t, { dtype: 'int4', granularity: 'per-block', axis: 1, blockSize: 2 }), 'opts.blockSize', 2, 'dims[1] = 5');
    expectQParamsError(() => chooseQParams(t, { dtype: 'int4', granularity: 'per-block', axis: 1, blockSize: 0 }), 'opts.blockSize', 0);
  });
  it('zero-size tensors', () => {
    expectQParamsError(() => chooseQParams({ data: [], dims: [3, 0] }, { dtype: 'uint8' }), 'tensor.dims', [3, 0]);
    expectQParamsError(() => dynamicQuantize([]), 'x.length', 0);
  });
  it('NaN or infinite elements given to chooseQParams / dynamicQuantize', () => {
    expectQParamsError(() => chooseQParams({ data: [1, NaN], dims: [2] }, { dtype: 'uint8' }), 'tensor.data[1]', NaN);
    expectQParamsError(() => dynamicQuantize([1, -Infinity]), 'x[1]', -Infinity);
  });
  it('missing or out-of-range axis', () => {
    expectQParamsError(() => chooseQParams({ data: [1, 2], dims: [2] }, { dtype: 'int8', granularity: 'per-axis' }), 'opts.axis', undefined);
    expectQParamsError(() => chooseQParams({ data: [1, 2], dims: [2] }, { dtype: 'int8', granularity: 'per-axis', axis: 1 }), 'opts.axis', 1, '[-1, 0]');
  });
  it('zero, negative, NaN or infinite scale given to quantize/dequantize', () => {
    expectQParamsError(() => quantize([1], [1], { dtype: 'uint8', scale: [0] }), 'scale', 0);
    expectQParamsError(() => quantize([1, 2], [2], { dtype: 'uint8', scale: [1, -1], axis: 0 }), 'scale[1]', -1);
    expectQParamsError(() => quantize([1], [1], { dtype: 'int8', scale: [NaN] }), 'scale', NaN);
    expectQParamsError(() => dequantize([1], [1], { dtype: 'int8', scale: [Infinity] }), 'scale', Infinity);
  });
  it('zero point out of the dtype range, or of the wrong length', () => {
    expectQParamsError(() => quantize([1], [1], { dtype: 'int4', scale: [1], zeroPoint: [8] }), 'zeroPoint', 8, '[-8, 7]');
    expectQParamsError(() => quantize([1], [1], { dtype: 'uint8', scale: [1], zeroPoint: [1, 2] }), 'zeroPoint.length', 2);
  });
  it('parameters that do not fit the tensor', () => {
    expectQParamsError(() => quantize([1, 2, 3], [3], { dtype: 'uint8', scale: [1, 1] , axis: 0 }), 'scale length', 2);
    expectQParamsError(() => quantize([1, 2], [1, 2], { dtype: 'uint8', scale: [1], paramDims: [1, 2], axis: 1, blockSize: 2 }), 'scale dims', [1, 2]);
    expectQParamsError(() => quantize([1, 2], [3], { dtype: 'uint8', scale: [1] }), 'x.length', 2);
  });
});

describe('chooseQParams says which group failed', () => {
  it('names the group whose range overflows the float32 scale', () => {
    let err: unknown;
    try {
      chooseQParams({ data: [1, 2, -3e38, 3e38], dims: [2, 2] }, { dtype: 'int8', granularity: 'per-axis', axis: 0 });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(QParamsError);
    expect((err as Error).message).toContain('per-axis group 1 of 2');
    expect((err as QParamsError).context.param).toBe('range');
  });
});
