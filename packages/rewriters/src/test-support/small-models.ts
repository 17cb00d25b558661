/** TEST-ONLY: small models shared by the quantizing-pass tests. */
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { intsAttr } from '../attrs.js';
import { makeTensor } from '../tensor-data.js';
import { model, node, randFloats, vi } from './build.js';

/** x[1,2,6,6] -> Conv(w,b) -> Relu -> MaxPool -> Reshape[1,32] -> MatMul(w2[32,5]) -> y[1,5]. */
export function convNet(opset = 13): Model {
  return model({
    opset,
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])], 'conv'),
      node('Relu', ['c'], ['r'], [], 'relu'),
      node('MaxPool', ['r'], ['p'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])], 'pool'),
      node('Reshape', ['p', 'shape'], ['f'], [], 'flatten'),
      node('MatMul', ['f', 'w2'], ['y'], [], 'fc'),
    ],
    inputs: [vi('x', [1, 2, 6, 6])],
    outputs: [vi('y', [1, 5])],
    inits: [
      makeTensor('w', DataType.FLOAT, [8, 2, 3, 3], randFloats(144, 1, 0.5)),
      makeTensor('b', DataType.FLOAT, [8], randFloats(8, 2, 0.1)),
      makeTensor('shape', DataType.INT64, [2], [1, 72]),
      makeTensor('w2', DataType.FLOAT, [72, 5], randFloats(360, 3, 0.3)),
    ],
  });
}

export const CONVNET_INPUT = (seed = 5): Float32Array => Float32Array.from(randFloats(72, seed), (v) => v * 2);
