export { repoRoot, testdataPath } from './testdata.js';
export { GRAPH_OPS, GRAPH_VECTOR_LENGTH, TENSOR_DTYPES, arbDims, arbFloat32Values, arbGraph, arbModel, arbTensor, packRaw } from './arbitraries.js';
export type { ArbTensor, GraphArbOptions, GraphOp, TensorArbOptions, TensorStorage } from './arbitraries.js';
export { floatTensor, mkGraph, mkModel, mkNode, vi } from './graph-builder.js';
export type { GraphInit, NodeDraft, NodeInit } from './graph-builder.js';
export { evaluateGraph } from './tiny-eval.js';
export type { EvalValue } from './tiny-eval.js';
export { listLightCases, listNodeTestCases, readLightCase, readTestCase } from './test-case.js';
export type { TestCase, TestDataSet } from './test-case.js';
