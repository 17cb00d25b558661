import { describe, expect, it } from 'vitest';
import type { KernelNode } from './contract.js';
import { keyFor } from './keys.js';
import { createReferenceRegistry } from './reference.js';
import { freshRunContext } from './run-context.js';
import { Tensor } from './tensor.js';

const node = (opType: string, inputTypes: KernelNode['inputTypes'], attrs: [string, number][] = []): KernelNode => ({
  name: 'n0', opType, domain: '', opset: 21, attrs: new Map(attrs), inputTypes, outputCount: 1,
});

describe('createReferenceRegistry', () => {
  it('returns a new registry each call and holds only scalar variants', () => {
    const a = createReferenceRegistry();
    const b = createReferenceRegistry();
    expect(a).not.toBe(b);
    for (const k of a.keys()) for (const v of a.variants(k)) expect(v.isa).toBe('scalar');
  });

  it('resolves the keys the runtime asks for, by keyFor', () => {
    const r = createReferenceRegistry();
    const cases: KernelNode[] = [
      node('Conv', ['float32', 'float32', null]),
      node('Gemm', ['float64', 'float64']),
      node('MatMulInteger', ['uint8', 'int8', 'uint8', 'int8']),
      node('ConvInteger', ['int8', 'uint8']),
      node('QLinearMatMul', ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8']),
      node('QLinearConv', ['int8', 'float32', 'int8', 'int8', 'float32', 'int8', 'float32', 'int8', 'int32']),
      node('MaxPool', ['uint8']),
      node('LayerNormalization', ['float16', 'float16', 'float16']),
    ];
    for (const n of cases) expect(r.resolve(keyFor(n)).key).toBe(keyFor(n));
  });

  it('runs a resolved kernel end to end (MatMulInteger u8 x i8, per-column zero point)', () => {
    const r = createReferenceRegistry();
    const n = node('MatMulInteger', ['uint8', 'int8', null, 'int8']);
    const k = r.resolve(keyFor(n)).create(n);
    // By hand: A = [[1, 2]], B = [[3, -1], [4, 5]], b_zero_point = [1, -1]:
    // j=0: 1*(3-1) + 2*(4-1) = 8;  j=1: 1*(-1+1) + 2*(5+1) = 12.
    const [y] = k.run([new Tensor('uint8', [1, 2], [1, 2]), new Tensor('int8', [3, -1, 4, 5], [2, 2]), null, new Tensor('int8', [1, -1], [2])], freshRunContext);
    expect(y!.dtype).toBe('int32');
    expect([...(y!.data as Int32Array)]).toEqual([8, 12]);
  });
});
