export { LowbitError, invariant } from './lowbit-error.js';
export type { LowbitErrorOptions } from './lowbit-error.js';
export { DataType } from './types.js';
export type {
  Attr, AttrType, Dim, ExternalTensor, FunctionDef, Graph, InlineTensor, LazyTensor, Model, Node, NodeId, OpsetImport,
  SparseTensor, StringEntry, TensorRef, TypeInfo, ValueInfo,
} from './types.js';

// ---- graph API: editor, index, order, verification, passes (graph helper) ----
export { editGraph, editModel } from './editor.js';
export type { EditOptions, GraphEditor, NodePatch, NodeRef, NodeSpec, ReplaceUsesOptions } from './editor.js';
export { NameAllocator, collectNames } from './names.js';
export { graphIndex, hasSubgraphs, subgraphsOf } from './graph-index.js';
export type { GraphIndex, Producer, Use } from './graph-index.js';
export { firstOutOfOrder, isTopologicallySorted, nodeLabel, topologicalOrder, topologicalSort } from './topo.js';
export { KNOWN_OPSETS, MAX_KNOWN_IR_VERSION, minIrVersionForOpset, verifyErrors, verifyModel } from './verify.js';
export { importedOpset, isDefaultDomain, normalizeDomain } from './domain.js';
export type { Diagnostic, Severity } from './diagnostic.js';
export { createPassContext, resultOf, unchanged } from './pass.js';
export type { LogLevel, Pass, PassContext, PassContextInit, PassLogEntry, PassResult } from './pass.js';
export { PassManager } from './pass-manager.js';
export type { PassManagerOptions, PassManagerResult, PassTiming } from './pass-manager.js';
export { deadCodeElimination, eliminateDeadCode } from './passes/dead-code-elimination.js';
export { eliminateIdentities, identityElimination } from './passes/identity-elimination.js';
export { topologicalSortPass } from './passes/topological-sort.js';
export { mapSubgraphs } from './passes/map-subgraphs.js';
export { renameOuterReferences, renameNodeReads } from './rename.js';
export {
  attrBigInt, attrFloat, attrFloats, attrGraph, attrInt, attrInts, attrString, attrStrings, attrTensor, floatAttr,
  floatsAttr, getAttr, graphAttr, hasAttr, intAttr, intsAttr, stringAttr, stringsAttr, tensorAttr,
} from './attrs.js';
export { broadcastShapes, ShapeConflict } from './broadcast.js';
export type { Shape } from './broadcast.js';
export { inferShapes } from './shape-infer.js';
export type { InferShapesOptions, InferredShapes, KnownTensor, NodeShapeConflict } from './shape-infer.js';
export { outputElemTypes } from './elem-type-rules.js';
export { NodeError, PassAbortedError, PassError, PostconditionError, PreconditionError } from './errors-pass.js';
export type { NodeErrorContext, PassErrorContext, PostconditionContext, PreconditionContext } from './errors-pass.js';

// ---- codec: protobuf I/O, tensor data, external data (codec helper) ----
export { MAX_IR_VERSION, MIN_IR_VERSION, decodeModel, decodeTensor, encodeModel, encodeTensor } from './codec.js';
export type { DecodeOptions } from './codec.js';
export { ONNX_SCHEMA_JSON, buildOnnxSchema } from './schema.js';
export type { OnnxTypes } from './schema.js';
export { dataTypeBits, dataTypeFromName, dataTypeName, elementCount, isKnownDataType, rawByteLength } from './dtype.js';
export type { DataTypeName } from './dtype.js';
export { ExternalDataError, ModelFormatError, TensorDataError } from './errors.js';
export type { ExternalDataContext, ModelFormatContext, TensorDataContext } from './errors.js';
export { tensorFromValues, valuesFromBytes } from './tensor-values.js';
export type { TensorValues, TensorValuesData } from './tensor-values.js';
export {
  createTensorStore, readTensorBytes, readTensorBytesSync, readTensorRangeSync, tensorValues, tensorValuesSync, unsafeLocationReason,
} from './tensor-store.js';
export type { ExternalRange, TensorStore, TensorStoreOptions } from './tensor-store.js';
export { collectModelTensors, mapModelTensors } from './model-tensors.js';
export { loadModel, saveModel } from './model-file.js';
export { DEFAULT_MODEL_LIMITS, checkModel, checkTensor } from './model-check.js';
export type { ModelLimits } from './model-check.js';
export { DEFAULT_MAX_MODEL_BYTES, openRegularFile, readRegularFile } from './file-guard.js';
export type { LoadOptions, SaveOptions } from './model-file.js';
