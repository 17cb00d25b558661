export { repoRoot, testdataPath } from './testdata.js';
export { listCorpusModels } from './corpus.js';
export { GRAPH_OPS, GRAPH_VECTOR_LENGTH, TENSOR_DTYPES, arbDims, arbFloat32Values, arbGraph, arbModel, arbTensor, packRaw } from './arbitraries.js';
export type { ArbTensor, GraphArbOptions, GraphOp, TensorArbOptions, TensorStorage } from './arbitraries.js';
export { floatTensor, mkGraph, mkModel, mkNode, vi } from './graph-builder.js';
export type { GraphInit, NodeDraft, NodeInit } from './graph-builder.js';
export { readMnist } from './mnist.js';
export type { Mnist } from './mnist.js';
export { evaluateGraph } from './tiny-eval.js';
export type { EvalValue } from './tiny-eval.js';
export { listLightCases, listNodeTestCases, readLightCase, readTestCase } from './test-case.js';
export type { TestCase, TestDataSet } from './test-case.js';
export { EPS_F32, EquivalenceError, assertEquivalent, compareOutput, productSumAbs, shapeClasses, sizeClasses } from './equivalence.js';
export type { EquivalenceCase, EquivalenceOptions, EquivalenceReport, TileShape, ValueSource } from './equivalence.js';
// The ONNX codec of @lowbit/onnx-ir, re-exported for the tests of packages whose module boundary excludes onnx-ir
// (kernels, qparams): test files may import @lowbit/testing only (tools/check-boundaries.mjs), and testing -> onnx-ir
// is an allowed arrow. Test-only; never a runtime path.
export { DataType, dataTypeName, decodeModel, decodeTensor, encodeModel, encodeTensor, tensorFromValues, tensorValuesSync } from '@lowbit/onnx-ir';
export type { Attr, Model, Node, TensorRef, ValueInfo } from '@lowbit/onnx-ir';
