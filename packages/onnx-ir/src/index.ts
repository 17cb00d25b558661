export { LowbitError, invariant } from './lowbit-error.js';
export type { LowbitErrorOptions } from './lowbit-error.js';
export { DataType } from './types.js';
export type {
  Attr, AttrType, Dim, ExternalTensor, FunctionDef, Graph, InlineTensor, LazyTensor, Model, Node, NodeId, OpsetImport,
  SparseTensor, StringEntry, TensorRef, TypeInfo, ValueInfo,
} from './types.js';
