import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { QuantizeError } from './errors.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWithRecipe } from './quantize-recipe.js';
import { parseRecipe, recipeOf } from './recipe.js';
import { calibrationFeeds } from './test-support/mnist.js';
import { ortRunner } from './test-support/ort-runner.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');

describe('JSON recipes', () => {
  it('parses a full static recipe and normalizes onnxruntime QuantType names', () => {
    const r = parseRecipe(JSON.stringify({
      mode: 'static', quantFormat: 'QOperator', perChannel: true, activationType: 'QUInt8', weightType: 'QInt8',
      calibrationMethod: 'percentile', calibration: { percentile: 99.99 }, nodesToExclude: ['fc'],
      tensorOverrides: { x: { scale: 0.02, zeroPoint: 128 } }, nodeOverrides: { conv: { weightType: 'int8', perChannel: false } },
    }));
    expect(r.mode).toBe('static');
    expect(r.options).toMatchObject({ activationType: 'uint8', weightType: 'int8', quantFormat: 'QOperator' });
  });

  it('rejects unknown keys, wrong types and unknown enum values with the key path', () => {
    const bad: [unknown, RegExp][] = [
      [{ mode: 'static', perChanel: true }, /option "perChanel".*unknown key/],
      [{ mode: 'static', perChannel: 'yes' }, /option "perChannel".*expected a boolean/],
      [{ mode: 'static', quantFormat: 'QLinear' }, /option "quantFormat".*expected one of QDQ, QOperator/],
      [{ mode: 'dynamic', tensorOverrides: { w: { scael: 1 } } }, /option "tensorOverrides.w.scael"/],
      [{ mode: 'weight-only', blockSize: 8 }, /option "blockSize".*\[16, 256\]/],
      [{ mode: 'dynamic', calibrationMethod: 'minmax' }, /option "calibrationMethod".*unknown key/],
      [{ mode: 'fast' }, /option "mode"/],
      ['{not json', /not valid JSON/],
    ];
    for (const [input, msg] of bad) {
      expect(() => parseRecipe(typeof input === 'string' ? input : JSON.stringify(input))).toThrow(QuantizeError);
      expect(() => parseRecipe(typeof input === 'string' ? input : JSON.stringify(input))).toThrow(msg);
    }
  });

  it('property: any key outside the schema is rejected; recipeOf(parse(r)) round-trips', () => {
    const known = new Set(['mode', 'opTypesToQuantize', 'nodesToQuantize', 'nodesToExclude', 'perChannel', 'reduceRange', 'weightType', 'weightSymmetric', 'tensorOverrides', 'nodeOverrides', 'opset', 'save', 'conv', 'activationMatMul']);
    fc.assert(fc.property(fc.string({ minLength: 1 }).filter((k) => !known.has(k)), (k) => {
      expect(() => parseRecipe(`{"mode":"dynamic",${JSON.stringify(k)}:true}`)).toThrow(/unknown key/);
    }));
    fc.assert(fc.property(fc.record({ perChannel: fc.boolean(), reduceRange: fc.boolean(), conv: fc.constantFrom('conv-integer', 'float') }), (o) => {
      const r = parseRecipe({ mode: 'dynamic', ...o });
      expect(recipeOf('dynamic', r.options)).toEqual({ mode: 'dynamic', ...o });
    }));
  });

  it('a recipe gives the same bytes as the equivalent typed options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-recipe-'));
    const data = calibrationFeeds(10);
    await quantizeWithRecipe(MNIST, join(dir, 'a.onnx'), '{"mode":"static","perChannel":true,"quantFormat":"QDQ","activationType":"QInt8"}', { calibrationData: data, runner: ortRunner });
    await quantizeStatic(MNIST, join(dir, 'b.onnx'), data, { perChannel: true, quantFormat: 'QDQ', activationType: 'int8', runner: ortRunner });
    expect(readFileSync(join(dir, 'a.onnx')).equals(readFileSync(join(dir, 'b.onnx')))).toBe(true);
  });
});

describe('typed errors', () => {
  it('QOperator with 16-bit activations, a missing input file, a static recipe without data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-err-'));
    await expect(quantizeStatic(MNIST, join(dir, 'x.onnx'), calibrationFeeds(1), { quantFormat: 'QOperator', activationType: 'uint16', runner: ortRunner })).rejects.toThrow(/quantizeStatic: option "quantFormat"/);
    await expect(quantizeStatic(join(dir, 'missing.onnx'), join(dir, 'x.onnx'), calibrationFeeds(1), { runner: ortRunner })).rejects.toThrow(QuantizeError);
    await expect(quantizeWithRecipe(MNIST, join(dir, 'x.onnx'), { mode: 'static' })).rejects.toThrow(/calibrationData/);
    await expect(quantizeStatic(MNIST, join(dir, 'x.onnx'), [], { runner: ortRunner })).rejects.toThrow(/at least one batch/);
  });
});
