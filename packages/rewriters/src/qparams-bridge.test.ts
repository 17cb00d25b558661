import { describe, expect, it } from 'vitest';
import { dataTypeName } from '@lowbit/onnx-ir';
import { QUANT_DTYPES, isFloatQuantDType, type IntQuantDType } from '@lowbit/qparams';
import { Q_DATATYPE } from './qparams-bridge.js';

describe('Q_DATATYPE', () => {
  it('maps every qparams integer storage type to the ONNX element type of the same name', () => {
    const ints = QUANT_DTYPES.filter((d): d is IntQuantDType => !isFloatQuantDType(d));
    expect(ints.length).toBe(8);
    for (const d of ints) expect(dataTypeName(Q_DATATYPE[d]), d).toBe(d);
    expect(Object.keys(Q_DATATYPE).sort()).toEqual([...ints].sort());
  });
});
