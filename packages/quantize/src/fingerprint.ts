/**
 * Fingerprint of a (preprocessed) model for saved statistics: SHA-256 (hex) over
 * 1. the ModelProto bytes (onnx-ir `encodeModel`, deterministic) of the model with its metadata, doc string and
 *    producer fields dropped and every tensor replaced by an empty placeholder of the same name, dtype and dims, then
 * 2. for every tensor in `collectModelTensors` order: its name, dtype, dims and raw bytes (external data and lazy
 *    tensors are read one at a time, so the same weights hash the same whether inline or external).
 * Two models with the same graph, opsets and weights have the same fingerprint; any change to a node, attribute,
 * value name, shape or weight byte changes it.
 */
import { sha256 } from './sha256.js';
import { collectModelTensors, encodeModel, mapModelTensors, readTensorBytes } from '@lowbit/onnx-ir';
import type { InlineTensor, Model, TensorRef } from '@lowbit/onnx-ir';

export async function modelFingerprint(m: Model): Promise<string> {
  const h = sha256();
  const placeholder = (t: TensorRef): TensorRef => {
    if (t.kind === 'inline' && t.strings) return t;
    const p: InlineTensor = { kind: 'inline', name: t.name, dtype: t.dtype, dims: t.dims, data: new Uint8Array(0), encoding: 'raw' };
    return p;
  };
  const skeleton: Model = { irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph, functions: m.functions, metadataProps: [] };
  const structure = encodeModel(mapModelTensors(skeleton, placeholder));
  h.update(`model:${structure.length}:`);
  h.update(structure);
  for (const t of collectModelTensors(skeleton)) {
    if (t.kind === 'inline' && t.strings) continue; // already in the structure bytes
    const b = await readTensorBytes(t);
    h.update(`tensor:${t.name}:${t.dtype}:${t.dims.join('x')}:${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}
