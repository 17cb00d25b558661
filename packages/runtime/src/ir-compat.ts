/**
 * The onnx-ir helpers the runtime uses, gathered in one place, plus the two small adapters between the IR's ONNX
 * data type numbers and the kernels' dtype names.
 */
import { dataTypeFromName, dataTypeName, isKnownDataType, tensorValuesSync as irTensorValuesSync, type DataType, type TensorRef, type TensorStore } from '@lowbit/onnx-ir';
import { DTYPE_SHORT, type DType, type TensorData } from '@lowbit/kernels';

export { NodeError } from '@lowbit/onnx-ir';
export type { NodeErrorContext } from '@lowbit/onnx-ir';

/** ONNX data type number -> kernels dtype name; undefined for UNDEFINED, complex types and unknown numbers. */
export function dtypeOf(dt: DataType | number): DType | undefined {
  if (!isKnownDataType(dt)) return undefined;
  const name = dataTypeName(dt);
  return name in DTYPE_SHORT ? (name as DType) : undefined;
}

/** kernels dtype name -> ONNX data type number. */
export function dataTypeOfName(name: DType): DataType {
  return dataTypeFromName(name);
}

export interface TensorValues {
  readonly dtype: DType;
  readonly dims: number[];
  readonly data: TensorData;
}

/**
 * The element values of a tensor (inline, lazy or external through `store`) in the kernels storage convention.
 * Throws for data types the kernels have no storage for (complex).
 */
export function tensorValuesSync(t: TensorRef, store?: TensorStore): TensorValues {
  const dtype = dtypeOf(t.dtype);
  if (!dtype) throw new RangeError(`tensor "${t.name}": ONNX data type ${t.dtype} is not supported by the runtime`);
  const v = irTensorValuesSync(t, store);
  return { dtype, dims: v.dims, data: v.data as unknown as TensorData };
}

/** `{ name, opType }` for NodeError, with a readable name for unnamed nodes (`#<id>`, as onnx-ir's nodeLabel). */
export function nodeRef(n: { readonly name: string; readonly id?: string; readonly opType: string }): { name: string; opType: string } {
  return { name: n.name !== '' ? n.name : `#${n.id ?? '?'}`, opType: n.opType };
}
