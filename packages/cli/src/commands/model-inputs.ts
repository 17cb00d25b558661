import { dataTypeName, type Model } from '@lowbit/onnx-ir';
import type { DType } from '@lowbit/kernels';
import type { InputSpec } from '../data/fit.js';

/** The graph inputs a caller must feed (initializers excluded), as data-reader specs. */
export function modelInputSpecs(model: Model): InputSpec[] {
  const init = new Set(model.graph.initializers.map((t) => t.name));
  return model.graph.inputs
    .filter((i) => !init.has(i.name))
    .map((i) => {
      const t = i.type;
      if (!t || t.kind !== 'tensor') return { name: i.name, dtype: 'float32' as DType, dims: [] };
      return { name: i.name, dtype: dataTypeName(t.elemType) as DType, dims: t.shape ? [...t.shape] : [] };
    });
}
