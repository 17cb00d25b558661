/**
 * Output dtypes of a node from its input dtypes and attributes, so the plan can pick each node's kernel key once,
 * at session creation. Unknown (undefined) means "decide at run time from the actual inputs"; declared value types
 * (graph outputs, value_info) take precedence over these rules.
 */
import { isDefaultDomain } from '@lowbit/onnx-ir';
import type { AttrValue, DType } from '@lowbit/kernels';
import { dtypeOf } from './ir-compat.js';

type T = DType | undefined;

const BOOL_OUT = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
const INT32_OUT = new Set(['MatMulInteger', 'ConvInteger']);

function attrDtype(attrs: ReadonlyMap<string, AttrValue>, name: string): T {
  const v = attrs.get(name);
  return typeof v === 'number' ? dtypeOf(v) : undefined;
}

function tensorAttrDtype(attrs: ReadonlyMap<string, AttrValue>, name: string): T {
  const v = attrs.get(name);
  return v && typeof v === 'object' && 'dtype' in v ? (v as { dtype: DType }).dtype : undefined;
}

/** Best-effort output dtypes of a default-domain (or com.microsoft) node. */
export function inferOutputTypes(opType: string, domain: string, inputs: readonly (DType | null | undefined)[], attrs: ReadonlyMap<string, AttrValue>, outputCount: number): T[] {
  const first = (inputs.find((t) => t !== null && t !== undefined) ?? undefined) as T;
  const at = (i: number): T => inputs[i] ?? undefined;
  const all = (t: T): T[] => Array.from({ length: outputCount }, () => t);
  if (!isDefaultDomain(domain)) {
    if (['DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'MatMulNBits', 'DynamicQuantizeLSTM'].includes(opType)) return all('float32');
    if (domain === 'lowbit' && (opType === 'DynamicQMatMul' || opType === 'DynamicQConv')) return all('float32');
    if (domain === 'lowbit' && opType === 'QGemm') return all(at(7));
    return all(undefined);
  }
  if (BOOL_OUT.has(opType)) return all('bool');
  if (INT64_OUT.has(opType)) return all('int64');
  if (INT32_OUT.has(opType)) return all('int32');
  switch (opType) {
    case 'Cast': return all(attrDtype(attrs, 'to'));
    case 'CastLike': return all(at(1));
    case 'EyeLike': return all(attrDtype(attrs, 'dtype') ?? first);
    case 'RandomNormal': case 'RandomUniform': return all(attrDtype(attrs, 'dtype') ?? 'float32');
    case 'RandomNormalLike': case 'RandomUniformLike': return all(attrDtype(attrs, 'dtype') ?? first);
    case 'Bernoulli': return all(attrDtype(attrs, 'dtype') ?? first);
    case 'Multinomial': return all(attrDtype(attrs, 'dtype') ?? 'int32');
    case 'ConstantOfShape': return all(tensorAttrDtype(attrs, 'value') ?? 'float32');
    case 'Where': return all(at(1));
    case 'QuantizeLinear': {
      const zp = at(2);
      return all(zp ?? attrDtype(attrs, 'output_dtype') ?? 'uint8');
    }
    case 'DequantizeLinear': return all(attrDtype(attrs, 'output_dtype') ?? (at(1)) ?? 'float32');
    case 'DynamicQuantizeLinear': return ['uint8', 'float32', 'uint8'].slice(0, outputCount) as T[];
    case 'QLinearConv': case 'QLinearMatMul': return all(at(7) ?? at(0));
    case 'TopK': return [first, 'int64'].slice(0, outputCount) as T[];
    case 'MaxPool': return [first, 'int64'].slice(0, outputCount) as T[];
    case 'Unique': return [first, 'int64', 'int64', 'int64'].slice(0, outputCount) as T[];
    case 'BatchNormalization': case 'LayerNormalization': return all(first);
    case 'Gather': case 'GatherElements': case 'GatherND': case 'ScatterND': case 'ScatterElements': case 'Scatter':
      return all(first);
    case 'Range': return all(first);
    case 'OneHot': return all(at(2));
    case 'Dropout': return [first, 'bool'].slice(0, outputCount) as T[];
    case 'HannWindow': case 'HammingWindow': case 'BlackmanWindow': case 'MelWeightMatrix':
      return all(attrDtype(attrs, 'output_datatype') ?? 'float32');
    case 'TfIdfVectorizer': return all('float32');
    case 'StringConcat': return all('string');
    case 'StringSplit': return ['string', 'int64'].slice(0, outputCount) as T[];
    case 'ImageDecoder': return all('uint8');
    case 'StringNormalizer': case 'RegexFullMatch': return all(opType === 'RegexFullMatch' ? 'bool' : 'string');
    case 'DFT': case 'STFT': return all(first);
    case 'If': case 'Loop': case 'Scan': case 'Constant': case 'SequenceEmpty': case 'SequenceAt':
    case 'SequenceConstruct': case 'SequenceInsert': case 'SequenceErase': case 'SequenceLength': case 'SplitToSequence':
    case 'ConcatFromSequence': case 'Optional': case 'OptionalGetElement': case 'OptionalHasElement':
      return all(undefined);
    default: return all(first);
  }
}
