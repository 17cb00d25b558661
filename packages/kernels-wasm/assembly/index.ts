// Lowbit WebAssembly kernels. Raw pointers into this module's memory; the JavaScript side owns allocation
// (packages/kernels-wasm/src/heap.ts) from heapBase() upwards.
export { qpackBSize, qpackB, qpackB16Size, qwidenB, qprepA, qgemm } from './qgemm';
export { spackBSize, spackB, sscratchASize, sgemm, sepilogue } from './sgemm';
export { im2colPacked, depthwise, depthwisePlanes, padPlane, im2row8 } from './conv';
export { relu, clip, binary } from './elementwise';
export { batchNorm, globalAvgPool } from './norm';
export { pool2d } from './pool';
export { quantize, dequantize, minMax, requantize } from './quant';
export { sigmoid } from './transcendental';

/** First byte the JavaScript heap may use (after static data). */
export function heapBase(): usize {
  return __heap_base;
}
