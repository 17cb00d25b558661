// A BERT-shaped encoder built with @lowbit/onnx-ir for benchmarks: `layers` post-LN transformer layers of
// `hidden` width, `heads` attention heads, an MLP of 4 x hidden with erf-GELU, on a float32 input [1, seq, hidden].
// Weights are deterministic pseudo-random values scaled like a trained model's (1/sqrt(fan_in)), so quantization
// ranges look realistic. Opset 17 (LayerNormalization), loadable by onnxruntime-node and onnxruntime-web.
import { DataType, tensorFromValues } from '@lowbit/onnx-ir';

function rand(n, seed, scale) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Deterministic input activations for sample `i`. */
export function bertInput(i, { seq = 64, hidden = 256 } = {}) {
  return rand(seq * hidden, 1000 + i, 1);
}

export function bertShapedModel({ layers = 4, hidden = 256, heads = 4, seq = 64 } = {}) {
  const nodes = [];
  const inits = [];
  let seed = 1;
  const dh = hidden / heads;
  const ints = (name, values) => ({ type: 'ints', name, value: values.map(BigInt) });
  const int = (name, v) => ({ type: 'int', name, value: BigInt(v) });
  const flt = (name, v) => ({ type: 'float', name, value: v });
  const node = (opType, inputs, outputs, attributes = []) => {
    const name = `${opType}_${outputs[0]}`;
    nodes.push({ id: name, name, opType, domain: '', inputs, outputs, attributes });
  };
  const weight = (name, dims, scale) => inits.push(tensorFromValues(name, DataType.FLOAT, dims, rand(dims.reduce((a, b) => a * b, 1), seed++, scale)));
  const constant = (name, dims, values) => inits.push(tensorFromValues(name, DataType.FLOAT, dims, Float32Array.from(values)));
  const shape = (name, values) => inits.push(tensorFromValues(name, DataType.INT64, [values.length], values.map(BigInt)));
  const linear = (x, out, inDim, outDim) => {
    weight(`${out}.w`, [inDim, outDim], 1 / Math.sqrt(inDim));
    weight(`${out}.b`, [outDim], 0.02);
    node('MatMul', [x, `${out}.w`], [`${out}.mm`]);
    node('Add', [`${out}.mm`, `${out}.b`], [out]);
  };
  const layerNorm = (x, out) => {
    constant(`${out}.g`, [hidden], new Array(hidden).fill(1));
    constant(`${out}.beta`, [hidden], new Array(hidden).fill(0));
    node('LayerNormalization', [x, `${out}.g`, `${out}.beta`], [out], [int('axis', -1), flt('epsilon', 1e-12)]);
  };
  shape('heads_shape', [1, seq, heads, dh]);
  shape('merge_shape', [1, seq, hidden]);
  constant('attn_scale', [], [1 / Math.sqrt(dh)]);
  constant('half', [], [0.5]);
  constant('one', [], [1]);
  constant('inv_sqrt2', [], [Math.SQRT1_2]);

  let x = 'hidden_states';
  for (let l = 0; l < layers; l++) {
    const p = `l${l}`;
    for (const t of ['q', 'k', 'v']) {
      linear(x, `${p}.${t}`, hidden, hidden);
      node('Reshape', [`${p}.${t}`, 'heads_shape'], [`${p}.${t}.r`]);
      node('Transpose', [`${p}.${t}.r`], [`${p}.${t}.t`], [ints('perm', t === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3])]);
    }
    node('MatMul', [`${p}.q.t`, `${p}.k.t`], [`${p}.scores`]);
    node('Mul', [`${p}.scores`, 'attn_scale'], [`${p}.scaled`]);
    node('Softmax', [`${p}.scaled`], [`${p}.probs`], [int('axis', -1)]);
    node('MatMul', [`${p}.probs`, `${p}.v.t`], [`${p}.ctx`]);
    node('Transpose', [`${p}.ctx`], [`${p}.ctx.t`], [ints('perm', [0, 2, 1, 3])]);
    node('Reshape', [`${p}.ctx.t`, 'merge_shape'], [`${p}.ctx.m`]);
    linear(`${p}.ctx.m`, `${p}.attn_out`, hidden, hidden);
    node('Add', [`${p}.attn_out`, x], [`${p}.res1`]);
    layerNorm(`${p}.res1`, `${p}.ln1`);
    linear(`${p}.ln1`, `${p}.fc1`, hidden, 4 * hidden);
    node('Mul', [`${p}.fc1`, 'inv_sqrt2'], [`${p}.gelu.s`]);
    node('Erf', [`${p}.gelu.s`], [`${p}.gelu.e`]);
    node('Add', [`${p}.gelu.e`, 'one'], [`${p}.gelu.a`]);
    node('Mul', [`${p}.fc1`, `${p}.gelu.a`], [`${p}.gelu.m`]);
    node('Mul', [`${p}.gelu.m`, 'half'], [`${p}.gelu`]);
    linear(`${p}.gelu`, `${p}.fc2`, 4 * hidden, hidden);
    node('Add', [`${p}.fc2`, `${p}.ln1`], [`${p}.res2`]);
    layerNorm(`${p}.res2`, `${p}.out`);
    x = `${p}.out`;
  }
  node('Identity', [x], ['last_hidden_state']);
  const vi = (name, dims) => ({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: dims } });
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'bert-shaped', inputs: [vi('hidden_states', [1, seq, hidden])], outputs: [vi('last_hidden_state', [1, seq, hidden])],
      initializers: inits, sparseInitializers: [], nodes, valueInfo: [],
    },
    functions: [],
    metadataProps: [],
  };
}
