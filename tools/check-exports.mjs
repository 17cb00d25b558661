#!/usr/bin/env node
// Imports every package the way a user does (plain Node ESM, built dist) and checks the public names the issues
// promise are there. Run after `npm run build`.
const expected = {
  '@lowbit/onnx-ir': ['decodeModel', 'encodeModel', 'loadModel', 'saveModel', 'verifyModel', 'editGraph', 'PassManager'],
  '@lowbit/qparams': ['qparamsFromRange', 'chooseQParams', 'quantize', 'dequantize', 'dynamicQuantize'],
  '@lowbit/kernels': ['createReferenceRegistry', 'KernelRegistry', 'Tensor', 'keyFor'],
  '@lowbit/runtime': ['Session', 'Tensor'],
  '@lowbit/kernels-wasm': ['createWasmBackend'],
  '@lowbit/calibrators': ['minMax', 'entropy', 'percentile', 'mse', 'CalibrationSession', 'calibrate'],
  '@lowbit/rewriters': ['insertQdq', 'qdqToQOperator', 'dynamicQuantize', 'weightOnlyQuantize', 'opsetUpgrade'],
  '@lowbit/quantize': ['quantizeDynamic', 'quantizeStatic', 'quantizeWeightOnly', 'calibrateStatic', 'quantizeWithAccuracy', 'outputSqnr', 'top1Agreement'],
  '@lowbit/cli': ['main', 'buildProgram', 'ExitCode'],
};
let missing = 0;
for (const [pkg, names] of Object.entries(expected)) {
  const m = await import(pkg);
  const absent = names.filter((n) => !(n in m));
  missing += absent.length;
  console.log(`${pkg}: ${absent.length ? `MISSING ${absent.join(', ')}` : `ok (${Object.keys(m).length} exports)`}`);
}
process.exit(missing ? 1 : 0);
