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
export { decodeFixtureModel, encodeFixtureModel, readFixtureCase, readFixtureModel } from './onnx-fixtures.js';
export type {
  FixtureAttr, FixtureAttrSpec, FixtureCase, FixtureData, FixtureModel, FixtureModelSpec, FixtureNode, FixtureNodeSpec, FixtureTensor,
  FixtureTensorSpec, FixtureValue, FixtureValueSpec,
} from './onnx-fixtures.js';
