/**
 * Static element-type rules: the output element types of a node from its input element types and attributes.
 * Unknown (undefined) means the rule cannot tell (the runtime then decides from the actual inputs); declared value
 * types (graph outputs, value_info) take precedence over these rules wherever they are used.
 */
import { getAttr } from './attrs.js';
import { isDefaultDomain } from './domain.js';
import { DataType, type Node } from './types.js';

type T = DataType | undefined;

const BOOL_OUT = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
const INT32_OUT = new Set(['MatMulInteger', 'ConvInteger']);

function attrDtype(node: Node, name: string): T {
  const a = getAttr(node, name);
  return a?.type === 'int' && a.value > 0n ? (Number(a.value) as DataType) : undefined;
}

function tensorAttrDtype(node: Node, name: string): T {
  const a = getAttr(node, name);
  return a?.type === 'tensor' ? a.value.dtype : undefined;
}

/**
 * Output element types of `node` (one per output) from its inputs' element types: default-domain ops, and the
 * com.microsoft / lowbit contrib ops the runtime runs. Unknown ops of other domains give undefined throughout.
 */
export function outputElemTypes(node: Node, inputs: readonly (DataType | null | undefined)[]): T[] {
  const { opType, domain } = node;
  const outputCount = node.outputs.length;
  const first = (inputs.find((t) => t !== null && t !== undefined) ?? undefined) as T;
  const at = (i: number): T => inputs[i] ?? undefined;
  const all = (t: T): T[] => Array.from({ length: outputCount }, () => t);
  if (!isDefaultDomain(domain)) {
    if (['DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'MatMulNBits', 'DynamicQuantizeLSTM'].includes(opType)) return all(DataType.FLOAT);
    if (domain === 'lowbit' && (opType === 'DynamicQMatMul' || opType === 'DynamicQMatMulSplit' || opType === 'DynamicQConv' || opType === 'GeluErf' || opType === 'QLinearMatMulToFloat' || opType === 'QLinearMatMulToFloatSplit')) return all(DataType.FLOAT);
    if (domain === 'lowbit' && opType === 'DynamicQConvQuantize') return [DataType.UINT8, DataType.FLOAT, DataType.UINT8].slice(0, outputCount) as T[];
    if (domain === 'lowbit' && opType === 'PermutedMatMul') return all(first);
    if (domain === 'lowbit' && opType === 'QGemm') return all(at(7));
    if (domain === 'lowbit' && opType === 'QLookup') return all(at(1));
    if (domain === 'lowbit' && opType === 'QLookup2') return all(at(2));
    if (domain === 'lowbit' && opType === 'QGeluErf') return all(at(2));
    if (domain === 'lowbit' && opType === 'QLayerNorm') return all(at(4));
    if (domain === 'lowbit' && opType === 'QLookupGlobalAveragePool') return all(node.inputs[3] ? at(3) : DataType.FLOAT);
    if (domain === 'lowbit' && opType === 'QLookupMulQuantize') return all(at(4));
    return all(undefined);
  }
  if (BOOL_OUT.has(opType)) return all(DataType.BOOL);
  if (INT64_OUT.has(opType)) return all(DataType.INT64);
  if (INT32_OUT.has(opType)) return all(DataType.INT32);
  switch (opType) {
    case 'Cast': return all(attrDtype(node, 'to'));
    case 'CastLike': return all(at(1));
    case 'EyeLike': return all(attrDtype(node, 'dtype') ?? first);
    case 'RandomNormal': case 'RandomUniform': return all(attrDtype(node, 'dtype') ?? DataType.FLOAT);
    case 'RandomNormalLike': case 'RandomUniformLike': return all(attrDtype(node, 'dtype') ?? first);
    case 'Bernoulli': return all(attrDtype(node, 'dtype') ?? first);
    case 'Multinomial': return all(attrDtype(node, 'dtype') ?? DataType.INT32);
    case 'ConstantOfShape': return all(tensorAttrDtype(node, 'value') ?? DataType.FLOAT);
    case 'Where': return all(at(1));
    case 'QuantizeLinear': {
      const zp = at(2);
      return all(zp ?? attrDtype(node, 'output_dtype') ?? DataType.UINT8);
    }
    case 'DequantizeLinear': return all(attrDtype(node, 'output_dtype') ?? (at(1)) ?? DataType.FLOAT);
    case 'DynamicQuantizeLinear': return [DataType.UINT8, DataType.FLOAT, DataType.UINT8].slice(0, outputCount) as T[];
    case 'QLinearConv': case 'QLinearMatMul': return all(at(7) ?? at(0));
    case 'TopK': return [first, DataType.INT64].slice(0, outputCount) as T[];
    case 'MaxPool': return [first, DataType.INT64].slice(0, outputCount) as T[];
    case 'Unique': return [first, DataType.INT64, DataType.INT64, DataType.INT64].slice(0, outputCount) as T[];
    case 'BatchNormalization': case 'LayerNormalization': return all(first);
    case 'Gather': case 'GatherElements': case 'GatherND': case 'ScatterND': case 'ScatterElements': case 'Scatter':
      return all(first);
    case 'Range': return all(first);
    case 'OneHot': return all(at(2));
    case 'Dropout': return [first, DataType.BOOL].slice(0, outputCount) as T[];
    case 'HannWindow': case 'HammingWindow': case 'BlackmanWindow': case 'MelWeightMatrix':
      return all(attrDtype(node, 'output_datatype') ?? DataType.FLOAT);
    case 'TfIdfVectorizer': return all(DataType.FLOAT);
    case 'StringConcat': return all(DataType.STRING);
    case 'StringSplit': return [DataType.STRING, DataType.INT64].slice(0, outputCount) as T[];
    case 'ImageDecoder': return all(DataType.UINT8);
    case 'StringNormalizer': case 'RegexFullMatch': return all(opType === 'RegexFullMatch' ? DataType.BOOL : DataType.STRING);
    case 'DFT': case 'STFT': return all(first);
    case 'If': case 'Loop': case 'Scan': case 'Constant': case 'SequenceEmpty': case 'SequenceAt':
    case 'SequenceConstruct': case 'SequenceInsert': case 'SequenceErase': case 'SequenceLength': case 'SplitToSequence':
    case 'ConcatFromSequence': case 'Optional': case 'OptionalGetElement': case 'OptionalHasElement':
      return all(undefined);
    default: return all(first);
  }
}
